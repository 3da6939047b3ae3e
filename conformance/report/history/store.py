"""What the history keeps of one run (a night), and the one small interface a store implements.

A store records nights and hands them back in order; everything else (statuses, trends, tickets) is computed
from the nights it returns, so another backend (a shared server) needs only these three methods.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

ROUTES = ("create", "fetch")  # create: POST /v2/Conversations; fetch: GET /v2/Conversations/{id} (and read-backs)
PERCENTILES = ("p50", "p95", "p99")


class HistoryError(Exception):
    """The history cannot be used: one line that names the store."""


@dataclass(frozen=True)
class GroupRecord:
    """One failure group in one night: the digest's group key is its signature (check, cause, folded path)."""

    signature: str
    check: str
    cause: str
    cases: int  # failing cases in the group that night
    example: str  # the representative case id, for `conformance ticket` and reproduce
    confirmation: str | None = None  # "confirmed" | "intermittent" when the run re-sent the group; else None
    families: tuple[str, ...] = ()  # the case families of its failing cases (empty: recorded before they were kept)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["families"] = list(self.families)
        return data


@dataclass(frozen=True)
class Night:
    """One recorded run: its verdict as the reports print it, its counts, latency per route, its failure groups."""

    run_id: str
    recorded_at: datetime  # when the run started (or the date a test gives it), UTC
    verdict: str  # the headline: PASSED, FAILED, INTERRUPTED... whatever the reports say
    target: str
    seed: int | None
    counts: dict[str, int]
    latency: dict[str, dict[str, float]]  # route -> {count, p50, p95, p99}; a route with no answer is absent
    groups: tuple[GroupRecord, ...] = field(default_factory=tuple)
    families: dict[str, bool] = field(default_factory=dict)  # case family -> judged that night (results' families)
    checks: tuple[str, ...] | None = None  # the --checks allow-list it ran with (policy.checks); None: every check

    @property
    def day(self) -> str:
        return self.recorded_at.date().isoformat()

    @property
    def failing(self) -> frozenset[str]:
        return frozenset(group.signature for group in self.groups)

    @property
    def pass_rate(self) -> float | None:
        """Judged cases that passed, as a share (None when nothing was judged)."""
        counts = self.counts
        judged = counts["cases"] - counts.get("inconclusive", 0) - counts.get("not_run", 0)
        return counts.get("passed_cases", 0) / judged if judged > 0 else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recorded_at"] = self.recorded_at.isoformat()
        data["groups"] = [group.to_json() for group in self.groups]
        data["checks"] = None if self.checks is None else list(self.checks)
        return data


class HistoryStore(Protocol):
    """Where nights are kept. Recording a run again (same run id and start) replaces it, never duplicates it."""

    location: str

    def record(self, night: Night) -> None: ...

    def nights(self, last: int | None = None) -> list[Night]:
        """The recorded nights, oldest first; only the ``last`` ones when given."""
        ...

    def close(self) -> None: ...
