"""Checks on what the docs do not name. The docs' own policy decides the severity: an additive member or
header is reported (warn), a value outside a documented enum is a failure (child-properties, "Drift")."""

from __future__ import annotations

from conformance.contract.members import enum_drift_in, undocumented_in
from conformance.judge.checks.registry import CheckFailed, Context, answered, check
from conformance.kinds import Severity

# Headers any HTTP server or proxy may send: never vendor drift (RFC 9110 and 9111 fields, CORS, common transport).
STANDARD_HEADERS = frozenset({
    "accept-ranges", "access-control-allow-credentials", "access-control-allow-headers",
    "access-control-allow-methods", "access-control-allow-origin", "access-control-expose-headers",
    "access-control-max-age", "age", "allow", "alt-svc", "authentication-info", "cache-control", "connection",
    "content-encoding", "content-language", "content-length", "content-location", "content-range",
    "content-security-policy", "content-type", "date", "etag", "expires", "keep-alive", "last-modified", "link",
    "location", "pragma", "proxy-authenticate", "proxy-authentication-info", "referrer-policy", "retry-after",
    "server", "strict-transport-security", "trailer", "transfer-encoding", "upgrade", "vary", "via", "warning",
    "www-authenticate", "x-content-type-options", "x-frame-options", "x-xss-protection",
})  # fmt: skip


@check(severity=Severity.WARN, applies=lambda ctx: ctx.created is not None or ctx.fetched_body is not None)
def undocumented_fields(ctx: Context) -> None:
    """Response fields the docs do not name (additive vendor changes), on create and read-back."""
    found = set(undocumented_in(ctx.walked(ctx.created))) if ctx.created is not None else set()
    if ctx.fetched_body is not None:
        found |= set(undocumented_in(ctx.walked(ctx.fetched_body)))
    extra = sorted(found)
    if extra:
        raise CheckFailed(f"undocumented response fields: {', '.join(extra)}", tuple(extra))


@check(applies=lambda ctx: ctx.created is not None or ctx.fetched_body is not None)
def undocumented_enum_values(ctx: Context) -> None:
    """Enum values the docs do not list (a new status, participant type or channel), on create and read-back."""
    extra = set(enum_drift_in(ctx.walked(ctx.created))) if ctx.created is not None else set()
    if ctx.fetched_body is not None:
        extra |= set(enum_drift_in(ctx.walked(ctx.fetched_body)))
    if extra:
        found = sorted(extra)
        raise CheckFailed(f"values outside the documented enums: {', '.join(found)}", tuple(found))


@check(severity=Severity.WARN, applies=answered)
def undocumented_headers(ctx: Context) -> None:
    """Response headers neither the docs nor HTTP itself name."""
    path, method = ctx.operation
    documented = ctx.state.contract.documented_headers(path, method, ctx.status or 0)
    extra = sorted(name for name in ctx.response.response_headers if name not in STANDARD_HEADERS | documented)
    if extra:
        raise CheckFailed(f"undocumented response headers: {', '.join(extra)}", tuple(extra))
