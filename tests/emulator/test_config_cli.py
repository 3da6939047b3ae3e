"""Settings from the environment and config files, and the ``conformance emulator`` command's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from conformance.emulator.cli import banner, emulator_command
from conformance.emulator.config import EmulatorSettings, credentials_from_env
from conformance.emulator.exceptions import EmulatorConfigError
from conformance.emulator.models import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_CONFIGURATION_ID,
)
from conformance.emulator.server import create_app

from .conftest import CREATE, assert_error, full_request

SID = "AC" + "12ab" * 8
KEY = "SK" + "34cd" * 8
ENV_TOKEN = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "live-token"}
ENV_KEY = {"TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": "live-secret"}


def statuses(settings: EmulatorSettings, logins: list[tuple[str, str]], configuration_id: str) -> list[int]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        return [client.post(CREATE, json=full_request(configurationId=configuration_id), auth=a).status_code
                for a in logins]  # fmt: skip


def test_without_env_the_well_known_test_credentials_work() -> None:
    assert credentials_from_env({}) is None
    settings = EmulatorSettings().with_environment({})
    logins = list(settings.credentials.logins())
    assert statuses(settings, logins, DEFAULT_CONFIGURATION_ID) == [201, 201]


@pytest.mark.parametrize(
    ("env", "accepted", "refused"),
    [
        (ENV_TOKEN, [(SID, "live-token")], [(DEFAULT_API_KEY, DEFAULT_API_SECRET), (SID, "emulator_auth_token")]),
        (ENV_KEY, [(KEY, "live-secret")], [(DEFAULT_ACCOUNT_SID, "emulator_auth_token"), (DEFAULT_API_KEY, "x")]),
        ({**ENV_TOKEN, **ENV_KEY}, [(SID, "live-token"), (KEY, "live-secret")], [(KEY, "live-token")]),
    ],
    ids=["account sid + token", "api key + secret", "both"],
)  # fmt: skip
def test_env_credentials_are_exactly_what_is_accepted(
    env: dict[str, str], accepted: list[tuple[str, str]], refused: list[tuple[str, str]]
) -> None:
    settings = EmulatorSettings().with_environment({**env, "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_live"})
    assert settings.configuration_id == "conv_configuration_live"
    assert statuses(settings, accepted, "conv_configuration_live") == [201] * len(accepted)
    assert statuses(settings, refused, "conv_configuration_live") == [401] * len(refused)
    assert statuses(settings, accepted[:1], DEFAULT_CONFIGURATION_ID) == [404]  # the env id replaces the default
    account = SID if "TWILIO_ACCOUNT_SID" in env else DEFAULT_ACCOUNT_SID
    assert settings.credentials.account_sid == account


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"TWILIO_API_KEY": KEY}, "together"),
        ({"TWILIO_AUTH_TOKEN": "t"}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_ACCOUNT_SID": "ACnothex", "TWILIO_AUTH_TOKEN": "t"}, "32 hex"),
        ({"TWILIO_API_KEY": "AK123", "TWILIO_API_SECRET": "s"}, "SK"),
    ],
)
def test_inconsistent_env_is_an_error(env: dict[str, str], problem: str) -> None:
    with pytest.raises(EmulatorConfigError, match=problem):
        credentials_from_env(env)


def test_banner_shows_test_credentials_but_not_env_secrets() -> None:
    text = banner("http://127.0.0.1:1", EmulatorSettings().with_environment({}), {})
    assert "emulator_auth_token" in text and DEFAULT_CONFIGURATION_ID in text and "/__emulator__/" in text
    env = {**ENV_TOKEN, **ENV_KEY}
    text = banner("http://127.0.0.1:1", EmulatorSettings().with_environment(env), env)
    assert "live-token" not in text and "live-secret" not in text and SID in text and KEY in text


OTHER_SID = "AC" + "ef" * 16
CONFIG_JSON: dict[str, Any] = {
    "accounts": [{"accountSid": OTHER_SID, "authToken": "other-token"}],
    "configurations": [
        {"id": "conv_configuration_sales", "displayName": "Sales", "memoryExtractionEnabled": True},
        {"id": "conv_configuration_other", "accountId": OTHER_SID, "conversationGroupingType": "GROUP_BY_PROFILE"},
    ],
}
CONFIG_TOML = f"""
[[accounts]]
accountSid = "{OTHER_SID}"
authToken = "other-token"

[[configurations]]
id = "conv_configuration_sales"
displayName = "Sales"
memoryExtractionEnabled = true

