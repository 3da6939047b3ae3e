"""The checks: one small function per property of the contract, registered by one decorator.

A check raises :class:`CheckFailed` with a message that says what was expected and what came
back. Its severity decides what that means: ``fail`` fails the run, ``warn`` is reported as
drift. Checks that do not apply to a response (a schema check on a 400, say) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from conformance import vendor
from conformance.cases import Case
from conformance.contract import CREATE_PATH, SCHEMA_FILES, Contract
from conformance.exchange import Exchange, NotJSON

Severity = Literal["fail", "warn"]

# Headers any HTTP server or proxy may send: not vendor drift (RFC 9110/9111 and common transport).
STANDARD_HEADERS = frozenset({
    "accept-ranges", "access-control-allow-credentials", "access-control-allow-headers",
    "access-control-allow-methods", "access-control-allow-origin", "access-control-expose-headers",
    "access-control-max-age", "age", "alt-svc", "cache-control", "connection", "content-encoding",
    "content-language", "content-length", "content-type", "date", "etag", "expires", "keep-alive",
    "last-modified", "pragma", "retry-after", "server", "strict-transport-security", "transfer-encoding",
    "vary", "via", "www-authenticate", "x-content-type-options", "x-frame-options", "x-xss-protection",
})  # fmt: skip


class CheckFailed(Exception):
    """What the check expected and what came back; ``findings`` lists the items found, for tools."""

    def __init__(self, message: str, findings: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = findings


@dataclass
class RunState:
    """What the checks remember across a run."""

    contract: Contract
    account_sid: str | None
    conversation_ids: dict[str, str] = field(default_factory=dict)  # id -> case that created it
    participant_ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    case: Case
    response: Exchange
    state: RunState
    fetched: Exchange | None = None  # GET /v2/Conversations/{id} after a 201

    @property
    def status(self) -> int | None:
        return self.response.status

    @property
    def body(self) -> Any:
        """The parsed body, or None when it does not parse (content_type_conformance reports that)."""
        try:
            return self.response.json
        except NotJSON:
            return None

    @property
    def created(self) -> dict[str, Any] | None:
        return self.response.created


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    applies: Callable[[Context], bool]
    run: Callable[[Context], None]
    description: str


CHECKS: dict[str, Check] = {}


def check(*, severity: Severity = "fail", applies: Callable[[Context], bool] = lambda ctx: True) -> Callable:
    """Register a check under its function name (the name users put in allow-lists)."""

    def register(func: Callable[[Context], None]) -> Callable[[Context], None]:
        description = (func.__doc__ or "").strip().splitlines()[0]
        CHECKS[func.__name__] = Check(func.__name__, severity, applies, func, description)
        return func

    return register


def _answered(ctx: Context) -> bool:
    return ctx.status is not None


def _kind(kind: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.case.kind == kind and _answered(ctx)


def _is_error(ctx: Context) -> bool:
    return ctx.status is not None and ctx.status >= 400


# --- status ----------------------------------------------------------------------------------


@check(applies=_answered)
def no_server_error(ctx: Context) -> None:
    """No input makes the API answer 500."""
    if ctx.status == 500:
        raise CheckFailed(f"got 500 Internal Server Error for: {ctx.case.description}")


@check(applies=_answered)
def status_code_conformance(ctx: Context) -> None:
    """The status code is one the docs list for the operation."""
    documented = ctx.state.contract.documented_statuses(CREATE_PATH, "POST")
    if ctx.status not in documented:
        raise CheckFailed(f"undocumented status {ctx.status}; documented: {', '.join(map(str, sorted(documented)))}")


@check(applies=_kind("valid"))
def positive_data_acceptance(ctx: Context) -> None:
    """A request valid by the docs is created: 201."""
    if ctx.status != 201:
        raise CheckFailed(f"expected 201 for a valid request ({ctx.case.description}), got {ctx.status}{_why(ctx)}")


@check(applies=_kind("invalid"))
def negative_data_rejection(ctx: Context) -> None:
    """A request the docs make invalid is refused with 400."""
    if ctx.status != 400:
        raise CheckFailed(f"expected 400 for {ctx.case.description}, got {ctx.status}{_why(ctx)}")


@check(applies=_kind("unknown_configuration"))
def unknown_configuration_rejection(ctx: Context) -> None:
    """A configurationId that does not exist is refused with 404."""
    if ctx.status != 404:
        raise CheckFailed(f"expected 404 for a configurationId that does not exist, got {ctx.status}{_why(ctx)}")


@check(applies=_kind("auth"))
def ignored_auth(ctx: Context) -> None:
    """Missing or wrong credentials are refused with 401."""
    if ctx.status != 401:
        raise CheckFailed(f"expected 401 with {ctx.case.description}, got {ctx.status}: the API ignored auth")


def _why(ctx: Context) -> str:
    body = ctx.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f" ({body['message']})"
    return ""


# --- wire format -----------------------------------------------------------------------------


@check(applies=_answered)
def content_type_conformance(ctx: Context) -> None:
    """Responses are application/json and their bodies parse."""
    media_type = (ctx.response.content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise CheckFailed(f"Content-Type is {ctx.response.content_type!r}, expected application/json")
    try:
        ctx.response.json  # noqa: B018 - parsing is the check
    except NotJSON as exc:
        raise CheckFailed(f"body does not parse as JSON: {exc}") from None


@check(applies=lambda ctx: ctx.created is not None)
def response_schema_conformance(ctx: Context) -> None:
    """A 201 body validates against the Conversation schema (types, required, formats)."""
    problems = schema_problems(ctx.state.contract, "conversation", ctx.created)
    if problems:
        raise CheckFailed("201 body does not match the Conversation schema: " + "; ".join(problems))


@check(applies=_is_error)
def error_body_conformance(ctx: Context) -> None:
    """Error bodies carry integer code, string message and more_info, and status equal to the HTTP status."""
    body = ctx.body
    if not isinstance(body, dict):
        raise CheckFailed(f"{ctx.status} body is not a JSON object: {ctx.response.response_body[:200]!r}")
    problems = schema_problems(ctx.state.contract, "error", body)
    if body.get("status") != ctx.status and "status" in body:
        problems.append(f"status field is {body.get('status')!r} but the HTTP status is {ctx.status}")
    if problems:
        raise CheckFailed(f"{ctx.status} error body: " + "; ".join(problems))


@check(severity="warn", applies=lambda ctx: _is_error(ctx) and ctx.status in vendor.ERROR_CODES)
def error_code_conformance(ctx: Context) -> None:
    """An error's code is the one the docs give for its status (400: 20001, 401: 20003, 404: 20404, 429: 20429)."""
    body = ctx.body
    code = body.get("code") if isinstance(body, dict) else None
    expected = vendor.ERROR_CODES[ctx.status or 0]
    if code != expected:
        raise CheckFailed(f"{ctx.status} carries code {code!r}, the docs name {expected}")


