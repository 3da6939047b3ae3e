"""A vendor that echoes credentials back: whole plans against each echoing fault, then every artifact and the
console are decoded every way a secret could hide (percent, JSON and HTML escapes, base64 in both alphabets at
every offset, nested) and searched for every secret and every near-miss the suite makes from one.

The scan is written apart from the redactor on purpose: it decodes, where the redactor matches.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest
from cassette_helpers import emulator_holding, interactions, live_run, written

from conformance.record.cassettes.recording import CASES_FILE, Recorder
from conformance.record.cassettes.redaction import Redactor
from conformance.send.targets import live_target

SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC" + "5e" * 16,
    "TWILIO_AUTH_TOKEN": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "TWILIO_API_KEY": "SK" + "7c" * 16,
    "TWILIO_API_SECRET": "Zq9/Secret+value=9x",
    # The second account's too: its cross-account cases are refused with a 404 whose message, echoing the header,
    # is long enough to be cut in check messages.
    "CONFORMANCE_SECOND_API_KEY": "SK" + "5ec0" * 8,
    "CONFORMANCE_SECOND_API_SECRET": "f3a9c2d17be84e06a5d9c3b1a2b3c4d5",
}
PASSWORDS = (SECRETS["TWILIO_AUTH_TOKEN"], SECRETS["TWILIO_API_SECRET"], SECRETS["CONFORMANCE_SECOND_API_SECRET"])
# What must never be readable: each secret and what the near-miss modes send instead of it (its case swapped,
# a character appended). A swapped-case token is still the token to anyone who reads it.
NEEDLES = sorted({form for secret in PASSWORDS for form in (secret, secret.swapcase(), secret + "x")})
CUT = 8  # characters of a secret that, left where a text was cut, give too much of it away
ECHOES = {
    "echo_authorization": [{}],
    # and messages long enough to be cut mid-credentials where a check quotes them: its cross-account cases
    # refused with 403, the message quoting each account's header with the cut (at 200) in the secret's base64
    "cut_echo": [{"fault": "echo_authorization", "padding": 60}, {"fault": "cross_account_forbidden"}],
    "echo_request": [{"name": f"X-Echo-{encoding}", "encoding": encoding}
                     for encoding in ("base64", "base64url", "percent", "json")],
}  # fmt: skip
_BASE64ISH = re.compile(r"[A-Za-z0-9+/_-]{16,}")
MAX_DEPTH = 3


def readings(text: str, depth: int = 0) -> set[str]:
    """``text`` and everything it decodes to: unescaped (percent, JSON ``\\/``, HTML) and every base64-looking run
    decoded at each of its four offsets in both alphabets, padding or not, recursively."""
    seen = {text}
    for _ in range(2):  # percent-encoding applied twice is undone too
        seen |= {urllib.parse.unquote(t) for t in seen} | {html.unescape(t) for t in seen}
        seen |= {t.replace("\\/", "/") for t in seen}
    if depth >= MAX_DEPTH:
        return seen
    found = set(seen)
    for reading in seen:
        for run in set(_BASE64ISH.findall(reading)):
            for offset in range(4):
                part = run[offset:]
                part = part[: len(part) - len(part) % 4] if len(part) % 4 == 1 else part + "=" * (-len(part) % 4)
                for alphabet in (b"+/", b"-_"):
                    try:
                        decoded = base64.b64decode(part, altchars=alphabet, validate=False)
                    except (binascii.Error, ValueError):
                        continue
                    found |= readings(decoded.decode("utf-8", errors="replace"), depth + 1)
    return found


def leaks(texts: dict[str, str]) -> list[str]:
    """``where: which needle`` for every secret or near-miss any reading of any text holds, whole or cut (its
    first or last ``CUT`` characters)."""
    found = []
    for name, text in texts.items():
        every = "\n".join(readings(text))
        found += [f"{name}: {needle[:6]}..." for needle in NEEDLES if needle[:CUT] in every or needle[-CUT:] in every]
    return found


def run_against(fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """A live-target run against an emulator holding ``SECRETS`` with ``fault`` on; ``cases.jsonl`` (folded into
    run.json at the end, and dropped) is kept beside the outputs, so it is scanned too."""
    finish = Recorder.finish

    def keep_the_stream(recorder: Recorder, interrupted: bool) -> Path:
        shutil.copy(recorder.directory / CASES_FILE, tmp_path / CASES_FILE)
        return finish(recorder, interrupted)

    monkeypatch.setattr(Recorder, "finish", keep_the_stream)
    with emulator_holding(SECRETS) as server:
        for params in ECHOES[fault]:
            params = dict(params)
            server.inject(params.pop("fault", fault), **params)
        return live_run(server, tmp_path, env=SECRETS, max_examples=2)


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan is no formality: each way a secret can be echoed is found (and would fail the test below)."""
    secret = SECRETS["TWILIO_API_SECRET"]
    header = "Basic " + base64.b64encode(f"{SECRETS['TWILIO_API_KEY']}:{secret.swapcase()}".encode()).decode()
    request = f"GET /v2 HTTP/1.1\r\nauthorization: {header}\r\n".encode()
    for echo in (secret, urllib.parse.quote(secret, safe=""), secret.replace("/", "\\/"), header,
                 "pre" + base64.b64encode(request).decode(), base64.urlsafe_b64encode(request).decode().rstrip("="),
                 "Qx" + base64.b64encode(("xy" + secret + "x").encode()).decode(),
                 html.escape(urllib.parse.quote(header))):  # fmt: skip
        assert leaks({"echo": f"before {echo} after"}), echo
    assert leaks({"clean": "AC00000000000000000000000000000000 Basic [REDACTED] conv_conversation_01k"}) == []


