"""Confirmation: before the verdict, each failure group's representative case is sent again a few times.

A group whose case fails the same check every time it is re-sent is *confirmed*; one that passes at least once
is *intermittent* (a violation that comes and goes: still a violation, unless the gate policy says
``intermittent_fails = false``); one the request budget left no room to re-send is *unconfirmed*. Groups are the
digest's (check and cause), so each line of ``confirmation`` in results.json matches a group of the reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.interrupts import INTERRUPTS
from conformance.judge.coverage import Confirmation
from conformance.judge.verdicts import CaseResult
from conformance.kinds import UNJUDGED, CheckOutcome
from conformance.plan.cases import Case
from conformance.record.results import RunResult
from conformance.report.digest import group_of, request_size
from conformance.run.runner import Runner, Sink
from conformance.send.client import BudgetExhausted, Stopped

RESENDS = 3  # times each group's representative is sent again
_JUDGED = frozenset({CheckOutcome.PASSED, CheckOutcome.FAILED})  # a verdict of the check: evidence either way


@dataclass(frozen=True)
class FailingGroup:
    key: str
    check: str
    cause: str
    case: Case  # the first failing case of the group, as it was sent (its created id filled in)


class FailingGroups:
    """A sink in front of the run's sinks: notes each failure group's first case on its way through."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.groups: dict[str, FailingGroup] = {}
        self.smallest: dict[str, tuple[int, Case]] = {}  # group -> (request size, its smallest case)

    def start(self, result: RunResult) -> None:
        self.sink.start(result)

    def case(self, result: CaseResult) -> CaseResult:
        shown = self.sink.case(result)  # grouped as the reports show it (redacted), re-sent as it was sent
        for key, check, cause in failing_keys(shown):
            self.groups.setdefault(key, FailingGroup(key, check, cause, result.case))
            exchange = shown.fetched if check == "read_back" and shown.fetched else shown.exchange
            size = request_size({"curl": exchange.curl() if exchange else None})  # the digest's measure
            if key not in self.smallest or size < self.smallest[key][0]:  # ties: the first, as the digest picks
                self.smallest[key] = (size, result.case)
        return shown


def failing_keys(shown: CaseResult) -> Iterator[tuple[str, str, str]]:
    """(group key, check, cause) of each check a judged case failed, as the digest groups it (``shown``: redacted,
    as the reports see it)."""
    for check in shown.checks:
        if check.outcome == CheckOutcome.FAILED:
            exchange = shown.fetched if check.check == "read_back" and shown.fetched else shown.exchange
            status = exchange.status if exchange is not None else None
            failure = {"check": check.check, "message": check.message, "case": shown.case.id,
                       "response": {"status": status}}  # fmt: skip
            key, cause = group_of(failure, shown.case.expected_status)
            yield key, check.check, cause


def confirm(runner: Runner, groups: Iterable[FailingGroup], resends: int = RESENDS) -> list[dict[str, Any]]:
    """Each group's case sent again up to ``resends`` times, while the request budget lasts; what each showed.
    A re-send left inconclusive (throttled, unanswered), or on which the group's check did not run (its read-back
    did not fit the budget), counts neither way: only a judged re-send can call a failure intermittent."""
    confirmed = []
    for group in groups:
        resent = failed = 0
        for _ in range(resends):
            try:
                again = runner.run_case(group.case)
            except (BudgetExhausted, Stopped):
                break
            INTERRUPTS.raise_pending()  # a signal that waited while the re-sent case was judged
            judged = [r.outcome for r in again.checks if r.check == group.check and r.outcome in _JUDGED]
            if again.outcome in UNJUDGED or not judged:
                continue  # the group's check did not run on this re-send (no read-back left, say): no evidence
            resent += 1
            failed += judged[0] == CheckOutcome.FAILED
        status = (Confirmation.UNCONFIRMED if not resent else
                  Confirmation.CONFIRMED if failed == resent else Confirmation.INTERMITTENT)  # fmt: skip
        confirmed.append({"check": group.check, "cause": group.cause, "case": group.case.id, "resent": resent,
                          "failed": failed, "status": status.value})  # fmt: skip
    return confirmed