@check(applies=lambda ctx: ctx.status == 409)
def conflict_header(ctx: Context) -> None:
    """A 409 names the resource it conflicts with in X-Conflicting-Resource-Id."""
    if not ctx.response.response_headers.get("x-conflicting-resource-id"):
        raise CheckFailed("409 without an X-Conflicting-Resource-Id header")


# --- semantics of a created conversation ------------------------------------------------------


@check(applies=lambda ctx: ctx.created is not None and ctx.case.is_json_payload)
def request_echo(ctx: Context) -> None:
    """What was sent comes back: configurationId, name (null when omitted), participants in order."""
    sent, got = ctx.case.payload, ctx.created or {}
    problems = []
    if got.get("configurationId") != sent.get("configurationId"):
        problems.append(f"configurationId sent {sent.get('configurationId')!r}, got {got.get('configurationId')!r}")
    if got.get("name") != sent.get("name"):
        problems.append(f"name sent {sent.get('name')!r}, got {got.get('name')!r}")
    sent_participants = sent.get("participants") or []
    got_participants = got.get("participants") or []
    if len(sent_participants) != len(got_participants):
        problems.append(f"sent {len(sent_participants)} participants, got {len(got_participants)}")
    for i, (mine, theirs) in enumerate(zip(sent_participants, got_participants, strict=False)):
        problems += _participant_echo(i, mine, theirs if isinstance(theirs, dict) else {})
    overrides = (sent.get("configuration") or {}).get("intelligenceConfigurationIds")
    effective = (got.get("configuration") or {}).get("intelligenceConfigurationIds")
    if overrides is not None and effective != overrides:
        problems.append(f"configuration.intelligenceConfigurationIds sent {overrides!r}, got {effective!r}")
    if problems:
        raise CheckFailed("; ".join(problems))


