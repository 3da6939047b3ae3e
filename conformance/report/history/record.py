"""A run's results document as a night of history: verdict, counts, latency per route, failure groups.

The groups are the digest's (one grouping for the digest, the diff labels, the history and the tickets): the
group key, check and cause with indices folded, is the signature a failure is followed by across nights.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conformance.kinds import family_of
from conformance.record.latency import latency_summary
from conformance.report.digest import Group, build_digest
from conformance.report.document import Document, headline
from conformance.report.history.store import PERCENTILES, GroupRecord, Night


def night_of(document: Document, at: datetime | None = None) -> Night:
    """The night ``document`` makes, dated ``at`` (default: when the run started)."""
    started = at or datetime.fromisoformat(document["started_at"].replace("Z", "+00:00"))
    return Night(
        run_id=document["run_id"],
        recorded_at=started if started.tzinfo else started.replace(tzinfo=UTC),
        verdict=headline(document),
        target=document["target"],
        seed=document.get("seed"),
        counts={name: value for name, value in document["counts"].items() if isinstance(value, int)},
        latency=route_latency(document),
        groups=tuple(_record(group) for group in build_digest(document).groups),
        families={name: bool(row["passed"] or row["failed"]) for name, row in (document.get("families") or {}).items()},
        checks=_allowed_checks(document),
    )


def route_latency(document: Document) -> dict[str, dict[str, float]]:
    """p50/p95/p99 per route from the cases: a POST is the create route; a GET and every read-back, fetch."""
    samples: dict[str, list[float]] = {"create": [], "fetch": []}
    for case in document["cases"]:  # may be a view of the stream: one pass
        if case.get("elapsed_ms") is not None:
            samples["create" if case.get("method", "POST") == "POST" else "fetch"].append(case["elapsed_ms"])
        if case.get("fetched_elapsed_ms") is not None:
            samples["fetch"].append(case["fetched_elapsed_ms"])
    out = {}
    for route, values in samples.items():
        if values:
            summary = latency_summary(values)
            out[route] = {"count": summary["count"], **{p: summary[p] for p in PERCENTILES}}
    return out


def _allowed_checks(document: Document) -> tuple[str, ...] | None:
    """The --checks allow-list the run judged with (``policy.checks``), or None: every check ran."""
    checks = (document.get("policy") or {}).get("checks")
    return None if checks is None else tuple(checks)


def _record(group: Group) -> GroupRecord:
    families = tuple(dict.fromkeys(family_of(case) for case in group.case_ids))  # where it failed, in order
    return GroupRecord(group.key, group.check, group.cause, len(group.case_ids), group.representative["case"],
                       _confirmation(group), families)  # fmt: skip


def _confirmation(group: Group) -> str | None:
    """What re-sending the group concluded, when the run did (the group's or its representative's say)."""
    value: Any = getattr(group, "confirmation", None) or group.representative.get("confirmation")
    if isinstance(value, dict):
        value = value.get("status") or value.get("verdict")
    return value if isinstance(value, str) else None
