"""Checks on isolation between accounts: one account never reaches another's conversations or configurations.

The docs make every resource belong to an account, and the vendor's error model answers a resource the caller
cannot see with 404. A read of another account's conversation must also tell the caller nothing a read of an id
that never existed would not: the same status, code and body members (a different message is an existence oracle).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from conformance.judge.checks.registry import CheckFailed, Context, answered, check, shown, why
from conformance.kinds import CaseKind, Severity
from conformance.send.exchange import Exchange, NotJSON
from conformance.vendor import CONVERSATION_ID_PREFIX

_ID = re.compile(re.escape(CONVERSATION_ID_PREFIX) + "[0-9A-Za-z]+")  # a conversation id, masked in messages


def _baseline(ctx: Context) -> Exchange | None:
    """The same caller's GET of an id never created, sent after a cross-account read to compare it with."""
    fetched = ctx.fetched if ctx.case.kind == CaseKind.CROSS_ACCOUNT and ctx.case.method == "GET" else None
    return fetched if fetched is not None and fetched.status is not None else None


def _error(exchange: Exchange) -> dict[str, Any] | None:
    try:
        body = exchange.json
    except NotJSON:
        return None
    return body if isinstance(body, dict) else None


@check(kinds={CaseKind.CROSS_ACCOUNT}, applies=answered)
def cross_account_isolation(ctx: Context) -> None:
    """Another account's conversation or configuration is 404 with the vendor error body, as if it never existed."""
    expected_status = ctx.case.expected_status
    if ctx.status != expected_status:
        consequence = {403: " (403 tells the caller the resource exists)"}.get(ctx.status or 0, "")
        if ctx.status is not None and ctx.status < 300:
            consequence = " (the other account's data was handed over)"
        raise CheckFailed(f"expected {expected_status} for {ctx.case.description}, got {ctx.status}{consequence}"
                          f"{why(ctx)}")  # fmt: skip
    body = _error(ctx.response)
    if body is None or not isinstance(body.get("code"), int):
        raise CheckFailed(f"{expected_status} for {ctx.case.description} without the vendor error body")
    baseline = _baseline(ctx)
    if baseline is None:
        return
    expected = _error(baseline) or {}
    problems = []
    if baseline.status != ctx.status:
        problems.append(f"status {ctx.status}, a GET of an id never created got {baseline.status}")
    if expected.get("code") != body.get("code"):
        problems.append(f"code {shown(body.get('code'))}, a GET of an id never created got "
                        f"{shown(expected.get('code'))}")  # fmt: skip
    if set(expected) != set(body):
        problems.append(f"body members {sorted(body)}, a GET of an id never created got {sorted(expected)}")
    if problems:
        raise CheckFailed(f"{ctx.case.description} is told apart from an id that never existed: " + "; ".join(problems))


@check(severity=Severity.WARN, kinds={CaseKind.CROSS_ACCOUNT},
       applies=lambda ctx: ctx.status == ctx.case.expected_status and _baseline(ctx) is not None)  # fmt: skip
def existence_oracle(ctx: Context) -> None:
    """A read of another account's conversation has the message a read of an id that never existed has."""
    baseline = _baseline(ctx)
    assert baseline is not None
    got, expected = (_message(exchange) for exchange in (ctx.response, baseline))
    if got != expected:
        raise CheckFailed(f"message {shown(got)} for {ctx.case.description}, but {shown(expected)} for an id that "
                          f"never existed (GET {urlsplit(baseline.url).path}): the message tells the caller that "
                          "the conversation exists")  # fmt: skip


def _message(exchange: Exchange) -> Any:
    """The error message with the requested id taken out (each message may name the id it was asked for)."""
    message = (_error(exchange) or {}).get("message")
    return _ID.sub("{id}", message) if isinstance(message, str) else message
