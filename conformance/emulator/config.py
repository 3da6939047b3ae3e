"""The emulator's settings: defaults, the environment the live target also reads, and a config file."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contract.config_files import EMULATOR_CONFIG, problem
from conformance.contract.schemas import load_contract
from conformance.emulator.exceptions import EmulatorConfigError
from conformance.emulator.models import (
    DEFAULT_CONFIGURATION_ID,
    DEFAULT_CREDENTIALS,
    DEFAULT_SECOND_CONFIGURATION_ID,
    DEFAULT_SECOND_CREDENTIALS,
    Configuration,
    Credentials,
    default_settings,
    describe_error,
)
from conformance.vendor import (
    ACCOUNT_SID_PATTERN,
    API_KEY_SID_PATTERN,
    ENV_CONFIGURATION_ID,
    ENV_SECOND_CONFIGURATION_ID,
    FIRST_ACCOUNT_VARIABLES,
    SECOND_ACCOUNT_VARIABLES,
)

MAX_BODY_BYTES = 1024 * 1024  # larger request bodies get 413 (an emulator assumption)
READ_TIMEOUT_S = 10.0  # seconds a client has to send a request's headers, and again its body
MAX_READ_TIMEOUT_S = 60.0
MAX_CONNECTIONS = 256  # open at once; each may hold a 1 MiB body, so the cap bounds memory too


@dataclass(frozen=True)
class EmulatorSettings:
    """Everything that shapes one emulator instance. ``accounts[0]`` is the primary account, ``accounts[1]`` the
    second one of the cross-account cases."""

    accounts: tuple[Credentials, ...] = (DEFAULT_CREDENTIALS, DEFAULT_SECOND_CREDENTIALS)
    configuration_id: str = DEFAULT_CONFIGURATION_ID
    second_configuration_id: str = DEFAULT_SECOND_CONFIGURATION_ID  # seeded for the second account
    configurations: tuple[Configuration, ...] = ()  # beyond the seeded one, e.g. from a config file
    db_path: Path | None = None
    rate_limit: float | None = None  # requests per second per account; None = off
    rate_burst: int | None = None
    deterministic: bool = False
    seed: int = 0
    max_body_bytes: int = MAX_BODY_BYTES
    read_timeout: float = READ_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS

    @property
    def credentials(self) -> Credentials:
        return self.accounts[0]

    @property
    def second_account(self) -> Credentials | None:
        return self.accounts[1] if len(self.accounts) > 1 else None

    def seeded_configurations(self) -> tuple[Configuration, ...]:
        """The seeded configuration, the contract's example one (both for the primary account), then the extra ones.

        The example is what tools reading ``openapi.yaml`` (schemathesis) send, so it must exist for
        their creates to get past 404.
        """
        account = self.credentials.account_sid
        ids = [self.configuration_id, example_configuration_id()]
        taken = {(c.account_id, c.id) for c in self.configurations}
        seeded = [
            Configuration(i, account, default_settings(i)) for i in dict.fromkeys(ids) if (account, i) not in taken
        ]
        second, own = self.second_account, self.second_configuration_id
        if second is not None and (second.account_sid, own) not in taken and second.account_sid != account:
            seeded.append(Configuration(own, second.account_sid, default_settings(own)))
        return (*seeded, *self.configurations)

    def replace(self, **changes: Any) -> EmulatorSettings:
        return dataclasses.replace(self, **changes)

    def with_environment(self, environ: Mapping[str, str]) -> EmulatorSettings:
        """Credentials and configuration id from the variables the live target reads."""
        settings = self
        credentials = credentials_from_env(environ)
        if credentials is not None:
            settings = settings.replace(accounts=(credentials, *settings.accounts[1:]))
        configuration_id = environ.get(ENV_CONFIGURATION_ID, "").strip()
        if configuration_id:
            settings = settings.replace(configuration_id=configuration_id)
        second = credentials_from_env(environ, SECOND_ACCOUNT_VARIABLES)
        if second is not None:
            settings = settings.replace(accounts=(settings.accounts[0], second, *settings.accounts[2:]))
        configuration_id = environ.get(ENV_SECOND_CONFIGURATION_ID, "").strip()
        if configuration_id:
            settings = settings.replace(second_configuration_id=configuration_id)
        return settings

    def with_config_file(self, path: Path) -> EmulatorSettings:
        """Extra accounts and configurations from a JSON or TOML file."""
        return apply_config_file(self, path)


def example_configuration_id() -> str:
    """The configurationId the request schema gives as its example (one source: the contract)."""
    return load_contract().node("request", "configurationId")["examples"][0]


def credentials_from_env(environ: Mapping[str, str], variables: tuple[str, ...] = FIRST_ACCOUNT_VARIABLES
                         ) -> Credentials | None:  # fmt: skip
    """The credentials the environment names (``variables``: account SID, auth token, API key, API secret of one
    account), or None when it names none.

    A complete pair (Account SID + auth token, API key + secret) means exactly those are
    accepted; with only the account SID set, that account uses the test secrets.
    """
    sid_name, token_name, key_name, secret_name = variables
    sid, token, key, secret = (environ.get(name, "").strip() or None for name in variables)
    if (key is None) != (secret is None):
        raise EmulatorConfigError(f"{key_name} and {secret_name} must be set together")
    if token is not None and sid is None:
        raise EmulatorConfigError(f"{token_name} is set but {sid_name} is not")
    if sid is not None and not ACCOUNT_SID_PATTERN.match(sid):
        raise EmulatorConfigError(f"{sid_name} must be AC followed by 32 hex digits")
    if key is not None and not API_KEY_SID_PATTERN.match(key):
        raise EmulatorConfigError(f"{key_name} must be SK followed by 32 hex digits")
    first = variables == FIRST_ACCOUNT_VARIABLES
    fallback = DEFAULT_CREDENTIALS if first else DEFAULT_SECOND_CREDENTIALS
    if token is None and key is None:
        if sid is None:
            return None
        return Credentials(sid, fallback.auth_token, fallback.api_key, fallback.api_secret)
    return Credentials(sid or fallback.account_sid, token, key, secret)


def read_config_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """Parse a JSON or TOML file (by suffix; otherwise JSON, then TOML) into a table; with its text when TOML (the
    text gives an error its line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EmulatorConfigError(f"{path}: cannot read config file ({exc.__class__.__name__}: {exc})") from None
    parsers = {".json": ("JSON",), ".toml": ("TOML",)}.get(path.suffix.lower(), ("JSON", "TOML"))
    problems = []
    for kind in parsers:
        try:
            data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
        except (ValueError, RecursionError) as exc:
            problems.append(f"not valid {kind} ({_one_line(exc)})")
            continue
        if not isinstance(data, dict):
            raise EmulatorConfigError(f"{path}: the config file must hold a table/object at the top level")
        return data, text if kind == "TOML" else None
    raise EmulatorConfigError(f"{path}: " + "; ".join(problems))


def apply_config_file(settings: EmulatorSettings, path: Path) -> EmulatorSettings:
    """``settings`` with the file's accounts and configurations (``schemas/emulator-config.schema.json``)."""
    data, text = read_config_file(path)
    said = problem(data, EMULATOR_CONFIG, path, text)
    if said:
        raise EmulatorConfigError(said)
    accounts = [*settings.accounts, *(_account(path, i, item) for i, item in enumerate(data.get("accounts", [])))]
    known_accounts = {a.account_sid for a in accounts}
    seen = {(settings.credentials.account_sid, settings.configuration_id)}
    configurations = list(settings.configurations)
    for i, item in enumerate(data.get("configurations", [])):
        configuration = _configuration(path, i, item, settings.credentials.account_sid)
        if configuration.account_id not in known_accounts:
            raise EmulatorConfigError(
                f"{path}: configurations[{i}].accountId {configuration.account_id} is not a known account"
            )
        if (configuration.account_id, configuration.id) in seen:
            raise EmulatorConfigError(f"{path}: configurations[{i}].id {configuration.id} is defined twice")
        seen.add((configuration.account_id, configuration.id))
        configurations.append(configuration)
    return settings.replace(accounts=tuple(accounts), configurations=tuple(configurations))


def _account(path: Path, index: int, item: dict[str, str]) -> Credentials:
    """What the schema leaves to the reader: the key and its secret together, and some way to log in."""
    where = f"{path}: accounts[{index}]"
    credentials = Credentials(item["accountSid"], item.get("authToken"), item.get("apiKey"), item.get("apiSecret"))
    if (credentials.api_key is None) != (credentials.api_secret is None):
        raise EmulatorConfigError(f"{where}: apiKey and apiSecret go together")
    if credentials.auth_token is None and credentials.api_key is None:
        raise EmulatorConfigError(f"{where}: needs authToken, or apiKey and apiSecret")
    return credentials


def _configuration(path: Path, index: int, item: dict[str, Any], primary_account: str) -> Configuration:
    """The configuration an entry describes, its settings held to the contract's configuration schema."""
    where = f"{path}: configurations[{index}]"
    contract = load_contract()
    documented = set(contract.schema("configuration").get("properties", {}))
    settings = {k: v for k, v in item.items() if k not in ("id", "accountId")}
    unknown = sorted(set(settings) - documented)
    if unknown:
        raise EmulatorConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)} (documented: {', '.join(sorted(documented))})"
        )
    configuration_id, account_id = item["id"], item.get("accountId", primary_account)
    merged = {**default_settings(configuration_id), **settings}
    errors = contract.errors("configuration", merged)
    if errors:
        raise EmulatorConfigError(f"{where}: {describe_error(errors[0])}")
    return Configuration(configuration_id, account_id, merged)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
