"""The verdict on one case: every check against what came back, and the case's outcome from them.

One ``judge`` for every path a response can take: a run, replay, reproduce, parity, the pytest plugin and
schemathesis all judge through it, so the same answer gets the same verdict wherever it was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.judge.checks import CheckFailed, Context, RunState
from conformance.kinds import CaseOutcome, CheckOutcome, Severity
from conformance.send.client import RETRY_STATUSES
from conformance.send.exchange import Exchange
from conformance.send.transport import not_the_api

if TYPE_CHECKING:
    from conformance.plan.cases import Case


@dataclass
class CheckResult:
    check: str
    severity: Severity
    outcome: CheckOutcome
    message: str = ""
    findings: tuple[str, ...] = ()  # the items a drift check found (field paths, enum values, headers)


@dataclass
class CaseResult:
    case: Case
    outcome: CaseOutcome
    exchange: Exchange | None = None
    fetched: Exchange | None = None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""  # for inconclusive / not_run


def run_checks(case: Case, exchange: Exchange, fetched: Exchange | None, state: RunState,
               allowed: frozenset[str] | None = None) -> list[CheckResult]:  # fmt: skip
    """Every registered check against one case's response (through :func:`judge`, or alone for schemathesis); a
    check that cannot apply to the case's kind is skipped without being asked (``RunState.judging``)."""
    context = Context(case, exchange, state, fetched)
    results = []
    for judged in state.judging(case.kind, allowed):
        check, severity = judged.check, judged.severity
        if not (judged.can_apply and check.applies(context)):
            results.append(CheckResult(check.name, severity, CheckOutcome.SKIPPED))
            continue
        try:
            check.run(context)
        except CheckFailed as failure:
            results.append(CheckResult(check.name, severity, severity.failure, failure.message, failure.findings))
        except Exception as exc:  # a response odd enough to trip a check is itself a finding
            message = f"check could not judge this response ({type(exc).__name__}: {exc})"
            results.append(CheckResult(check.name, severity, CheckOutcome.FAILED, message))
        else:
            results.append(CheckResult(check.name, severity, CheckOutcome.PASSED))
    return results


def judge(case: Case, exchange: Exchange, fetched: Exchange | None, state: RunState,
          allowed: frozenset[str] | None = None) -> CaseResult:  # fmt: skip
    """The verdict on one case from what came back: every path reaches it (run, replay, reproduce, parity, plugins)."""
    if reason := not_the_api(exchange):
        return CaseResult(case, CaseOutcome.INCONCLUSIVE, exchange, reason=reason)
    if exchange.status is None:
        return CaseResult(case, CaseOutcome.INCONCLUSIVE, exchange, reason=f"no answer: {exchange.error}")
    if exchange.status in RETRY_STATUSES:
        return CaseResult(case, CaseOutcome.INCONCLUSIVE, exchange,
                          reason=f"still {exchange.status} after {exchange.attempts} attempts")  # fmt: skip
    unread, judged = "", fetched
    if fetched is not None and (fetched.status in RETRY_STATUSES or fetched.status is None or not_the_api(fetched)):
        # A throttled read-back, or not the API's answer: read_back is not judged, and the case says so
        # (the read-back stays on the result: it was sent, so it is recorded).
        unread = not_the_api(fetched) or (
            f"read-back unanswered: {fetched.error}"
            if fetched.status is None
            else f"read-back still {fetched.status} after {fetched.attempts} attempts"
        )
        judged = None
    checks = run_checks(case, exchange, judged, state, allowed)
    if any(r.outcome == CheckOutcome.FAILED for r in checks):
        return CaseResult(case, CaseOutcome.FAILED, exchange, fetched, checks)
    outcome = CaseOutcome.INCONCLUSIVE if unread else CaseOutcome.PASSED
    return CaseResult(case, outcome, exchange, fetched, checks, reason=unread)
