"""Re-sending a recorded request to the emulator.

The recording holds every request as it was sent, minus its credentials (redaction drops the
``Authorization`` header) and with some values the emulator knows under another name: the run's
configuration is the vendor's, the ids a read-back names are the ones the vendor issued. So a
request is re-sent with credentials chosen from the mode ``run.json`` names, and with every such
value replaced by the emulator's own (:class:`Aliases`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.emulator.models import Credentials
from conformance.kinds import Account, CredentialForm
from conformance.plan.auth_modes import Belongs, Login, definition, sent_logins
from conformance.record.cassettes.recording import request_headers
from conformance.record.cassettes.redaction import Redactor
from conformance.run.replay import RecordedCase
from conformance.send.connection import Connection, TransportError
from conformance.send.exchange import Exchange
from conformance.send.targets import emulator_logins
from conformance.vendor import SECRET_VARIABLES


@dataclass(frozen=True)
class Endpoint:
    """The emulator parity talks to: where it is, who may call it, its configuration."""

    base_url: str
    credentials: Credentials
    configuration_id: str
    second: Credentials | None = None  # the account the cross-account cases are re-sent as
    second_configuration_id: str | None = None

    @property
    def account_sid(self) -> str:
        return self.credentials.account_sid

    def credentials_of(self, account: str | None) -> Credentials | None:
        """The credentials of ``account`` (an Account; None: the first), None when the emulator has no such one."""
        return self.second if account == Account.SECOND else self.credentials

    @property
    def secrets(self) -> tuple[str, ...]:
        accounts = (self.credentials, *((self.second,) if self.second else ()))
        return tuple(s for c in accounts for s in (c.auth_token, c.api_secret) if s)


def authorization(mode: str, credentials: Credentials, form: str | None = None,
                  header: str | None = None) -> str | None:  # fmt: skip
    """The ``Authorization`` header a case is re-sent with, from the credentials mode and form ``run.json`` names.

    Every mode is re-sent as it was sent (:mod:`conformance.plan.auth_modes`), built on the emulator's own login of
    that form (the API key pair by default, as a run does); ``header`` is the one a malformed case sent.
    """
    logins = emulator_logins(credentials)
    chosen = form if form in logins else next(iter(logins), CredentialForm.API_KEY)
    if form is not None and definition(mode).belongs == Belongs.ANY_FORM:
        chosen = form  # a made-up user of the form it was sent as, whatever logins the emulator has
    user, password = logins.get(chosen, ("", ""))
    others = [login[1] for name, login in logins.items() if name != chosen]
    return definition(mode).header(Login(chosen, user, password, others[0] if others else None, header))


class Aliases:
    """Recorded values and what the emulator calls them.

    ``fixed`` holds what is known before anything is sent (the run's configuration, the account
    placeholder); ``learn`` adds every id the emulator issued in answer to a recorded one, so a later
    read-back (or any request naming that id) is re-pointed at the emulator's.
    """

    def __init__(self, fixed: dict[str, str]) -> None:
        self.fixed = {k: v for k, v in fixed.items() if k and v}
        self.values = dict(self.fixed)
        self._pattern: re.Pattern[str] | None = None

    def learn(self, recorded: Any, emulated: Any) -> None:
        """Map the ``id`` members of a recorded body onto those at the same place in the emulator's."""
        theirs = dict(_ids(emulated))
        for path, value in _ids(recorded):
            other = theirs.get(path)
            if isinstance(other, str) and other and value != other:
                self.values.setdefault(value, other)
                self._pattern = None

    def text(self, value: str) -> str:
        if not self.values:
            return value
        if self._pattern is None:
            keys = sorted(self.values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, keys)))
        return self._pattern.sub(lambda m: self.values[m.group(0)], value)

    def body(self, data: bytes) -> bytes:
        if not data:
            return data
        return self.text(data.decode("utf-8", errors="surrogateescape")).encode("utf-8", errors="surrogateescape")