[[configurations]]
id = "conv_configuration_other"
accountId = "{OTHER_SID}"
"""


@pytest.mark.parametrize("suffix", [".json", ".toml", ".conf"])
def test_config_file_adds_configurations_and_accounts(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"emulator{suffix}"
    path.write_text(json.dumps(CONFIG_JSON) if suffix != ".toml" else CONFIG_TOML)
    settings = EmulatorSettings().with_config_file(path)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        sales = client.post(CREATE, json=full_request(configurationId="conv_configuration_sales"),
                            auth=(DEFAULT_API_KEY, DEFAULT_API_SECRET))  # fmt: skip
        assert sales.status_code == 201
        assert sales.json()["configuration"]["displayName"] == "Sales"
        assert sales.json()["configuration"]["memoryExtractionEnabled"] is True
        other = (OTHER_SID, "other-token")
        assert (
            client.post(CREATE, json=full_request(configurationId="conv_configuration_other"), auth=other).status_code
            == 201
        )
        assert_error(
            client.post(CREATE, json=full_request(configurationId="conv_configuration_sales"), auth=other), 404
        )


BAD_CONFIGS = {
    "not JSON": ("bad.json", '{"configurations": ['),
    "not TOML": ("bad.toml", "configurations = [\n"),
    "neither": ("bad.cfg", "{]"),
    "not a table": ("list.json", "[1, 2]"),
    "unknown top-level key": ("k.json", '{"configuration": []}'),
    "configurations not a list": ("k.json", '{"configurations": {}}'),
    "unknown setting": ("s.json", '{"configurations": [{"id": "c", "dispayName": "x"}]}'),
    "invalid setting": ("s.json", '{"configurations": [{"id": "c", "displayName": "no!"}]}'),
    "wrong type": ("s.toml", '[[configurations]]\nid = "c"\nstatusCallbacks = 3\n'),
    "missing id": ("s.json", '{"configurations": [{"displayName": "x"}]}'),
    "duplicate id": ("s.json", '{"configurations": [{"id": "c"}, {"id": "c"}]}'),
    "unknown account": ("s.json", '{"configurations": [{"id": "c", "accountId": "AC%s"}]}' % ("1" * 32)),
    "bad account": ("a.json", '{"accounts": [{"accountSid": "x", "authToken": "t"}]}'),
    "account without secret": ("a.json", '{"accounts": [{"accountSid": "AC%s"}]}' % ("1" * 32)),
    "deeply nested": ("d.json", '{"configurations": ' + "[" * 50000 + "]" * 50000 + "}"),
    "not UTF-8": ("u.json", b'{"configurations": ["\xff"]}'),
    # checked by schemas/emulator-config.schema.json
    "account token not a string": ("a.toml", '[[accounts]]\naccountSid = "AC%s"\nauthToken = 5\n' % ("1" * 32)),
    "unknown account key": ("a.json", '{"accounts": [{"accountSid": "AC%s", "token": "t"}]}' % ("1" * 32)),
    "account without sid": ("a.toml", '[[accounts]]\nauthToken = "t"\n'),
}  # fmt: skip
SCHEMA_MESSAGES = {  # the one line the schema's problems give, with the TOML line where there is one
    "account token not a string": "a.toml line 3: accounts[0].authToken must be a string, got 5",
    "unknown account key": "a.json: accounts[0]: unknown key 'token' (known: accountSid, authToken, apiKey, apiSecret)",
    "account without sid": "a.toml line 1: accounts[0]: missing 'accountSid'",
    "bad account": "a.json: accounts[0].accountSid must be AC followed by 32 hex digits, got 'x'",
    "missing id": "s.json: configurations[0]: missing 'id'",
    "unknown top-level key": "k.json: unknown key 'configuration' (known: accounts, configurations)",
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    name, content = BAD_CONFIGS[case]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(emulator_command, ["--config", str(path), "--port", "0"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert str(path) in result.output and "Traceback" not in result.output
    assert SCHEMA_MESSAGES.get(case, "") in result.output, result.output


def test_missing_config_file_and_bad_flag_combinations(tmp_path: Path) -> None:
    result = CliRunner().invoke(emulator_command, ["--config", str(tmp_path / "absent.toml")])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "absent.toml" in result.output
    result = CliRunner().invoke(emulator_command, ["--deterministic", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "--deterministic" in result.output
    result = CliRunner().invoke(emulator_command, [], env={"TWILIO_API_KEY": KEY})
    assert result.exit_code == 2 and result.output.count("\n") == 1


def test_unusable_db_path_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(emulator_command, ["--db", str(tmp_path / "missing-dir" / "x.db"), "--port", "0"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "--db" in result.output
