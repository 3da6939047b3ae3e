"""The project's checks inside ``schemathesis run``: ``SCHEMATHESIS_HOOKS=conformance.schemathesis``.

Each check of ours that schemathesis lacks is registered with ``@schemathesis.check`` under
``conformance_<name>``. The adapter only translates: a schemathesis case and response become a
:class:`~conformance.plan.cases.Case` and an :class:`~conformance.send.exchange.Exchange`, and
:func:`conformance.judge.verdicts.run_checks` judges them with the same code ``conformance run`` uses.
Written against schemathesis 4.32 (pinned): class-based checks, built once per run, so each keeps
one :class:`~conformance.judge.checks.RunState` for the run (``unique_ids`` remembers ids across it).

Drift (severity ``warn``) cannot become a schemathesis warning (its warning kinds are a closed
set), so it passes unless ``CONFORMANCE_DRIFT_FAILS=1`` makes it a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import warnings
from typing import Any
from urllib.parse import urlsplit

import schemathesis

from conformance import vendor
from conformance.contract.schemas import load_contract
from conformance.contract.wire import WIRE_REQUEST_FILE
from conformance.judge.checks import RunState
from conformance.judge.verdicts import run_checks
from conformance.kinds import AuthMode, CaseKind, CheckOutcome
from conformance.plan.cases import Case
from conformance.send.exchange import Exchange

WRITTEN_FOR = "4.32"  # the schemathesis minor this adapter is written and tested against (pinned in pyproject.toml)
DRIFT_FAILS_ENV = "CONFORMANCE_DRIFT_FAILS"
PREFIX = "conformance_"

# Our checks that schemathesis lacks, each registered as PREFIX + name.
REGISTERED: tuple[str, ...] = (
    "request_echo",
    "account_identity",
    "unique_ids",
    "request_isolation",
    "timestamp_order",
    "timestamp_freshness",  # against the machine's clock: the target must not run on a synthetic one
    "read_back",  # judged on the stateful phase's GET of a conversation this run created
    "error_body_conformance",
    "error_code_conformance",
    "error_code_examples",
    "conflict_header",
    "strict_json",  # schemathesis reads bodies with Python's lenient reader
    "repeated_member_names",
    "unreturned_members",
    "participant_order",
    "undocumented_fields",
    "undocumented_enum_values",
    "undocumented_headers",
)
# Ours that are not registered, and why (a test holds every check of ours to one of the two tables).
NOT_REGISTERED: dict[str, str] = {
    "no_server_error": "schemathesis: not_a_server_error",
    "status_code_conformance": "schemathesis: status_code_conformance",
    "positive_data_acceptance": "schemathesis: positive_data_acceptance",
    "negative_data_rejection": "schemathesis: negative_data_rejection",
    "ignored_auth": "schemathesis: ignored_auth",
    "content_type_conformance": "schemathesis: content_type_conformance",
    "response_schema_conformance": "schemathesis: response_schema_conformance",
    "unknown_configuration_rejection": "needs a case known to name a missing configuration; schemathesis cannot say",
    "unknown_id_rejection": "needs a GET known to name an id never created; schemathesis cannot say",
    "null_as_absent": "needs a case known to send an explicit null; schemathesis's own acceptance check judges its own",
    "content_type_enforced": "needs a case known to send JSON under another Content-Type; schemathesis cannot say",
    # schemathesis authenticates every request as one account: no request of it crosses to another's data.
    "cross_account_isolation": "needs a request by a second account; schemathesis sends as one account only",
    "existence_oracle": "needs a request by a second account; schemathesis sends as one account only",
}
_FETCHED_ONLY = frozenset({"read_back"})  # judged when the GET of a created conversation comes back
_NOT_A_READ_BACK = frozenset({401, 403, 429, 503})  # the stateful phase also fetches without credentials
_CONVERSATION_PATH = re.compile(r"^/v2/Conversations/([^/]+)$")


class _Adapter:
    """One of our checks as a schemathesis class-based check; ``check`` is set per subclass."""

    check: str

    def __init__(self) -> None:
        self.state: RunState | None = None
        self.created: dict[str, tuple[Case, Exchange]] = {}  # conversation id -> the create that made it
        self.judged: dict[tuple[str, bytes], str | None] = {}  # schemathesis may re-run a check on one response

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        if response.request.method != case.operation.method.upper():
            return True  # schemathesis's probe of an undocumented method: its unsupported_method judges that
        key = (case.id, response.content)
        if key not in self.judged:
            self.judged[key] = self.judge(case, response)
        if self.judged[key] is not None:
            raise AssertionError(self.judged[key])
        return None

    def judge(self, st_case: Any, response: Any) -> str | None:
        """Our verdict on one response: the message of a failure, or None."""
        if self.state is None:
            self.state = RunState(load_contract(), expected_account(response.request.headers))
        case, exchange = translate(st_case, response)
        fetched = None
        if self.check in _FETCHED_ONLY:  # judge the create again, now with what the GET returned
            if exchange.created_id is not None:
                self.created[exchange.created_id] = (case, exchange)
            found = _CONVERSATION_PATH.match(urlsplit(exchange.url).path) if case.method == "GET" else None
            if found is None or found[1] not in self.created or exchange.status in _NOT_A_READ_BACK:
                return None  # not our read-back: another id, or an auth probe / throttled answer
            fetched = exchange
            case, exchange = self.created[found[1]]
        for result in run_checks(case, exchange, fetched, self.state, frozenset({self.check})):
            if result.outcome == CheckOutcome.FAILED or (
                result.outcome == CheckOutcome.WARNED and os.environ.get(DRIFT_FAILS_ENV) == "1"
            ):
                return result.message
        return None


def translate(st_case: Any, response: Any) -> tuple[Case, Exchange]:
    """A schemathesis case and its response as our Case and Exchange, built from what was sent."""
    request = response.request
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else bytes(body)
    headers = {name: value for name, value in request.headers.items() if name.lower() != "authorization"}
    auth = AuthMode.VALID if "authorization" in {name.lower() for name in request.headers} else AuthMode.NONE
    payload, raw_body = _payload(body)
    meta = st_case.meta
    negative = meta is not None and meta.generation.mode.is_negative
    phase = meta.phase.name if meta is not None else "explicit"
    case = Case(
        id=f"schemathesis/{st_case.id}",
        kind=CaseKind.INVALID if negative else CaseKind.VALID,  # its expected status follows (Case.expected_status)
        description=f"schemathesis {phase} case {st_case.id} ({'negative' if negative else 'positive'})",
        payload=payload,
        raw_body=raw_body,
        content_type=headers.get("Content-Type"),
        auth=auth,
        method=request.method,
        path=st_case.path,  # the template: /v2/Conversations or /v2/Conversations/{id}
    )
    exchange = Exchange(
        method=request.method,
        url=request.url,
        request_headers=headers,
        request_body=body,
        auth=auth,
        status=response.status_code,
        response_headers={name.lower(): ", ".join(values) for name, values in response.headers.items()},
        response_body=response.content,
        elapsed_ms=response.elapsed * 1000,
    )
    exchange.received_at = time.time()  # judged as it comes back: near enough for a tolerance in minutes
    exchange.sent_at = exchange.received_at - response.elapsed
    return case, exchange


def _payload(body: bytes) -> tuple[Any, bytes | None]:
    """The JSON sent, as the contract reads it; the raw bytes when it is not JSON."""
    if not body:
        return None, b""
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, body
    return _meaning(sent, load_contract().schema(WIRE_REQUEST_FILE)), None


def _meaning(value: Any, node: dict[str, Any]) -> Any:
    """What the contract gives meaning to: null members are absent, members it does not name are ignored.

    schemathesis sends both (our generator does not); the checks compare what was sent with what came back.
    """
    if isinstance(value, dict) and "properties" in node:
        known = node["properties"]
        return {key: _meaning(item, known[key]) for key, item in value.items() if key in known and item is not None}
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_meaning(item, node["items"]) for item in value]
    return value


def expected_account(headers: Any) -> str | None:
    """The accountId responses must carry: TWILIO_ACCOUNT_SID, else the Account SID the request logs in with."""
    configured = os.environ.get(vendor.ENV_ACCOUNT_SID, "").strip()
    if configured:
        return configured
    scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username = base64.b64decode(credentials).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return None
    return username if vendor.ACCOUNT_SID_PATTERN.match(username) else None


if not schemathesis.__version__.startswith(WRITTEN_FOR + "."):
    warnings.warn(f"conformance.schemathesis is written for schemathesis {WRITTEN_FOR}.x, found "
                  f"{schemathesis.__version__}: its check API moves between minors", stacklevel=2)  # fmt: skip
for _name in REGISTERED:
    schemathesis.check(type(PREFIX + _name, (_Adapter,), {"check": _name, "__module__": __name__}))
