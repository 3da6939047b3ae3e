"""Where a run sends its requests: the embedded emulator (default) or the live API."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance import vendor
from conformance.kinds import Account, CredentialForm

if TYPE_CHECKING:
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.models import Credentials
    from conformance.emulator.process import EmulatorProcess
    from conformance.emulator.server import EmulatorServer


class SetupError(Exception):
    """The run cannot start (missing credentials, bad option, unreachable target): one line for the user."""


SECOND_ACCOUNT_MISSING = (
    f"cross-account cases not run: set {vendor.ENV_SECOND_API_KEY} and {vendor.ENV_SECOND_API_SECRET}, and/or "
    f"{vendor.ENV_SECOND_ACCOUNT_SID} and {vendor.ENV_SECOND_AUTH_TOKEN}, for a second account"
)
SECOND_CONFIGURATION_MISSING = (
    f"not run: the second account has no configuration to create with (set {vendor.ENV_SECOND_CONFIGURATION_ID})"
)


@dataclass(frozen=True)
class SecondAccount:
    """The other account of the cross-account cases: it must never reach the first's conversations."""

    logins: Mapping[str, tuple[str, str]] = field(repr=False)  # CredentialForm -> (username, password)
    configuration_id: str | None  # a configuration of its own, when known
    account_sid: str | None  # the accountId its conversations must carry, when known


@dataclass(frozen=True)
class Target:
    name: str  # "emulator" | "live"
    base_url: str
    logins: Mapping[str, tuple[str, str]] = field(repr=False)  # CredentialForm -> (username, password), default first
    configuration_id: str
    account_sid: str | None  # the accountId responses must carry, when known
    synthetic_clock: bool = False  # the target's clock is not the wall clock (deterministic emulator)
    second: SecondAccount | None = None  # None: the cross-account cases are not run

    @property
    def forms(self) -> tuple[str, ...]:
        """The credential forms this run can authenticate with, the default (the docs' recommended) first."""
        return tuple(self.logins)

    @property
    def username(self) -> str:
        return self.login()[0]

    @property
    def password(self) -> str:
        return self.login()[1]

    def login(self, form: str | None = None) -> tuple[str, str]:
        """(username, password) of ``form``, or of the default form."""
        return self.logins[form or self.forms[0]]

    def logins_of(self, account: str | None) -> Mapping[str, tuple[str, str]]:
        """The logins of ``account`` (an Account; None: the first), empty when the run has no such account."""
        if account == Account.SECOND:
            return self.second.logins if self.second is not None else {}
        return self.logins

    @property
    def second_forms(self) -> tuple[str, ...]:
        return tuple(self.second.logins) if self.second is not None else ()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a file: every password of both accounts; SIDs are redacted separately."""
        logins = [*self.logins.values(), *(self.second.logins.values() if self.second is not None else ())]
        return tuple(password for _username, password in logins)


def live_target(env: Mapping[str, str], base_url: str | None, configuration_id: str | None) -> Target:
    """Credentials from the environment: an API key pair wins over the account SID + auth token."""
    base_url = base_url or env.get(vendor.ENV_BASE_URL) or vendor.DEFAULT_BASE_URL
    configuration_id = configuration_id or env.get(vendor.ENV_CONFIGURATION_ID)
    account_sid = env.get(vendor.ENV_ACCOUNT_SID) or None
    logins: dict[str, tuple[str, str]] = {}
    if env.get(vendor.ENV_API_KEY) and env.get(vendor.ENV_API_SECRET):
        logins[CredentialForm.API_KEY] = env[vendor.ENV_API_KEY], env[vendor.ENV_API_SECRET]
    if account_sid and env.get(vendor.ENV_AUTH_TOKEN):
        logins[CredentialForm.ACCOUNT] = account_sid, env[vendor.ENV_AUTH_TOKEN]
    if not logins:
        raise SetupError(
            f"live target needs credentials: set {vendor.ENV_API_KEY} and {vendor.ENV_API_SECRET}, "
            f"or {vendor.ENV_ACCOUNT_SID} and {vendor.ENV_AUTH_TOKEN}"
        )
    if not configuration_id:
        raise SetupError(
            f"live target needs an existing configuration: pass --configuration-id or set {vendor.ENV_CONFIGURATION_ID}"
        )
    second = second_account(env)
    if second is not None and (
        (account_sid is not None and second.account_sid == account_sid)
        or set(second.logins.values()) & set(logins.values())
    ):
        raise SetupError(
            f"the second account ({vendor.ENV_SECOND_API_KEY}, ...) must be another account than the first, "
            "with its own credentials: the cross-account cases check that one cannot reach the other's data"
        )
    refuse_credentials_in(base_url)
    if not base_url.startswith(("http://", "https://")):
        raise SetupError(f"--base-url must be an http(s) URL, got {base_url!r}")
    from conformance.send.connection import Connection

    try:
        Connection(base_url)  # checks the URL and the environment's proxy settings; connects to nothing
    except ValueError as exc:
        raise SetupError(f"cannot send to {base_url!r}: {exc}") from None
    return Target("live", base_url.rstrip("/"), logins, configuration_id, account_sid, second=second)


MIN_SECRET_LENGTH = 8  # Twilio's auth tokens and API secrets are 32 characters


def refuse_short_secrets(env: Mapping[str, str]) -> None:
    """A secret variable set to fewer than ``MIN_SECRET_LENGTH`` characters is refused: text that short turns up
    inside unrelated words and JSON keys, so it could neither be told apart to be redacted nor masked without
    mangling the reports."""
    for name in vendor.SECRET_VARIABLES:
        value = env.get(name, "")
        if 0 < len(value) < MIN_SECRET_LENGTH:
            raise SetupError(f"{name} is {len(value)} character(s); a secret shorter than {MIN_SECRET_LENGTH} cannot "
                             "be kept out of the reports (Twilio's are 32)")  # fmt: skip


def second_account(env: Mapping[str, str]) -> SecondAccount | None:
    """The second account from ``CONFORMANCE_SECOND_*``, or None when none is set (a half-set pair is an error)."""
    sid_name, token_name, key_name, secret_name = vendor.SECOND_ACCOUNT_VARIABLES
    sid, token, key, secret = (env.get(name, "").strip() or None for name in vendor.SECOND_ACCOUNT_VARIABLES)
    if (key is None) != (secret is None):
        raise SetupError(f"{key_name} and {secret_name} must be set together")
    if token is not None and sid is None:
        raise SetupError(f"{token_name} is set but {sid_name} is not")
    logins: dict[str, tuple[str, str]] = {}
    if key is not None and secret is not None:
        logins[CredentialForm.API_KEY] = key, secret
    if sid is not None and token is not None:
        logins[CredentialForm.ACCOUNT] = sid, token
    if not logins:
        return None
    return SecondAccount(logins, env.get(vendor.ENV_SECOND_CONFIGURATION_ID, "").strip() or None, sid)


def refuse_credentials_in(url: str) -> None:
    """A base URL carrying ``user:password@``, a query or a fragment is refused, and the message does not repeat it.

    A query or fragment is where a token would ride (``?token=...``), and the base URL is printed and written
    into every report; a run could not use one anyway, since the API's paths are appended to the base URL."""
    try:
        parts = urllib.parse.urlsplit(url)
        carries = parts.username is not None or parts.password is not None
        extra = "?" in url or "#" in url
    except ValueError:
        carries, extra = "@" in url, "?" in url or "#" in url
    if carries:
        raise SetupError(
            f"--base-url must not carry credentials (user:password@host); set {vendor.ENV_API_KEY} and "
            f"{vendor.ENV_API_SECRET}, or {vendor.ENV_ACCOUNT_SID} and {vendor.ENV_AUTH_TOKEN}, instead"
        )
    if extra:
        raise SetupError(
            "--base-url must not carry a query or a fragment (?... or #...): the API's paths are "
            "appended to it, and a token there would be printed and written into the reports"
        )


