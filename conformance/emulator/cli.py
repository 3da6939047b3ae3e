"""``conformance emulator``: serve the emulator in the foreground."""

from __future__ import annotations

import os
import shlex
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from conformance.emulator.config import (
    FIRST_ACCOUNT_VARIABLES,
    MAX_CONNECTIONS,
    MAX_READ_TIMEOUT_S,
    READ_TIMEOUT_S,
    SECOND_ACCOUNT_VARIABLES,
    EmulatorSettings,
)
from conformance.emulator.exceptions import DatabaseError, EmulatorConfigError
from conformance.emulator.server import (
    LOOPBACK,
    ForegroundServer,
    bind,
    create_app,
    serve,
    tune_gc,
    uvicorn_config,
)
from conformance.emulator.urls import CONTROL_PREFIX
from conformance.vendor import ENV_BASE_URL, ENV_CONFIGURATION_ID, ENV_SECOND_CONFIGURATION_ID

DEFAULT_PORT = 8099
LOOPBACK_RATE = 200.0  # requests/s the printed live command uses: the live default (2/s) spares the vendor, not us


class SettingsError(click.ClickException):
    """Unusable settings: one line on stderr, exit status 2."""

    exit_code = 2


@click.command("emulator")
@click.option("--host", default=LOOPBACK, show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on (0: any free port).")  # fmt: skip
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep state in this SQLite file (survives a restart). Default: in memory.")  # fmt: skip
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON or TOML file with extra configurations (and accounts).")  # fmt: skip
@click.option("--rate-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Requests per second per account before 429 (token bucket). Default: no limit.")  # fmt: skip
@click.option("--rate-burst", type=click.IntRange(min=1), default=None,
              help="Token bucket size (default: the rate, rounded up).")  # fmt: skip
@click.option("--deterministic", is_flag=True, help="Seeded ids and a clock that advances one second per write.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --deterministic.")
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0, min_open=True, max=MAX_READ_TIMEOUT_S),
    default=READ_TIMEOUT_S,
    show_default=True,
    help="Seconds a client has to send a request's headers, and again its body, before it is disconnected.",
)
@click.option("--max-connections", type=click.IntRange(min=1), default=MAX_CONNECTIONS, show_default=True,
              help="Connections open at once; one more is answered 503 and closed.")  # fmt: skip
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="warning",
              show_default=True, help="uvicorn log level.")  # fmt: skip
def emulator_command(
    host: str,
    port: int,
    db_path: Path | None,
    config_file: Path | None,
    rate_limit: float | None,
    rate_burst: int | None,
    deterministic: bool,
    seed: int,
    read_timeout: float,
    max_connections: int,
    log_level: str,
) -> None:
    """Serve the Conversations v2 emulator (POST/GET /v2/Conversations) until Ctrl+C.

    Reads the same environment variables as the live target: with TWILIO_ACCOUNT_SID and
    TWILIO_AUTH_TOKEN and/or TWILIO_API_KEY and TWILIO_API_SECRET set it accepts exactly those;
    CONFORMANCE_CONFIGURATION_ID seeds a configuration with that id.
    """
    settings = load_settings(os.environ, config_file, db_path=db_path, rate_limit=rate_limit, rate_burst=rate_burst,
                             deterministic=deterministic, seed=seed, read_timeout=read_timeout,
                             max_connections=max_connections)  # fmt: skip
    try:
        app = create_app(settings)
    except DatabaseError as exc:
        raise SettingsError(f"--db {db_path}: {exc}") from None
    except EmulatorConfigError as exc:
        raise SettingsError(f"--deterministic with --db: {exc}") from None
    except (sqlite3.Error, OSError) as exc:
        raise SettingsError(f"--db {db_path}: cannot use it as a SQLite database ({exc})") from None
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    tune_gc()
    url = f"http://{host}:{sock.getsockname()[1]}"
    click.echo(banner(url, settings, os.environ))
    sys.stdout.flush()
    config = uvicorn_config(app, settings, log_level=log_level, date_header=not deterministic)
    serve(ForegroundServer(config), app, sock)


def load_settings(environ: Mapping[str, str], config_file: Path | None, **options: object) -> EmulatorSettings:
    """Settings from flags, the environment and the config file; any problem is a :class:`SettingsError`."""
    try:
        settings = EmulatorSettings().replace(**options).with_environment(environ)
        if config_file is not None:
            settings = settings.with_config_file(config_file)
    except EmulatorConfigError as exc:
        raise SettingsError(str(exc)) from None
    return settings


def banner(url: str, settings: EmulatorSettings, environ: Mapping[str, str]) -> str:
    """What the emulator prints on start: where it is, and the exports that aim a run in another shell at it."""
    lines = [
        f"Conversations emulator listening on {url}",
        f"  control API: {url}{CONTROL_PREFIX}  (health, reset, configurations, faults)",
        "  to run the suite against it from another shell, paste (the same variables drive the live target):",
        f"    export {ENV_BASE_URL}={shlex.quote(url)}",
    ]
    accounts = [(settings.credentials, FIRST_ACCOUNT_VARIABLES, ENV_CONFIGURATION_ID, settings.configuration_id)]
    if settings.second_account is not None:  # the cross-account cases' second account
        accounts.append((settings.second_account, SECOND_ACCOUNT_VARIABLES, ENV_SECOND_CONFIGURATION_ID,
                         settings.second_configuration_id))  # fmt: skip
    for credentials, (sid, token, key, secret), configuration_variable, configuration in accounts:
        lines.append(f"    export {sid}={shlex.quote(credentials.account_sid)}")
        for variable, value in ((token, credentials.auth_token), (key, credentials.api_key),
                                (secret, credentials.api_secret)):  # fmt: skip
            if value is None:
                continue
            if variable in (token, secret) and environ.get(variable, "").strip() == value:
                lines.append(f"    # {variable}: as set in this shell's environment (not printed); set it there too")
            else:
                lines.append(f"    export {variable}={shlex.quote(value)}")
        lines.append(f"    export {configuration_variable}={shlex.quote(configuration)}")
    lines.append(f"  then, in that shell: conformance run --target live --rate {LOOPBACK_RATE:g}")
    extra = [c.id for c in settings.configurations]
    if extra:
        lines.append(f"  more configurations: {', '.join(extra)}")
    if settings.db_path is not None:
        lines.append(f"  state: {settings.db_path}")
    if settings.deterministic:
        lines.append(f"  deterministic: seed {settings.seed}")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)