def _participant_echo(i: int, sent: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("name", "type"):
        if sent.get(name) is not None and got.get(name) != sent[name]:
            problems.append(f"participants[{i}].{name} sent {sent[name]!r}, got {got.get(name)!r}")
    # The docs say profileId is resolved only for CUSTOMER participants; others may drop it.
    compared = sent.get("profileId") is not None and (sent.get("type") == "CUSTOMER" or "profileId" in got)
    if compared and got.get("profileId") != sent["profileId"]:
        problems.append(f"participants[{i}].profileId sent {sent['profileId']!r}, got {got.get('profileId')!r}")
    sent_addresses = sent.get("addresses") or []
    got_addresses = [{k: a.get(k) for k in ("channel", "address", "channelId") if k in a}
                     for a in got.get("addresses") or [] if isinstance(a, dict)]  # fmt: skip
    if sent_addresses != got_addresses:
        problems.append(f"participants[{i}].addresses sent {sent_addresses!r}, got {got_addresses!r}")
    return problems


@check(applies=lambda ctx: ctx.created is not None)
def account_identity(ctx: Context) -> None:
    """accountId is the caller's account; every participant belongs to this conversation and account."""
    got = ctx.created or {}
    problems = []
    expected = ctx.state.account_sid
    if expected and got.get("accountId") != expected:
        problems.append(f"accountId is {got.get('accountId')!r}, the authenticated account is {expected!r}")
    for i, participant in enumerate(got.get("participants") or []):
        if not isinstance(participant, dict):
            continue
        if participant.get("conversationId") != got.get("id"):
            problems.append(f"participants[{i}].conversationId is {participant.get('conversationId')!r}, "
                            f"the conversation is {got.get('id')!r}")  # fmt: skip
        if participant.get("accountId") != got.get("accountId"):
            problems.append(f"participants[{i}].accountId is {participant.get('accountId')!r}, "
                            f"the conversation's is {got.get('accountId')!r}")  # fmt: skip
    if problems:
        raise CheckFailed("; ".join(problems))


@check(applies=lambda ctx: ctx.created is not None)
def unique_ids(ctx: Context) -> None:
    """Every conversation and participant id is new: none repeats within the run."""
    got = ctx.created or {}
    state, problems = ctx.state, []
    conversation_id = got.get("id")
    if isinstance(conversation_id, str):
        if conversation_id in state.conversation_ids:
            problems.append(f"conversation id {conversation_id} was already returned for case "
                            f"{state.conversation_ids[conversation_id]}")  # fmt: skip
        state.conversation_ids.setdefault(conversation_id, ctx.case.id)
    for participant in got.get("participants") or []:
        pid = participant.get("id") if isinstance(participant, dict) else None
        if not isinstance(pid, str):
            continue
        if pid in state.participant_ids:
            problems.append(f"participant id {pid} was already returned for case {state.participant_ids[pid]}")
        state.participant_ids.setdefault(pid, ctx.case.id)
    if problems:
        raise CheckFailed("; ".join(problems))


@check(applies=lambda ctx: ctx.created is not None)
def timestamp_order(ctx: Context) -> None:
    """createdAt is not after updatedAt, for the conversation and each participant."""
    got = ctx.created or {}
    problems = []
    for where, item in [("", got), *((f"participants[{i}].", p) for i, p in enumerate(got.get("participants") or []))]:
        if not isinstance(item, dict):
            continue
        created, updated = _instant(item.get("createdAt")), _instant(item.get("updatedAt"))
        if created and updated and created > updated:
            problems.append(f"{where}createdAt {item['createdAt']} is after {where}updatedAt {item['updatedAt']}")
    if problems:
        raise CheckFailed("; ".join(problems))


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # response_schema_conformance reports malformed timestamps
    return instant if instant.tzinfo is not None else None


@check(applies=lambda ctx: ctx.fetched is not None)
def read_back(ctx: Context) -> None:
    """GET /v2/Conversations/{id} returns the conversation as it was created."""
    fetched = ctx.fetched
    assert fetched is not None
    if fetched.status != 200:
        raise CheckFailed(f"GET {fetched.url} answered {fetched.status}, expected 200 with the created conversation")
    try:
        body = fetched.json
    except NotJSON as exc:
        raise CheckFailed(f"GET {fetched.url} body does not parse: {exc}") from None
    created = ctx.created or {}
    if not isinstance(body, dict):
        raise CheckFailed(f"GET {fetched.url} body is not an object")
    changed = sorted(key for key in created.keys() | body.keys()
                     if key != "updatedAt" and created.get(key) != body.get(key))  # fmt: skip
    if changed:
        detail = ", ".join(f"{key}: created {created.get(key)!r}, fetched {body.get(key)!r}" for key in changed[:3])
        raise CheckFailed(f"fetched conversation differs from the created one in {', '.join(changed)} ({detail})")
    problems = schema_problems(ctx.state.contract, "conversation", body)
    if problems:
        raise CheckFailed("fetched body does not match the Conversation schema: " + "; ".join(problems))


# --- drift: what the docs do not name -----------------------------------------------------------


@check(severity="warn", applies=lambda ctx: ctx.created is not None)
def undocumented_fields(ctx: Context) -> None:
    """Response fields the docs do not name (additive vendor changes)."""
    extra = sorted(set(walk_undocumented(ctx.state.contract, "conversation", ctx.created)))
    if extra:
        raise CheckFailed(f"undocumented response fields: {', '.join(extra)}", tuple(extra))


@check(severity="warn", applies=lambda ctx: ctx.created is not None)
def undocumented_enum_values(ctx: Context) -> None:
    """Enum values the docs do not list (a new status, participant type or channel)."""
    extra = sorted(set(walk_enum_drift(ctx.state.contract, "conversation", ctx.created)))
    if extra:
        raise CheckFailed(f"undocumented enum values: {', '.join(extra)}", tuple(extra))


@check(severity="warn", applies=_answered)
def undocumented_headers(ctx: Context) -> None:
    """Response headers neither the docs nor HTTP itself name."""
    documented = ctx.state.contract.documented_headers(CREATE_PATH, "POST", ctx.status or 0)
    extra = sorted(name for name in ctx.response.response_headers if name not in STANDARD_HEADERS | documented)
    if extra:
        raise CheckFailed(f"undocumented response headers: {', '.join(extra)}", tuple(extra))


# --- schema walking shared by the checks above -------------------------------------------------


def schema_problems(contract: Contract, name: str, instance: Any) -> list[str]:
    """Schema violations, except a string outside an enum: that is drift (undocumented_enum_values)."""
    problems = []
    for error in contract.errors(name, instance):
        if error.validator == "enum" and isinstance(error.instance, str):
            continue
        where = _pointer(error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message}")
    return problems


def _pointer(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(
    contract: Contract, node: dict[str, Any], base: str, value: Any, path: str
) -> Iterator[tuple[str, Any, dict]]:
    node, base = contract.follow(node, base)
    yield path, value, node
    if isinstance(value, dict) and node.get("type") == "object":
        properties = node.get("properties", {})
        for key, item in value.items():
            if key in properties:
                yield from _walk(contract, properties[key], base, item, f"{path}.{key}" if path else key)
            else:
                yield f"{path}.{key}" if path else key, item, {"x-undocumented": True}
    elif isinstance(value, list) and "items" in node:
        for item in value:
            yield from _walk(contract, node["items"], base, item, f"{path}[]")


def walk_undocumented(contract: Contract, name: str, value: Any) -> Iterator[str]:
    for path, _value, node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if node.get("x-undocumented"):
            yield path


def walk_enum_drift(contract: Contract, name: str, value: Any) -> Iterator[str]:
    for path, item, node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if "enum" in node and isinstance(item, str) and item not in node["enum"]:
            yield f"{path}={item}"


def field_paths(contract: Contract, name: str, value: Any) -> Iterator[str]:
    """Every field path present in a response, documented or not (for run-to-run comparison)."""
    for path, _value, _node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if path:
            yield path
