"""A full recording with known secrets, then every file the run wrote (and everything it printed) is searched."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cassette_helpers import CREDENTIAL_ENV, emulator_holding, interactions, live_run, written

from conformance import vendor
from conformance.emulator.config import EmulatorSettings
from conformance.record.cassettes.redaction import Redactor
from conformance.send.targets import SetupError, refuse_short_secrets, settings_target

SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC" + "5e" * 16,
    "TWILIO_AUTH_TOKEN": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "TWILIO_API_KEY": "SK" + "7c" * 16,
    "TWILIO_API_SECRET": "Zq9/secret+value=",
    # The second account of the cross-account cases: its secrets and SIDs must not reach a file either.
    "CONFORMANCE_SECOND_ACCOUNT_SID": "AC" + "6f" * 16,
    "CONFORMANCE_SECOND_AUTH_TOKEN": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
    "CONFORMANCE_SECOND_API_KEY": "SK" + "8d" * 16,
    "CONFORMANCE_SECOND_API_SECRET": "Yx8/second+secret=",
}
BASIC = [base64.b64encode(f"{user}:{password}".encode()).decode() for user, password in (
    (SECRETS["TWILIO_API_KEY"], SECRETS["TWILIO_API_SECRET"]),
    (SECRETS["TWILIO_ACCOUNT_SID"], SECRETS["TWILIO_AUTH_TOKEN"]),
    (SECRETS["TWILIO_API_KEY"], "not-the-secret"),
    (SECRETS["CONFORMANCE_SECOND_API_KEY"], SECRETS["CONFORMANCE_SECOND_API_SECRET"]),
    (SECRETS["CONFORMANCE_SECOND_ACCOUNT_SID"], SECRETS["CONFORMANCE_SECOND_AUTH_TOKEN"]),
    (SECRETS["CONFORMANCE_SECOND_API_KEY"], "not-the-secret"),
)]  # fmt: skip
# Values the plan generates (edge cases and address examples): synthetic, not personal, so every file keeps them
# verbatim (a failing request can be re-sent as it was), with --redact-pii too.
GENERATED = ["Ünïcødé", "Solo", "+18005550100", "acme_support", "web-visitor-42", "mem_profile_01", "id-sms"]
# Personal data the vendor returns that the suite never sent (a resolved profile, a name, an address):
# with --redact-pii none of it may reach a file.
VENDOR_PERSONAL = {"name": "Grace Hopper", "participants.0.profileId": "mem_profile_resolvedbyvendor77",
                   "participants.0.addresses": [{"channel": "SMS", "address": "+14155550199"}]}  # fmt: skip
VENDOR_NEEDLES = ["Grace Hopper", "Grace", "resolvedbyvendor77", "+14155550199", "4155550199"]


def leaks(texts: dict[str, str], needles: list[str]) -> list[str]:
    found = [f"{name}: {needle[:8]}..." for name, text in texts.items() for needle in needles if needle in text]
    found += [f"{name}: authorization" for name, text in texts.items() if "authorization" in text.lower()]
    return found


def test_a_recording_run_writes_no_secret_anywhere(tmp_path: Path) -> None:
    """The embedded emulator accepts exactly the credentials in the environment; a subprocess, so its logs count."""
    command = [sys.executable, "-m", "conformance.cli", "run", "--seed", "6", "--max-examples", "4", "--redact-pii",
               "--report-dir", str(tmp_path / "reports"), "--cassette-dir", str(tmp_path / "cassettes")]  # fmt: skip
    env = {**os.environ, **SECRETS, "CI": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    texts = {**written(tmp_path / "reports", tmp_path / "cassettes"), "stdout": done.stdout, "stderr": done.stderr}
    assert len(texts) > 10
    assert leaks(texts, [*SECRETS.values(), *BASIC]) == []
    assert "AC" + "0" * 32 in texts[str(tmp_path / "cassettes" / "valid.yaml")]  # the placeholder stands in


@pytest.mark.parametrize("pii", ["--redact-pii", "--no-redact-pii"])
def test_a_server_that_echoes_credentials_back_still_leaks_nothing(tmp_path: Path, pii: str) -> None:
    echo = " ".join([*SECRETS.values(), *BASIC])
    with emulator_holding(SECRETS) as server:
        server.inject("extra_field", field="echo", value={"all": echo, "account": SECRETS["TWILIO_ACCOUNT_SID"]})
        server.inject("extra_header", value=f"Basic {BASIC[0]} {SECRETS['TWILIO_AUTH_TOKEN']}")
        server.inject("error_body_wrong", mode="status_mismatch")
        code, output = live_run(server, tmp_path, pii, env=SECRETS, max_examples=4)
    assert code == 1, output  # the status mismatch fails error_body_conformance: failures carry bodies and curl lines
    texts = {**written(tmp_path), "output": output}
    assert leaks(texts, [*SECRETS.values(), *BASIC]) == []
    recorded = interactions(tmp_path / "cassettes" / "valid.yaml")
    echoed = next(i["response"] for i in recorded if i["response"]["status"]["code"] == 201)
    assert "[REDACTED]" in echoed["body"]["string"] and "AC" + "0" * 32 in echoed["body"]["string"]
    assert echoed["headers"]["x-emulator-extra"] == ["Basic [REDACTED] [REDACTED]"]
    if pii == "--no-redact-pii":
        assert any("Solo" in text for text in texts.values())  # the scan would see personal data if it were there


def test_generated_data_stays_verbatim_while_vendor_personal_data_is_pseudonymised(tmp_path: Path) -> None:
    """The vendor answers with a name, a profile and an address the suite never sent: those are personal."""
    with emulator_holding(SECRETS) as server:
        for field, value in VENDOR_PERSONAL.items():
            server.inject("extra_field", field=field, value=value)
        code, output = live_run(server, tmp_path, "--redact-pii", env=SECRETS, max_examples=4)
    assert code == 1, output  # request_echo: the name came back as the vendor's, not as sent
    texts = {**written(tmp_path), "output": output}
    assert leaks(texts, [*SECRETS.values(), *BASIC, *VENDOR_NEEDLES]) == []
    sent = "".join(str(i["request"]["body"]) for path in (tmp_path / "cassettes").rglob("*.yaml")
                   for i in interactions(path))  # fmt: skip
    assert [value for value in GENERATED if value not in sent] == []  # what the suite made up is kept as sent
    document = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    echoes = [f for f in document["failures"] if f["check"] == "request_echo" and '"name": "' in f["request"]["body"]]
    echo = next(f for f in echoes if len(f["curl"]) < 4000)  # a body results.json keeps whole
    body = json.loads(echo["request"]["body"])
    assert f"--data-raw {shlex.quote(json.dumps(body, ensure_ascii=False))}" in echo["curl"]  # the exact body
    assert f"sent {json.dumps(body['name'], ensure_ascii=False)}, got " in echo["message"]
    assert "Conversation 1" in json.dumps(document)  # the vendor's name is written as its pseudonym


@pytest.mark.parametrize("name", vendor.SECRET_VARIABLES)
def test_every_secret_variable_is_refused_when_short_and_redacted_when_set(name: str) -> None:
    """One list of the password variables (``vendor.SECRET_VARIABLES``) drives the refusal and the redaction, and
    the tests' helpers clear every variable that picks or signs in to a target."""
    with pytest.raises(SetupError, match=name):
        refuse_short_secrets({name: "short"})
    secret = "Qv7/" + name.lower()
    redactor = Redactor.for_target(
        settings_target(EmulatorSettings(), "http://127.0.0.1:9"), pii=False, environ={name: secret}
    )
    assert redactor.message(f"echoed {secret} and {secret[:-3]}…") == "echoed [REDACTED] and [REDACTED]…"
    assert set(vendor.TARGET_VARIABLES) <= set(CREDENTIAL_ENV) and name in vendor.TARGET_VARIABLES