@pytest.mark.parametrize("fault", sorted(ECHOES))
def test_a_vendor_that_echoes_credentials_leaks_none_into_any_artifact(
    tmp_path: Path, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run_against(fault, tmp_path, monkeypatch)
    assert code in (0, 1), output
    texts = written(tmp_path)
    names = {Path(name).name for name in texts}
    outputs = {"results.json", "results.jsonl", "junit.xml", "summary.md", "report.html", "run.json", CASES_FILE}
    assert outputs <= names
    assert {f"{mode}.yaml" for mode in ("secret_case", "secret_suffix", "username_case", "stranger_real_secret",
                                        "bearer_credentials", "other_form_secret")} <= names  # fmt: skip
    texts["console"] = output
    found = leaks(texts)
    assert found == [], f"{len(found)} leak(s): {found[:20]}"
    # The fault did echo (so the scan had something to find): the echoes are in the cassettes, redacted.
    recorded = [i for path in (tmp_path / "cassettes").rglob("*.yaml") for i in interactions(path)]
    if fault != "echo_request":
        refused = [i["response"]["body"]["string"] for i in recorded if i["response"]["status"]["code"] == 401]
        assert refused and all("(Authorization: " in body for body in refused if "authorization" in body.lower())
        assert any("(Authorization: Basic [REDACTED])" in body for body in refused)
        assert any("(Authorization: Bearer [REDACTED])" in body for body in refused)  # bearer_credentials
    else:
        echoed = [i["response"]["headers"] for i in recorded]
        for encoding in ("base64", "base64url", "percent", "json"):
            values = [h[f"x-echo-{encoding}"][0] for h in echoed if f"x-echo-{encoding}" in h]
            assert len(values) == len(recorded) and any("[REDACTED]" in v for v in values), encoding


def _cut_forms(user: str, secret: str) -> list[str]:
    """What cutting a message (``why``, ``shown``, the results' long strings) can leave of a sent login: the raw
    secret or its login's base64 cut after ``CUT`` or more of the secret's characters, at the end of the text, before
    a cut marker, or resumed after one."""
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    into_secret = -(-4 * (len(user) + 1 + CUT + 3) // 3)  # base64 characters up to well into the secret
    return [
        f"refused: {secret[:CUT + 3]}", f"refused ({secret[:-3]}… (32 characters)", f"key {secret[:CUT]}...",
        f"…{secret[-CUT:]} (Authorization)", f'"{secret[:-1]}"…', "…" + secret[3:],
        f"Authorization: Basic {encoded[:into_secret]}", f"Basic {encoded[:into_secret + 5]}… (92 characters)",
        f"…[30 characters left out]…{encoded[-20:]}", f"Basic%20{urllib.parse.quote(encoded[:into_secret], safe='')}",
        f"refused: {urllib.parse.quote(secret[:-2], safe='')}",
    ]  # fmt: skip


@pytest.mark.parametrize("account", ["first", "second"])
def test_a_secret_cut_short_is_blanked_too(account: str) -> None:
    """A message cut before it is redacted can end (or resume) inside a secret or its login's base64; what is left
    of it is blanked, for both accounts' logins, while a shorter stub and a placeholder SID stay readable."""
    prefix = "TWILIO_" if account == "first" else "CONFORMANCE_SECOND_"
    user, secret = SECRETS[f"{prefix}API_KEY"], SECRETS[f"{prefix}API_SECRET"]
    env = {**SECRETS, "CONFORMANCE_SECOND_CONFIGURATION_ID": "conv_configuration_" + "0" * 26}
    redactor = Redactor.for_target(live_target(env, "http://127.0.0.1:9", "conv_configuration_" + "1" * 26), pii=False,
                                   environ=env)  # fmt: skip
    for form in _cut_forms(user, secret):
        assert leaks({"form": form}), form  # the scan sees what is left of the secret
        redacted = redactor.message(form)
        assert leaks({"redacted": redacted}) == [] and "[REDACTED]" in redacted, (form, redacted)
    for kept in (f"stub {secret[: CUT - 1]}", "key SK" + "0" * 32, "conv_conversation_" + "0" * 26, "ok… fine"):
        assert redactor.message(kept) == kept