def _ids(body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            if key == "id" and isinstance(value, str):
                yield where, value
            else:
                yield from _ids(value, where)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            yield from _ids(item, f"{path}[{index}]")


def recorded_configuration(cases: Iterable[RecordedCase], account: str | None = None) -> str | None:
    """The run's configuration: the ``configurationId`` its created conversations were made with.

    ``run.json`` does not name it, so it is read off the requests the vendor answered 2xx (the unknown-
    configuration cases send made-up ids and are answered 404); failing that, the commonest one sent.
    ``account`` picks whose (an Account; None: the first's), by the cases sent as that account.
    """
    created: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    for recorded in cases:
        if recorded.case.account != account:
            continue
        payload = recorded.case.payload
        value = payload.get("configurationId") if isinstance(payload, dict) else None
        if not isinstance(value, str) or not value:
            continue
        sent[value] += 1
        if recorded.exchange is not None and recorded.exchange.status is not None and recorded.exchange.status < 300:
            created[value] += 1
    chosen = created.most_common(1) or sent.most_common(1)
    return chosen[0][0] if chosen else None


class Resender:
    """Sends recorded requests to the emulator, one keep-alive client, no retries (the emulator is local)."""

    def __init__(self, endpoint: Endpoint, aliases: Aliases) -> None:
        self.endpoint = endpoint
        self.aliases = aliases
        self.sent = 0
        self._http = Connection(endpoint.base_url)

    def close(self) -> None:
        self._http.close()

    def send(self, request: dict[str, Any], auth: str, form: str | None = None, malformed: str | None = None,
             account: str | None = None) -> tuple[dict[str, Any], Exchange]:  # fmt: skip
        """(the request as re-sent, in the shape a cassette holds it; the emulator's answer); ``malformed`` is the
        header a malformed-credentials case sent, ``account`` the account it was sent as (an Account)."""
        split = urlsplit(request["uri"])
        target = self.aliases.text(split.path + (f"?{split.query}" if split.query else ""))
        headers = {name: self.aliases.text(value) for name, value in request_headers(request).items()}
        body = self.aliases.body(request["body"])
        credentials = self.endpoint.credentials_of(account)
        if credentials is None:
            raise ValueError("the emulator has no second account to re-send this case as")
        header = authorization(auth, credentials, form, malformed)
        sent_headers = {**headers, **({"Authorization": header} if header else {})}
        url = f"{self.endpoint.base_url}{target}"
        exchange = Exchange(request["method"], url, headers, body, auth, credentials=form, account=account)
        self.sent += 1
        try:
            answer = self._http.request(request["method"], target,
                                        self._http.headers(sent_headers, body, request["method"]), body)  # fmt: skip
        except TransportError as exc:
            exchange.error = str(exc)
        else:
            exchange.status = answer.status
            exchange.response_headers = answer.joined_headers
            exchange.response_body = answer.body
        resent = {"method": request["method"], "uri": url, "body": body,
                  "headers": {name: [value] for name, value in headers.items()}}  # fmt: skip
        return resent, exchange


def body_of(exchange: Exchange | None) -> Any:
    """The parsed body of an answer, or None."""
    if exchange is None or exchange.status is None:
        return None
    try:
        return json.loads(exchange.response_body)
    except (ValueError, UnicodeDecodeError):
        return None


def redactor_for(endpoint: Endpoint) -> Redactor:
    """The redaction every parity output goes through: the emulator's credentials (and every login made from
    them) and the environment's secrets out, the emulator's account as the placeholder a recording uses (as a
    run's redactor does)."""
    credentials = endpoint.credentials
    logins = [*credentials.logins(), *(endpoint.second.logins() if endpoint.second else ())]
    secrets = (*endpoint.secrets, *(os.environ.get(name, "") for name in SECRET_VARIABLES))
    return Redactor(
        secrets=secrets,
        # every pair any mode sends from either account's logins (near misses included), in every encoding
        credentials=[
            *logins,
            *sent_logins(emulator_logins(credentials)),
            *(sent_logins(emulator_logins(endpoint.second)) if endpoint.second else ()),
        ],
        account_sid=endpoint.account_sid,
        api_key_sid=credentials.api_key,
    )


@contextmanager
def embedded_emulator(seed: int) -> Iterator[Endpoint]:
    """The emulator on a free loopback port, deterministic (seeded ids, no Date header), for one parity run."""
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.exceptions import EmulatorConfigError
    from conformance.emulator.server import EmulatorServer
    from conformance.send.targets import SetupError

    try:
        settings = EmulatorSettings(deterministic=True, seed=seed).with_environment(os.environ)
    except EmulatorConfigError as exc:
        raise SetupError(f"emulator: {exc}") from None
    with EmulatorServer(settings) as server:
        yield Endpoint(server.url, server.credentials, server.configuration_id, settings.second_account,
                       settings.second_configuration_id)  # fmt: skip


def running_emulator(base_url: str) -> Endpoint:
    """An emulator already serving at ``base_url``, started with this environment's credentials (or none)."""
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.exceptions import EmulatorConfigError
    from conformance.send.targets import SetupError

    if not base_url.startswith(("http://", "https://")):
        raise SetupError(f"--base-url must be an http(s) URL, got {base_url!r}")
    try:
        settings = EmulatorSettings().with_environment(os.environ)
    except EmulatorConfigError as exc:
        raise SetupError(f"emulator: {exc}") from None
    base_url = base_url.rstrip("/")
    try:
        connection = Connection(base_url, timeout=10.0)
        try:
            answer = connection.request("GET", "/__emulator__/configurations", [], b"")
        finally:
            connection.close()
        listed = json.loads(answer.body)["configurations"]
    except (TransportError, ValueError, KeyError, TypeError) as exc:
        raise SetupError(f"{base_url} does not answer as the emulator ({type(exc).__name__}: {exc})") from None
    account = settings.credentials.account_sid
    ids = [c.get("id") for c in listed if isinstance(c, dict) and c.get("accountId") == account]
    configuration = next((i for i in ids if isinstance(i, str)), settings.configuration_id)
    return Endpoint(base_url, settings.credentials, configuration, settings.second_account,
                    settings.second_configuration_id)  # fmt: skip