@contextmanager
def emulator_target(*, deterministic: bool = False, seed: int = 0) -> Iterator[Target]:
    """Start the emulator on a free loopback port for the length of the run.

    It reads the same environment as the live target, so credentials set there work on both.
    """
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.exceptions import EmulatorConfigError
    from conformance.emulator.process import EmulatorProcess

    try:
        settings = EmulatorSettings(deterministic=deterministic, seed=seed).with_environment(os.environ)
    except EmulatorConfigError as exc:
        raise SetupError(f"emulator: {exc}") from None
    with EmulatorProcess(settings) as server:  # its own process: it answers on the other core
        yield target_for(server, synthetic_clock=deterministic)


def target_for(server: EmulatorServer | EmulatorProcess, *, synthetic_clock: bool = False) -> Target:
    """A target aimed at a running emulator, with every credential form of its primary account and its second one."""
    return settings_target(server.settings, server.url, synthetic_clock=synthetic_clock)


def settings_target(settings: EmulatorSettings, url: str, *, synthetic_clock: bool = False) -> Target:
    """A target for an emulator of ``settings`` at ``url``: its primary account, and its second one."""
    other = settings.second_account
    second = None if other is None else SecondAccount(emulator_logins(other), settings.second_configuration_id,
                                                      other.account_sid)  # fmt: skip
    return Target("emulator", url, emulator_logins(settings.credentials), settings.configuration_id,
                  settings.credentials.account_sid, synthetic_clock, second)  # fmt: skip


def emulator_logins(credentials: Credentials) -> dict[str, tuple[str, str]]:
    """The emulator account's credential forms, the API key first (as the docs recommend) when it has one."""
    logins: dict[str, tuple[str, str]] = {}
    if credentials.api_key is not None and credentials.api_secret is not None:
        logins[CredentialForm.API_KEY] = credentials.api_key, credentials.api_secret
    if credentials.auth_token is not None:
        logins[CredentialForm.ACCOUNT] = credentials.account_sid, credentials.auth_token
    return logins
