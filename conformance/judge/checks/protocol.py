"""Checks on the protocol: which status answers which request, the wire format, the error contract."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance import vendor
from conformance.judge.checks.registry import (
    CheckFailed,
    Context,
    answered,
    check,
    is_error,
    json_media_type_problem,
    schema_problems,
    shown,
    why,
)
from conformance.kinds import CaseKind, Severity
from conformance.plan.negative import CONTENT_TYPE_CONSTRAINT
from conformance.send.exchange import Exchange, NotJSON

INT32 = (-(2**31), 2**31 - 1)

# --- status ----------------------------------------------------------------------------------


@check(applies=answered)
def no_server_error(ctx: Context) -> None:
    """No input makes the API answer 500."""
    if ctx.status == 500:
        raise CheckFailed(f"got 500 Internal Server Error for: {ctx.case.description}{why(ctx)}")


@check(applies=answered)
def status_code_conformance(ctx: Context) -> None:
    """The status code is one the docs list for the operation called."""
    path, method = ctx.operation
    documented = ctx.state.contract.documented_statuses(path, method)
    if ctx.status not in documented:
        raise CheckFailed(f"{method} {path} answered undocumented status {ctx.status}; documented: "
                          f"{', '.join(map(str, sorted(documented)))}{why(ctx)}")  # fmt: skip


def _other_content_type(ctx: Context) -> bool:
    return ctx.case.constraint == CONTENT_TYPE_CONSTRAINT


# Each reads the status the case's kind calls for (``Case.expected_status``); its docstring names it for people.


@check(kinds={CaseKind.VALID}, applies=lambda ctx: answered(ctx) and not ctx.case.sends_null)
def positive_data_acceptance(ctx: Context) -> None:
    """A request valid by the docs is created: 201."""
    expected = ctx.case.expected_status
    if ctx.status != expected:
        raise CheckFailed(f"expected {expected} for a valid request ({ctx.case.description}), got {ctx.status}"
                          f"{why(ctx)}")  # fmt: skip


@check(severity=Severity.WARN, kinds={CaseKind.VALID}, applies=lambda ctx: answered(ctx) and ctx.case.sends_null)
def null_as_absent(ctx: Context) -> None:
    """A valid request with an optional member sent as explicit null is created (the docs do not say: reported)."""
    expected = ctx.case.expected_status
    if ctx.status != expected:
        raise CheckFailed(f"expected {expected} for a valid request with an explicit null ({ctx.case.description}), "
                          f"the docs type no request member nullable, got {ctx.status}{why(ctx)}")  # fmt: skip


@check(kinds={CaseKind.INVALID}, applies=lambda ctx: answered(ctx) and not _other_content_type(ctx))
def negative_data_rejection(ctx: Context) -> None:
    """A request the docs make invalid is refused with 400."""
    if ctx.status != ctx.case.expected_status:
        raise CheckFailed(f"expected {ctx.case.expected_status} for {ctx.case.description}, got {ctx.status}"
                          f"{why(ctx)}")  # fmt: skip


@check(severity=Severity.WARN, kinds={CaseKind.INVALID}, applies=lambda ctx: answered(ctx) and _other_content_type(ctx))
def content_type_enforced(ctx: Context) -> None:
    """A JSON body under another Content-Type (or none) is refused with 400 (the docs give the encoding: reported)."""
    if ctx.status != ctx.case.expected_status:
        raise CheckFailed(f"expected {ctx.case.expected_status} for a JSON body with "
                          f"{ctx.case.description.removeprefix('invalid: ')}, got {ctx.status}{why(ctx)}")  # fmt: skip


@check(kinds={CaseKind.UNKNOWN_CONFIGURATION}, applies=answered)
def unknown_configuration_rejection(ctx: Context) -> None:
    """A configurationId that names no configuration is refused with 404 (or 400 for an id whose form is refused)."""
    # a real id changed at an edge may be refused as malformed
    allowed = (ctx.case.expected_status, 400) if ctx.case.constraint else (ctx.case.expected_status,)
    if ctx.status not in allowed:
        raise CheckFailed(f"expected {' or '.join(map(str, allowed))} for {ctx.case.description}, "
                          f"got {ctx.status}{why(ctx)}")  # fmt: skip


@check(kinds={CaseKind.NOT_FOUND}, applies=answered)
def unknown_id_rejection(ctx: Context) -> None:
    """GET of an id that names no conversation (never created, or another kind's id) is 404."""
    if ctx.status != ctx.case.expected_status:
        raise CheckFailed(f"expected {ctx.case.expected_status} for GET {urlsplit(ctx.response.url).path} "
                          f"({ctx.case.description}), got {ctx.status}{why(ctx)}")  # fmt: skip


@check(kinds={CaseKind.AUTH}, applies=answered)
def ignored_auth(ctx: Context) -> None:
    """Missing, wrong or malformed credentials are refused with 401, on every route, before anything else."""
    if ctx.status != ctx.case.expected_status:
        raise CheckFailed(f"expected {ctx.case.expected_status} with {ctx.case.description}, got {ctx.status}"
                          f"{why(ctx)}")  # fmt: skip


# --- wire format -----------------------------------------------------------------------------


@check(applies=answered)
def content_type_conformance(ctx: Context) -> None:
    """Responses are application/json (UTF-8, if a charset is named) and their bodies parse."""
    problem = json_media_type_problem(ctx.response.content_type)
    if problem:
        raise CheckFailed(problem)
    try:
        ctx.response.json  # noqa: B018 - parsing is the check
    except NotJSON as exc:
        raise CheckFailed(f"body does not parse as JSON: {exc}") from None


def _bodies(ctx: Context) -> list[tuple[str, Exchange]]:
    """(label, exchange) of every answer the case got that carries a body: its own, and the read-back."""
    answers = [("", ctx.response)] + ([("read-back ", ctx.fetched)] if ctx.fetched is not None else [])
    return [(label, answer) for label, answer in answers if answer.response_body]


@check(applies=answered)
def strict_json(ctx: Context) -> None:
    """Bodies are JSON as RFC 8259 has it: UTF-8, no byte-order mark, no NaN or Infinity (on create and read-back)."""
    problems = []
    for label, answer in _bodies(ctx):
        try:
            problems += [f"{label}body: {p}" for p in answer.json_departures]
        except NotJSON:
            continue  # content_type_conformance and read_back say so
    if problems:
        raise CheckFailed("; ".join(problems) + " (Python reads it; stricter clients refuse it)")


@check(severity=Severity.WARN, applies=answered)
def repeated_member_names(ctx: Context) -> None:
    """No object in a body names a member twice (RFC 8259: names should be unique; readers differ on which wins)."""
    found = []
    for label, answer in _bodies(ctx):
        try:
            found += [f"{label}{name}" for name in answer.repeated_names]
        except NotJSON:
            continue
    if found:
        raise CheckFailed(f"member names given twice in one object: {', '.join(found)}", tuple(found))


def _parses(ctx: Context) -> bool:
    try:
        ctx.response.json  # noqa: B018 - parsing is the question
    except NotJSON:
        return False  # content_type_conformance reports it
    return True


@check(applies=lambda ctx: ctx.status == 201 and _parses(ctx))
def response_schema_conformance(ctx: Context) -> None:
    """A 201 body validates against the Conversation schema (types, required, formats)."""
    problems = schema_problems(ctx.state.contract, "conversation", ctx.body)
    if problems:
        raise CheckFailed("201 body does not match the Conversation schema: " + "; ".join(problems))


# --- the error contract -----------------------------------------------------------------------


@check(applies=is_error)
def error_body_conformance(ctx: Context) -> None:
    """Error bodies carry an int32 code, a non-blank message, a more_info link, and the HTTP status as status."""
    body = ctx.body
    if not isinstance(body, dict):
        raise CheckFailed(f"{ctx.status} body is not a JSON object: {shown(_text(ctx.response.response_body))}")
    problems = schema_problems(ctx.state.contract, "error", body)
    if "status" in body and body.get("status") != ctx.status:
        problems.append(f"status field is {shown(body.get('status'))} but the HTTP status is {ctx.status}")
    more_info = body.get("more_info")
    if isinstance(more_info, str) and not _is_link(more_info):
        problems.append(f"more_info is {shown(more_info)}, not a link to the error's reference")
    if isinstance(body.get("message"), str) and not body["message"].strip():
        problems.append("message is blank, not a message for people")
    for key in ("code", "status"):  # the docs type both int32
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
            problems.append(f"{key} {value} does not fit the documented int32")
    if problems:
        raise CheckFailed(f"{ctx.status} error body: " + "; ".join(problems))


def _text(body: bytes) -> str:
    """A body that is not JSON, as text a message can quote (undecodable bytes as U+FFFD)."""
    return body[:200].decode("utf-8", errors="replace")


def _is_link(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@check(applies=is_error)
def error_code_conformance(ctx: Context) -> None:
    """An error's code is the one the docs state for its status (401: 20003), and that code means nothing else."""
    if ctx.status in vendor.STATED_ERROR_CODES:
        _compare_code(ctx, vendor.STATED_ERROR_CODES, "the docs state")
        return
    code = ctx.body.get("code") if isinstance(ctx.body, dict) else None
    meaning = {code: status for status, code in vendor.STATED_ERROR_CODES.items()}
    if code in meaning:
        raise CheckFailed(f"{ctx.status} carries code {code}, which the docs give to a {meaning[code]}")


@check(severity=Severity.WARN, applies=lambda ctx: is_error(ctx) and ctx.status in vendor.EXAMPLE_ERROR_CODES)
def error_code_examples(ctx: Context) -> None:
    """An error's code is the docs' example for its status (400: 20001, 404: 20404, 429: 20429), more_info its page."""
    _compare_code(ctx, vendor.EXAMPLE_ERROR_CODES, "the docs' example is")
    body = ctx.body if isinstance(ctx.body, dict) else {}
    code, more_info = body.get("code"), body.get("more_info")
    if isinstance(code, int) and isinstance(more_info, str) and more_info != vendor.more_info_url(code):
        raise CheckFailed(f"more_info is {shown(more_info)}; the docs' example links the code's page, "
                          f"{shown(vendor.more_info_url(code))}")  # fmt: skip


def _compare_code(ctx: Context, codes: dict[int, int], source: str) -> None:
    body = ctx.body
    code = body.get("code") if isinstance(body, dict) else None
    expected = codes[ctx.status or 0]
    if code != expected:
        carried = "no code" if code is None else f"code {shown(code)}"
        raise CheckFailed(f"{ctx.status} carries {carried}; {source} {expected}")


@check(applies=lambda ctx: ctx.status == 409)
def conflict_header(ctx: Context) -> None:
    """A 409 names the resource it conflicts with in X-Conflicting-Resource-Id."""
    if not ctx.response.response_headers.get(vendor.CONFLICTING_RESOURCE_ID_HEADER.lower()):
        raise CheckFailed(f"409 without an {vendor.CONFLICTING_RESOURCE_ID_HEADER} header")
