"""Where a run sends its requests: the embedded emulator (default) or the live API."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance import vendor

if TYPE_CHECKING:
    from conformance.emulator.server import EmulatorServer


class SetupError(Exception):
    """The run cannot start (missing credentials, bad option, unreachable target): one line for the user."""


@dataclass(frozen=True)
class Target:
    name: str  # "emulator" | "live"
    base_url: str
    username: str
    password: str = field(repr=False)
    configuration_id: str
    account_sid: str | None  # the accountId responses must carry, when known

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a file: the password always, SIDs are redacted separately."""
        return (self.password,)


def live_target(env: Mapping[str, str], base_url: str | None, configuration_id: str | None) -> Target:
    """Credentials from the environment: an API key pair wins over the account SID + auth token."""
    base_url = base_url or env.get(vendor.ENV_BASE_URL) or vendor.DEFAULT_BASE_URL
    configuration_id = configuration_id or env.get(vendor.ENV_CONFIGURATION_ID)
    account_sid = env.get(vendor.ENV_ACCOUNT_SID) or None
    if env.get(vendor.ENV_API_KEY) and env.get(vendor.ENV_API_SECRET):
        username, password = env[vendor.ENV_API_KEY], env[vendor.ENV_API_SECRET]
    elif account_sid and env.get(vendor.ENV_AUTH_TOKEN):
        username, password = account_sid, env[vendor.ENV_AUTH_TOKEN]
    else:
        raise SetupError(
            f"live target needs credentials: set {vendor.ENV_API_KEY} and {vendor.ENV_API_SECRET}, "
            f"or {vendor.ENV_ACCOUNT_SID} and {vendor.ENV_AUTH_TOKEN}"
        )
    if not configuration_id:
        raise SetupError(
            f"live target needs an existing configuration: pass --configuration-id or set {vendor.ENV_CONFIGURATION_ID}"
        )
    if not base_url.startswith(("http://", "https://")):
        raise SetupError(f"--base-url must be an http(s) URL, got {base_url!r}")
    return Target("live", base_url.rstrip("/"), username, password, configuration_id, account_sid)


@contextmanager
def emulator_target(*, deterministic: bool = False, seed: int = 0) -> Iterator[Target]:
    """Start the emulator on a free loopback port for the length of the run.

    It reads the same environment as the live target, so credentials set there work on both.
    """
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.exceptions import EmulatorConfigError
    from conformance.emulator.server import EmulatorServer

    try:
        settings = EmulatorSettings(deterministic=deterministic, seed=seed).with_environment(os.environ)
    except EmulatorConfigError as exc:
        raise SetupError(f"emulator: {exc}") from None
    with EmulatorServer(settings) as server:
        yield target_for(server)


def target_for(server: EmulatorServer) -> Target:
    """A target aimed at a running emulator, authenticating with its primary account."""
    credentials = server.credentials
    logins = list(credentials.logins())
    username, password = logins[-1]  # the API key pair when there is one, as the docs recommend
    return Target("emulator", server.url, username, password, server.configuration_id, server.account_sid)
