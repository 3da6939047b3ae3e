"""A conformance run: plan the cases, send them, check every response, collect the results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from conformance.access import never_created_id
from conformance.cases import Case, CasePlan, build_plan
from conformance.checks import CHECKS, DEFAULT_CLOCK_SKEW_S, CheckFailed, Context, RunState
from conformance.client import RETRY_STATUSES, BudgetExhausted, Client, Limits
from conformance.contract import Contract, load_contract
from conformance.exchange import Exchange
from conformance.results import CaseResult, CheckResult, RunResult
from conformance.targets import SetupError, Target
from conformance.transport import not_the_api

if TYPE_CHECKING:
    from conformance.cassettes.recording import Recorder

ProgressCallback = Callable[[int, int, CaseResult], None]


class Sink(Protocol):
    """Where judged cases go as they are judged (the results stream, the recording)."""

    def start(self, result: RunResult) -> None:
        """The run is about to send its first case; ``result`` says what the run is."""

    def case(self, result: CaseResult) -> None:
        """One judged (or unsent) case, in plan order, once."""


@dataclass(frozen=True)
class RunOptions:
    seed: int
    max_examples: int
    max_requests: int | None
    rate: float | None
    shard: tuple[int, int] | None = None  # (index, total), 1-based
    checks: frozenset[str] | None = None  # allow-list; None: all
    clock_skew_s: float = DEFAULT_CLOCK_SKEW_S  # how far the target's timestamps may stray from ours
    severities: Mapping[str, str] = field(default_factory=dict)  # check -> "fail" | "warn", the user's policy
    max_time_s: float | None = None  # a time-boxed run: draw and send until this is spent


def plan_for(target: Target, options: RunOptions, contract: Contract | None = None) -> CasePlan:
    plan = build_plan(contract or load_contract(), target.configuration_id, options.seed, options.max_examples,
                      target.forms)  # fmt: skip
    return plan.shard(*options.shard) if options.shard else plan


def run_checks(case: Case, exchange: Exchange, fetched: Exchange | None, state: RunState,
               allowed: frozenset[str] | None = None) -> list[CheckResult]:  # fmt: skip
    """Every registered check against one case's response (used by runs, replay and pytest)."""
    context = Context(case, exchange, state, fetched)
    results = []
    for check in CHECKS.values():
        if allowed is not None and check.name not in allowed:
            continue
        severity = state.severities.get(check.name, check.severity)
        if not check.applies(context):
            results.append(CheckResult(check.name, severity, "skipped"))
            continue
        try:
            check.run(context)
        except CheckFailed as failure:
            outcome = "failed" if severity == "fail" else "warned"
            results.append(CheckResult(check.name, severity, outcome, failure.message, failure.findings))
        except Exception as exc:  # a response odd enough to trip a check is itself a finding
            message = f"check could not judge this response ({type(exc).__name__}: {exc})"
            results.append(CheckResult(check.name, severity, "failed", message))
        else:
            results.append(CheckResult(check.name, severity, "passed"))
    return results


