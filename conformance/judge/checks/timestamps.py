"""Checks on a created conversation's timestamps: in order, and close to when the request was sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conformance.judge.checks.registry import (
    CheckFailed,
    Context,
    check,
    instant,
    timestamped,
)


@check(applies=lambda ctx: ctx.created is not None)
def timestamp_order(ctx: Context) -> None:
    """createdAt is not after updatedAt, for the conversation and each participant."""
    problems = []
    for where, item in timestamped(ctx.created or {}):
        created, updated = instant(item.get("createdAt")), instant(item.get("updatedAt"))
        if created and updated and created > updated:
            problems.append(f"{where}createdAt {item['createdAt']} is after {where}updatedAt {item['updatedAt']}")
    if problems:
        raise CheckFailed("; ".join(problems))


@check(applies=lambda ctx: ctx.created is not None and ctx.response.sent_at is not None)
def timestamp_freshness(ctx: Context) -> None:
    """createdAt and updatedAt fall within the clock-skew tolerance of the request, on create and on read-back."""
    skew = ctx.state.clock_skew_s
    sent_at = ctx.response.sent_at or 0.0
    problems = _stale(ctx.created or {}, "", sent_at - skew, (ctx.response.received_at or sent_at) + skew)
    fetched = ctx.fetched_body
    if fetched is not None and ctx.fetched is not None and ctx.fetched.received_at is not None:
        problems += _stale(fetched, "read-back ", sent_at - skew, ctx.fetched.received_at + skew)
    if problems:
        raise CheckFailed(f"{'; '.join(problems)} (tolerance {skew:g} s; --clock-skew changes it)")


def _stale(body: dict[str, Any], label: str, earliest: float, latest: float) -> list[str]:
    problems = []
    for where, item in timestamped(body):
        for key in ("createdAt", "updatedAt"):
            moment = instant(item.get(key))
            if moment is None:
                continue
            at = moment.timestamp()
            if not earliest <= at <= latest:
                side, gap = ("before", earliest - at) if at < earliest else ("after", at - latest)
                problems.append(f"{label}{where}{key} {item[key]} is {_duration(gap)} {side} the window around the "
                                f"request ({_iso(earliest)} .. {_iso(latest)})")  # fmt: skip
    return problems


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
