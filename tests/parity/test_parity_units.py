"""The small parts of parity: credentials per mode, routes, shapes, aliases, and nothing secret on disk."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from parity_helpers import BASELINE, parity, parity_json

from conformance.emulator.models import Credentials
from conformance.parity.compare import members, route, shape
from conformance.parity.resend import Aliases, authorization

CREDENTIALS = Credentials("AC" + "1" * 32, "token", "SK" + "2" * 32, "secret")


def decoded(header: str | None) -> str | None:
    return base64.b64decode(header.removeprefix("Basic ")).decode() if header else None


def test_each_credentials_mode_maps_to_one_authorization() -> None:
    assert decoded(authorization("valid", CREDENTIALS)) == f"{'SK' + '2' * 32}:secret"  # the API key, as a run
    assert decoded(authorization("valid", CREDENTIALS, "api_key")) == f"{'SK' + '2' * 32}:secret"
    assert decoded(authorization("valid", CREDENTIALS, "account")) == f"{'AC' + '1' * 32}:token"
    assert authorization("none", CREDENTIALS) is None
    assert decoded(authorization("wrong_secret", CREDENTIALS)) == f"{'SK' + '2' * 32}:not-the-secret"
    assert decoded(authorization("empty_secret", CREDENTIALS, "account")) == f"{'AC' + '1' * 32}:"
    assert decoded(authorization("other_form_secret", CREDENTIALS, "account")) == f"{'AC' + '1' * 32}:secret"
    user, password = decoded(authorization("unknown_user", CREDENTIALS)).split(":")  # type: ignore[union-attr]
    assert user not in (CREDENTIALS.account_sid, CREDENTIALS.api_key) and password != "secret"
    assert authorization("malformed", CREDENTIALS, None, "Basic !!not-base64!!") == "Basic !!not-base64!!"
    user, password = decoded(authorization("stranger_real_secret", CREDENTIALS, "account")).split(":")  # type: ignore[union-attr]
    assert user != CREDENTIALS.account_sid and password == "token"  # the real secret under a made-up SID
    assert decoded(authorization("username_case", CREDENTIALS)) == f"{'sk' + '2' * 32}:secret"
    assert decoded(authorization("secret_suffix", CREDENTIALS)) == f"{'SK' + '2' * 32}:secretx"
    assert decoded(authorization("secret_case", CREDENTIALS)) == f"{'SK' + '2' * 32}:SECRET"
    bearer = authorization("bearer_credentials", CREDENTIALS)
    assert (
        bearer is not None and base64.b64decode(bearer.removeprefix("Bearer ")).decode() == f"{'SK' + '2' * 32}:secret"
    )
    with pytest.raises(ValueError, match="unknown credentials mode"):
        authorization("a-mode-added-later", CREDENTIALS)


def test_every_credentials_mode_is_defined_once_and_re_sent_as_sent() -> None:
    from conformance.kinds import AuthMode
    from conformance.plan.auth_modes import MODES

    assert set(MODES) == set(AuthMode)


def test_routes_template_ids_and_keep_resource_names() -> None:
    assert route("post", "http://h/v2/Conversations") == "POST /v2/Conversations"
    assert route("GET", "http://h/v2/Conversations/conv_conversation_01abc") == "GET /v2/Conversations/{id}"
    assert (
        route("GET", "http://h/v2/Conversations/x/Participants/y?a=1") == "GET /v2/Conversations/{id}/Participants/{id}"
    )


def test_shapes_keep_the_form_not_the_value() -> None:
    assert shape("conv_conversation_01jgfjjzz820kw71nvrk6p2fhg") == shape(
        "conv_conversation_01kzzzzzz820kw71nvrk6p2fhg"
    )
    assert shape("conv_conversation_01jgfjjzz820kw71nvrk6p2fhg") != shape("conv_conversation_42")
    assert shape("AC" + "ab" * 16) == "AC<32 hex>"
    assert shape("2025-01-01T00:00:01Z") == shape("2026-11-29T23:59:59Z") != shape("2025-01-01T00:00:01.123Z")
    assert shape("2025-01-01T00:00:01Z") != shape("2025-01-01T00:00:01+00:00")


def test_members_are_paths_with_their_json_types() -> None:
    body = {"id": "x", "name": None, "participants": [{"name": "a"}, {"name": None}], "n": 1, "ok": True}
    assert members(body) == {
        "(root)": {"object"}, "id": {"string"}, "name": {"null"}, "participants": {"array"},
        "participants[]": {"object"}, "participants[].name": {"string", "null"}, "n": {"integer"}, "ok": {"boolean"},
    }  # fmt: skip


def test_aliases_re_point_what_the_emulator_knows_under_another_name() -> None:
    aliases = Aliases({"conv_configuration_live": "conv_configuration_emu"})
    aliases.learn({"id": "conv_conversation_live", "participants": [{"id": "p_live"}]},
                  {"id": "conv_conversation_emu", "participants": [{"id": "p_emu"}]})  # fmt: skip
    assert aliases.text("/v2/Conversations/conv_conversation_live") == "/v2/Conversations/conv_conversation_emu"
    assert aliases.body(b'{"configurationId": "conv_configuration_live", "p": "p_live"}') == (
        b'{"configurationId": "conv_configuration_emu", "p": "p_emu"}'
    )
    assert aliases.body(b"\xff\xfe{}") == b"\xff\xfe{}"  # bytes that are not UTF-8 go through untouched


SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC" + "5e" * 16,
    "TWILIO_AUTH_TOKEN": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "TWILIO_API_KEY": "SK" + "7c" * 16,
    "TWILIO_API_SECRET": "Zq9/secret+value=",
}


@pytest.mark.parametrize("baseline", [BASELINE])
def test_parity_writes_and_prints_no_secret(tmp_path: Path, baseline: Path) -> None:
    """The embedded emulator takes the environment's credentials; none of them reaches a report or the console."""
    code, output = parity(baseline, tmp_path, env=SECRETS)
    assert code == 0, output
    basic = [base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in (
        (SECRETS["TWILIO_API_KEY"], SECRETS["TWILIO_API_SECRET"]),
        (SECRETS["TWILIO_ACCOUNT_SID"], SECRETS["TWILIO_AUTH_TOKEN"]))]  # fmt: skip
    texts = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} | {"output": output}
    leaked = [(name, s[:6]) for name, text in texts.items() for s in [*SECRETS.values(), *basic] if s in text]
    assert leaked == []
    assert parity_json(tmp_path)["emulator"]["aliases"]  # the account mapping is there, as a placeholder
    assert "AC" + "0" * 32 in texts["parity.json"]
