"""The redactor on its own: secrets never pass, SIDs become placeholders, personal data keeps its shape."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
import urllib.parse
from pathlib import Path

import pytest
from cassette_helpers import live_run, results

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.record.cassettes.redaction import ACCOUNT_PLACEHOLDER, API_KEY_PLACEHOLDER, REDACTED, Redactor
from conformance.send.targets import Target

ACCOUNT = "AC" + "3f" * 16
KEY = "SK" + "9a" * 16
SECRET = 'p@ss/"word"+1'
TOKEN = "0123456789abcdef0123456789abcdef"


def redactor(pii: bool = True, loopback: str | None = None) -> Redactor:
    return Redactor(secrets=[SECRET, TOKEN], credentials=[(KEY, SECRET), (ACCOUNT, TOKEN)], account_sid=ACCOUNT,
                    api_key_sid=KEY, pii=pii, loopback=loopback)  # fmt: skip


@pytest.mark.parametrize(
    "leak",
    [
        SECRET,
        json.dumps(SECRET)[1:-1],  # as it sits inside a JSON string
        "p%40ss%2F%22word%22%2B1",  # URL-encoded
        base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
        base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode(),
        TOKEN,
    ],
)
def test_secrets_are_blanked_in_text_and_bodies(leak: str) -> None:
    r = redactor()
    assert r.text(f"before {leak} after") == f"before {REDACTED} after"
    assert leak.encode() not in r.body(json.dumps({"message": f"bad {leak}"}).encode(), error=True)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


ECHOED_REQUEST = f"POST /v2/Conversations HTTP/1.1\r\nauthorization: {_basic(KEY, SECRET)}\r\n".encode()


@pytest.mark.parametrize(
    "leak",
    [
        SECRET.swapcase(),  # secret_case
        TOKEN + "x",  # secret_suffix
        base64.b64encode(f"{KEY.lower()}:{TOKEN}".encode()).decode(),  # username_case
        base64.b64encode(f"{'SK' + '7e57' * 8}:{SECRET}".encode()).decode(),  # stranger_real_secret
        _basic(KEY, TOKEN),  # other_form_secret
        "p%40ss%2f%22word%22%2b1",  # lower-case percent escapes
        'p@ss\\/\\"word\\"+1',  # JSON with / escaped too
        "p@ss/&quot;word&#34;+1",  # HTML
        "Basic%20" + urllib.parse.quote(_basic(KEY, SECRET)[6:], safe=""),  # in a query string
        base64.b64encode(("x" + SECRET).encode()).decode(),  # base64 at the other two offsets
        base64.b64encode(("xy" + SECRET + "z").encode()).decode(),
        base64.urlsafe_b64encode(f"{KEY}:{SECRET}".encode()).decode().rstrip("="),
        base64.b64encode(ECHOED_REQUEST).decode(),  # the whole request, base64: the header's base64 inside
        base64.urlsafe_b64encode(base64.b64encode(ECHOED_REQUEST)).decode().rstrip("="),  # and once more
        base64.b64encode(f"{KEY}:not-the-secret".encode()).decode(),  # a login the run sent names its user
    ],
)
def test_every_form_an_echo_can_carry_is_blanked(leak: str) -> None:
    """A run's redactor knows every login its cases send (near-misses included) from its target's credentials."""
    target = Target(
        "live", "https://api.invalid", {"api_key": (KEY, SECRET), "account": (ACCOUNT, TOKEN)}, "c", ACCOUNT
    )
    r = Redactor.for_target(target, pii=False, environ={})
    redacted = r.text(f"seen: {leak}; end")
    assert redacted.startswith("seen: ") and redacted.endswith("; end") and REDACTED in redacted, redacted
    assert r.text(redacted) == redacted  # idempotent
    for value in (SECRET, TOKEN, SECRET.swapcase(), base64.b64encode(SECRET.encode()).decode()[:12]):
        assert value not in redacted


def test_what_carries_no_secret_is_left_alone() -> None:
    r = redactor()
    text = ("conv_conversation_01kabcdefghjkmnpqrstvwxyz0 " + base64.b64encode(b"a harmless base64 payload").decode()
            + f" Basic {REDACTED} {ACCOUNT_PLACEHOLDER} p@ss/word secret %2F")  # fmt: skip
    assert r.text(text) == text


def test_sids_become_stable_placeholders_of_the_same_shape() -> None:
    r = redactor()
    other, another = "AC" + "ab" * 16, "AC" + "cd" * 16
    text = r.text(f"/Accounts/{ACCOUNT}/Keys/{KEY} {other} {another} {other}")
    assert text == (f"/Accounts/{ACCOUNT_PLACEHOLDER}/Keys/{API_KEY_PLACEHOLDER} AC{1:032x} AC{2:032x} AC{1:032x}")
    assert r.text(text) == text  # idempotent: placeholders are not SIDs
    assert r.placeholder(ACCOUNT) == ACCOUNT_PLACEHOLDER
    assert r.text("XAC" + "ab" * 16) == "XAC" + "ab" * 16  # part of a longer token, not a SID


@pytest.mark.parametrize("pii", [False, True])
def test_a_sid_the_suite_made_up_is_kept_and_any_other_still_becomes_a_placeholder(pii: bool) -> None:
    r = redactor(pii=pii)
    made_up, unseen = "AC" + "ab" * 16, "SK" + "cd" * 16
    addresses = [{"address": made_up}, {"address": ACCOUNT}, {"channel": [made_up + "x"]}]
    r.generated({"name": "x", "participants": [{"addresses": addresses}]})
    assert r.text(f"{made_up} {unseen}") == f"{made_up} SK{1:032x}"
    assert r.text(f"/Accounts/{ACCOUNT}") == f"/Accounts/{ACCOUNT_PLACEHOLDER}"  # the run's own, even if sent


def test_generated_text_is_never_pseudonymised_in_any_unicode_form() -> None:
    r = redactor(pii=True)
    name = "Zoe\u0301 Ba\u0308r"  # decomposed: its composed form is the suite's too
    r.generated({"name": name, "participants": [{"name": name}]})
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert r.pseudonym(unicodedata.normalize(form, name), "name") == unicodedata.normalize(form, name)
    assert r.pseudonym("Someone Else", "name") != "Someone Else"


def test_personal_data_is_pseudonymised_consistently_and_keeps_its_shape() -> None:
    r = redactor()
    forms = load_contract().schema("address")["x-address-forms"]
    sent = {"configurationId": "conv_configuration_x", "name": "Ada's chat", "participants": [
        {"name": "Ada Lovelace", "type": "CUSTOMER", "profileId": "mem_profile_01k1etk2y5f1y9fpe2epfdtvv2",
         "addresses": [{"channel": "SMS", "address": "+14155550123", "channelId": "SM" + "1" * 32},
                       {"channel": "WHATSAPP", "address": "whatsapp:+447700900123"},
                       {"channel": "RCS", "address": "rcs:ada_lovelace"},
                       {"channel": "CHAT", "address": "ada@example.com"}]},
        {"name": "", "type": "AI_AGENT"}]}  # fmt: skip
    request = json.loads(r.body(json.dumps(sent).encode()))
    response = json.loads(r.body(json.dumps({"id": "conv_1", **sent}, separators=(",", ":")).encode()))
    assert {k: v for k, v in response.items() if k != "id"} == request  # the echo still holds
    first = request["participants"][0]
    assert first["name"] == "Participant 1" and request["name"] == "Conversation 1"
    assert request["participants"][1]["name"] == ""  # an empty name stays an edge case
    assert first["profileId"].startswith("mem_profile_") and "01k1etk2" not in first["profileId"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", first["addresses"][0]["channelId"])
    for address in first["addresses"]:
        assert re.match(forms[address["channel"]]["pattern"], address["address"]), address
    for original in ("Ada", "+14155550123", "447700900123", "ada_lovelace", "ada@example.com", "1111111111"):
        assert original not in json.dumps(request) + json.dumps(response)
    error = r.body(b'{"message": "participants[0].name Ada Lovelace is taken"}', error=True)
    assert b"Participant 1" in error and b"Ada" not in error
    assert r.message("name sent 'Ada Lovelace', got 'x'") == "name sent 'Participant 1', got 'x'"


def test_unchanged_bodies_stay_byte_identical_and_changed_ones_keep_their_style() -> None:
    r = redactor()
    compact = b'{"id":"conv_1","name":null,"participants":[]}'
    assert r.body(compact) == compact
    assert r.body(b'{"id":"conv_1","name":"Ada"}') == b'{"id":"conv_1","name":"Conversation 1"}'
    assert r.body(b"\xff\xfe{}") == b"\xff\xfe{}"  # not UTF-8: kept byte for byte


def test_personal_data_is_kept_when_redaction_is_off() -> None:
    body = json.dumps({"name": "Ada", "participants": [{"name": "Ada", "addresses": []}]}).encode()
    assert redactor(pii=False).body(body) == body


def test_the_loopback_address_is_normalised_only_when_asked() -> None:
    assert redactor(loopback="127.0.0.1:4321").text("http://127.0.0.1:4321/v2") == "http://emulator.invalid/v2"
    assert redactor().text("http://127.0.0.1:4321/v2") == "http://127.0.0.1:4321/v2"


def test_headers_lose_credentials_and_keep_the_rest() -> None:
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    headers = redactor().headers([("Authorization", f"Basic {token}"), ("Content-Type", "application/json"),
                                  ("X-Echo", f"Basic {token}")])  # fmt: skip
    assert headers == [("Content-Type", "application/json"), ("X-Echo", f"Basic {REDACTED}")]


@pytest.mark.parametrize(("mode", "note"), [("nfc", "same text in another Unicode normalisation form"),
                                            ("nfkc", "differs only by compatibility characters")])  # fmt: skip
def test_a_message_about_the_same_text_in_another_form_shows_that_text_not_a_pseudonym(
    tmp_path: Path, mode: str, note: str
) -> None:
    """The vendor's copy of a generated name in another Unicode form is the suite's text, not personal data."""
    with EmulatorServer() as server:
        server.inject("mangle_strings", mode=mode)
        code, output = live_run(server, tmp_path, "--redact-pii", max_examples=5)
    document = results(tmp_path / "reports")
    messages = [found["message"] for found in document["failures"] + document["warnings"] if note in found["message"]]
    assert code == 1 and messages, output
    for message in messages:
        for sent, got in re.findall(r'sent "([^"]*)", got "([^"]*)" \(' + re.escape(note), message):
            assert unicodedata.normalize("NFKC", sent) == unicodedata.normalize("NFKC", got), message
        assert "pseudonym" not in message and "Conversation " not in message, message
