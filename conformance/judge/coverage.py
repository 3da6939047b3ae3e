"""What a run judged: its case families, counted case by case, and the verdict they allow.

A *case family* is a case id up to its last ``/``: ``valid/0003`` is of ``valid``, ``valid/edge/02`` of
``valid/edge``, ``invalid/participants.maxItems/1`` of ``invalid/participants.maxItems``,
``auth/create/wrong_secret/api_key`` of ``auth/create/wrong_secret``, ``not_found/0`` of ``not_found`` (the
README's table of families lists them; cassettes are filed by the same name). A family is *judged* when at
least one of its cases got a verdict (passed or failed): a case left inconclusive, unsent or never drawn
judged nothing. A run is PASSED only when no check failed and every family its plan holds was judged.

Light on purpose (no contract, no Hypothesis): the results stream and the report commands use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from conformance.kinds import CaseOutcome, family_of


class Verdict(StrEnum):
    """A run's verdict, in ``results.json`` (``verdict``) and, upper case, on every report and the console."""

    PASSED = "passed"  # no check failed, and every case family was judged
    FAILED = "failed"  # a check failed (confirmed or intermittent: the gate policy may excuse the latter)
    UNDECIDED = "undecided"  # nothing failed, but the answers left part of the contract unjudged (throttled)
    INCOMPLETE = "incomplete"  # nothing failed, but some case families were never judged (a budget, a shard)
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM or a kill: whatever was judged, the run did not finish


class Confirmation(StrEnum):
    """What re-sending a failure group's representative case showed (``confirmation`` in results.json)."""

    CONFIRMED = "confirmed"  # it failed the same check every time it was sent again
    INTERMITTENT = "intermittent"  # it passed at least once: a flaky violation (still a violation by default)
    UNCONFIRMED = "unconfirmed"  # the request budget left nothing to re-send it with


EXIT_CODES: Mapping[Verdict, int] = {Verdict.PASSED: 0, Verdict.FAILED: 1, Verdict.UNDECIDED: 2,
                                     Verdict.INCOMPLETE: 3, Verdict.INTERRUPTED: 130}  # fmt: skip
LISTED_FAMILIES = 12  # families named on one line (console, gate); the reports list them all


def verdict(*, interrupted: bool, failed: bool, undecided: bool, unjudged: int) -> Verdict:
    """The verdict from what the run found, worst first: an interrupted run never reads PASSED."""
    if interrupted:
        return Verdict.INTERRUPTED
    if failed:
        return Verdict.FAILED
    if undecided:
        return Verdict.UNDECIDED
    return Verdict.INCOMPLETE if unjudged else Verdict.PASSED


def named(families: list[str], limit: int = LISTED_FAMILIES) -> str:
    """Families on one line: the first ``limit``, and how many more."""
    more = f" and {len(families) - limit} more" if len(families) > limit else ""
    return ", ".join(families[:limit]) + more


class Coverage:
    """Cases per family, fed case by case from any pass over the cases (the stream's, a replay's), keeping
    counts only. ``planned`` is what the run's plan holds per family (None for a family of an endless,
    time-boxed plan); the planned cases never seen were never drawn.

    It also says whether the answers left part of the contract unjudged (``undecided``): most cases, or every
    case of a family, inconclusive."""

    def __init__(self, planned: Mapping[str, int | None] | None = None) -> None:
        self.planned = dict(planned or {})
        self.families: dict[str, dict[str, int]] = {name: _row() for name in self.planned}
        self.sent = self.stuck = 0
        self.first = ""  # the first inconclusive case's reason
        self.reasons: dict[str, str] = {}  # family -> its first inconclusive case's reason

    def add(self, case: Mapping[str, Any]) -> None:
        name = family_of(case["id"])
        row = self.families.setdefault(name, _row())
        row[_counted_as(case)] += 1
        if case["outcome"] == CaseOutcome.INCONCLUSIVE:
            self.stuck += 1
            self.first = self.first or case["reason"] or ""
            self.reasons.setdefault(name, case["reason"] or "")
        if case["outcome"] != CaseOutcome.NOT_RUN:
            self.sent += 1

    def table(self) -> dict[str, dict[str, int | None]]:
        """results.json's ``families``: per family, the cases planned, judged (passed, failed), inconclusive,
        listed as not run, and never drawn (None when the plan had no end)."""
        out: dict[str, dict[str, int | None]] = {}
        for name, row in self.families.items():
            planned = self.planned.get(name, sum(row.values()))
            seen = sum(row.values())
            out[name] = {"planned": planned, **row, "not_drawn": None if planned is None else max(0, planned - seen)}
        return out

    def unjudged(self) -> list[str]:
        """The families no case of which got a verdict, in plan order."""
        return unjudged(self.families)

    def undecided(self) -> str | None:
        """One line when the answers left part of the contract unjudged, or None."""
        if self.sent and self.stuck * 2 > self.sent:
            return f"{self.stuck} of {self.sent} cases could not be judged (first: {self.first})"
        for name, row in self.families.items():
            sent = row["passed"] + row["failed"] + row["inconclusive"]
            if sent > 1 and row["inconclusive"] == sent:
                return f"every case of {name} ({sent}) could not be judged ({self.reasons[name]})"
        return None


def unjudged(families: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The families of a ``families`` table no case of which got a verdict (passed or failed)."""
    return [name for name, row in families.items() if not (row["passed"] or row["failed"])]


def summary(families: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """results.json's ``coverage``: how many families, how many judged, and the others by name."""
    missed = unjudged(families)
    return {"families": len(families), "judged": len(families) - len(missed), "unjudged": missed}


def merged(tables: list[Mapping[str, Mapping[str, int | None]]]) -> dict[str, dict[str, int | None]]:
    """The ``families`` tables of a run's shards as one: each family's counts summed (None stays unknown)."""
    out: dict[str, dict[str, int | None]] = {}
    for table in tables:
        for name, row in table.items():
            into = out.setdefault(name, dict.fromkeys(row, 0))
            for key, value in row.items():
                into[key] = None if value is None or into.get(key) is None else into[key] + value  # type: ignore[operator]
    return out


def _row() -> dict[str, int]:
    return {"passed": 0, "failed": 0, "inconclusive": 0, "not_run": 0, "unchecked": 0}


def _counted_as(case: Mapping[str, Any]) -> str:
    """A case's outcome as its family counts it: a case that "passed" because no check it ran applied (a
    ``--checks`` list that leaves them all out) is ``unchecked``, so it judges nothing."""
    if case["outcome"] == CaseOutcome.PASSED and not (case.get("passed_checks", True) or case.get("warned_checks")):
        return "unchecked"
    return str(case["outcome"])


def coverage_line(document: Mapping[str, Any]) -> str | None:
    """One line naming the families a run did not judge, or None (a document from before families were kept)."""
    summary = document.get("coverage")
    if not summary or not summary["unjudged"]:
        return None
    return (f"{len(summary['unjudged'])} of {summary['families']} case families not judged: "
            f"{named(summary['unjudged'])}")  # fmt: skip