class Runner:
    """Sends a plan's cases to a target through one client and checks each answer."""

    def __init__(self, target: Target, options: RunOptions, client: Client | None = None,
                 contract: Contract | None = None, recorder: Recorder | None = None) -> None:  # fmt: skip
        self.target = target
        self.options = options
        self.contract = contract or load_contract()
        self.client = client or Client(target, Limits(options.max_requests, options.rate))
        self.state = RunState(self.contract, target.account_sid, clock_skew_s=options.clock_skew_s,
                              severities=dict(options.severities))  # fmt: skip
        self.created_example: str | None = None  # what cases that read "a created conversation" read
        self.recorder = recorder
        if recorder is not None:
            self.client.observer = recorder.observe

    def run(self, plan: CasePlan, run_id: str, progress: ProgressCallback | None = None,
            sink: Sink | None = None) -> RunResult:  # fmt: skip
        """Send the plan's cases as they are drawn; each judged case goes to ``sink`` (without one, into the
        returned result's ``cases``)."""
        started = time.monotonic()
        result = RunResult(
            run_id=run_id,
            target=self.target.name,
            base_url=self.target.base_url,
            seed=plan.seed,
            max_examples=self.options.max_examples,
            started_at=_now(),
            shard=f"{self.options.shard[0]}/{self.options.shard[1]}" if self.options.shard else None,
            check_names={
                c.name: (self.state.severities.get(c.name, c.severity), c.description)
                for c in CHECKS.values()
                if self.options.checks is None or c.name in self.options.checks
            },
            credential_forms=list(self.target.forms),
            policy=_policy(self.options),
            time_budget_s=self.options.max_time_s,
        )
        if sink is not None:
            sink.start(result)
        accept = sink.case if sink is not None else lambda case: result.add(case, self.contract)
        taken, total = 0, len(plan)  # cases of the plan handed on so far, of how many
        try:
            for case_result in self._run_cases(plan, result):
                taken += 1
                accept(case_result)
                if progress:
                    progress(taken, total, case_result)
        except KeyboardInterrupt:
            result.interrupted = True
            if self.options.max_time_s is None:  # a time-boxed plan may be endless: it is not listed
                for case in plan.unsent(taken):  # listed, not drawn
                    accept(CaseResult(case, "not_run", reason="interrupted"))
        finally:
            result.requests = self.client.sent
            result.finished_at = _now()
            result.duration_s = time.monotonic() - started
        return result

    def _run_cases(self, plan: CasePlan, result: RunResult) -> Iterator[CaseResult]:
        sent = 0
        deadline = None if self.options.max_time_s is None else time.monotonic() + self.options.max_time_s
        for case in plan:
            if deadline is not None and time.monotonic() >= deadline:
                result.stopped = "time budget spent"  # the rest of a time-boxed plan is neither drawn nor listed
                return
            try:
                case_result = self.run_case(case)
            except BudgetExhausted:
                result.stopped = "request budget spent"
                break
            if sent == 0 and case_result.exchange is not None and case_result.exchange.status is None:
                raise SetupError(f"target {self.target.base_url} unreachable: {case_result.exchange.error}")
            sent += 1
            yield case_result
        else:
            return
        for case in plan.unsent(sent):  # the budget bounds the drawing too: the rest are listed, not drawn
            yield CaseResult(case, "not_run", reason="request budget spent")

    def run_case(self, case: Case) -> CaseResult:
        """Send one case (retries, read-back), check it; recorded and redacted when there is a recorder."""
        if self.recorder is None:
            return self._run_case(case)
        self.recorder.begin(case)
        return self.recorder.end(self._run_case(case))

    def _run_case(self, case: Case) -> CaseResult:
        case = case.with_created(self.created_example or never_created_id(self.options.seed, 1000))
        exchange = self.client.send_case(case)
        fetched = None
        created = exchange.created_id
        if created and self.created_example is None:
            self.created_example = created
        if created and (self.client.remaining is None or self.client.remaining > 0):
            if self.recorder is not None:
                self.recorder.begin_fetch()
            fetched = self.client.fetch(created, case.credentials)
        return judge(case, exchange, fetched, self.state, self.options.checks)


def judge(case: Case, exchange: Exchange, fetched: Exchange | None, state: RunState,
          allowed: frozenset[str] | None = None) -> CaseResult:  # fmt: skip
    """The verdict on one case from what came back (used by runs and replay)."""
    if reason := not_the_api(exchange):
        return CaseResult(case, "inconclusive", exchange, reason=reason)
    if exchange.status is None:
        return CaseResult(case, "inconclusive", exchange, reason=f"no answer: {exchange.error}")
    if exchange.status in RETRY_STATUSES:
        return CaseResult(case, "inconclusive", exchange,
                          reason=f"still {exchange.status} after {exchange.attempts} attempts")  # fmt: skip
    unread = ""
    if fetched is not None and (fetched.status in RETRY_STATUSES or fetched.status is None or not_the_api(fetched)):
        # A throttled read-back, or not the API's answer: read_back is not judged, and the case says so.
        unread = not_the_api(fetched) or (
            f"read-back unanswered: {fetched.error}"
            if fetched.status is None
            else f"read-back still {fetched.status} after {fetched.attempts} attempts"
        )
        fetched = None
    checks = run_checks(case, exchange, fetched, state, allowed)
    if any(r.outcome == "failed" for r in checks):
        return CaseResult(case, "failed", exchange, fetched, checks)
    return CaseResult(case, "inconclusive" if unread else "passed", exchange, fetched, checks, reason=unread)


def _policy(options: RunOptions) -> dict[str, Any]:
    """What the user chose that differs from the docs' defaults (results.json keeps it, so it can be repeated)."""
    policy: dict[str, Any] = {}
    if options.severities:
        policy["severities"] = dict(options.severities)
    if options.clock_skew_s != DEFAULT_CLOCK_SKEW_S:
        policy["clock_skew_s"] = options.clock_skew_s
    return policy


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
