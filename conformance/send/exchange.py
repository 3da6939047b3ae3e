"""One HTTP request and what came back, as the checks, recorder and reports see it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.kinds import CredentialForm
from conformance.plan.auth_modes import CurlNames, definition, other_form
from conformance.plan.credentials import credential_variables
from conformance.send import jsontext


@dataclass(frozen=True)
class Attempt:
    """One answered try of a request, as it went on the wire (every header, Authorization included) and
    as it came back. The recorder files these, redacted; nothing else keeps them past the case."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    response_headers: list[tuple[str, str]]  # as received, repeats kept
    response_body: bytes


class NotJSON(Exception):
    """The response body does not parse as JSON."""


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]  # as sent, minus Authorization (see ``auth``)
    request_body: bytes
    auth: str  # an AuthMode: never the credential itself
    status: int | None = None  # None when the request never got an answer
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    response_body: bytes = b""
    elapsed_ms: float = 0.0
    error: str | None = None  # transport error, when status is None
    attempts: int = 1  # more than one when 429/503 were retried
    cassette: str | None = None  # where the recorder put it
    interaction: int | None = None
    credentials: str | None = None  # the CredentialForm the request used (None: the target's default)
    account: str | None = None  # Account.SECOND when the second account sent it; None: the first (the run's)
    username: str | None = None  # sent as the user of unknown_user cases (a made-up SID, not a secret)
    authorization: str | None = None  # the header of a malformed-credentials case (carries no credential)
    sent_at: float | None = None  # wall clock (epoch s) when sent; None when the target's clock is synthetic
    received_at: float | None = None
    tries: list[Attempt] = field(default_factory=list, repr=False)  # every answered attempt, for the recorder

    @cached_property
    def _read(self) -> tuple[Any, bool]:
        try:
            return jsontext.read(self.response_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotJSON(str(exc)) from None

    @property
    def json(self) -> Any:
        """The parsed response body, read as leniently as Python reads JSON; raises NotJSON."""
        return self._read[0]

    @property
    def json_departures(self) -> list[str]:
        """How the body departs from RFC 8259 (a byte-order mark, not UTF-8, NaN); raises NotJSON."""
        return [] if self._read[1] else jsontext.departures(self.response_body)

    @property
    def repeated_names(self) -> list[str]:
        """Member names the body gives twice in one object; raises NotJSON."""
        return jsontext.repeated_names(self.response_body, self._read[0])

    @property
    def created(self) -> dict[str, Any] | None:
        """The body of a 201 when it parses to an object: the conversation this request created."""
        if self.status != 201:
            return None
        try:
            body = self.json
        except NotJSON:
            return None
        return body if isinstance(body, dict) else None

    @property
    def created_id(self) -> str | None:
        body = self.created
        value = body.get("id") if body is not None else None
        return value if isinstance(value, str) and value else None

    @property
    def content_type(self) -> str | None:
        return self.response_headers.get("content-type")

    def curl(self) -> str:
        """A shell line that repeats the request; credentials come from the environment, never from here."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        variables = credential_variables(self.account)
        user_variable, password_variable = variables[self.credentials or CredentialForm.API_KEY]
        other_password_variable = variables[other_form(self.credentials)][1]
        parts += definition(self.auth).curl(CurlNames(user_variable, password_variable, other_password_variable,
                                                      self.username, self.authorization))  # fmt: skip
        for name, value in self.request_headers.items():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body or self.method == "POST":
            try:
                parts += ["--data-raw", shlex.quote(self.request_body.decode("utf-8"))]
            except UnicodeDecodeError:
                escaped = "".join(f"\\x{b:02x}" for b in self.request_body)
                parts += ["--data-binary", f"\"$(printf '{escaped}')\""]
        return " ".join(parts)
