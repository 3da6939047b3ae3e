"""A conformance run: plan the cases, send them, check every response, collect the results."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from conformance.contract.schemas import Contract, load_contract
from conformance.interrupts import INTERRUPTS
from conformance.judge.checks import CHECKS, RunState
from conformance.judge.verdicts import CaseResult, judge
from conformance.kinds import Account, CaseKind, CaseOutcome
from conformance.plan.access import NeverCreated, never_created_id
from conformance.plan.cases import (
    CREATED_ACCOUNT_ID,
    CREATED_BY_SECOND,
    CREATED_ID,
    CREATED_IDS,
    CREATED_PARTICIPANT_ID,
    Case,
    CasePlan,
    build_plan,
)
from conformance.plan.cross_account import compared_with_never_created, crosses
from conformance.plan.planner import drawn
from conformance.record.results import RunResult
from conformance.record.run_record import RunPolicy, now
from conformance.send.client import BudgetExhausted, Client, Limits, Stopped
from conformance.send.exchange import Exchange
from conformance.send.targets import SECOND_ACCOUNT_MISSING, SECOND_CONFIGURATION_MISSING, SetupError, Target
from conformance.send.transport import NOT_THE_API
from conformance.settings import NOT_THE_API_STREAK, UNAVAILABLE_STREAK, RunOptions
from conformance.vendor import ACCOUNT_SID_PREFIX, PARTICIPANT_ID_PREFIX

STOPPED_NOT_THE_API = f"{NOT_THE_API_STREAK} answers in a row were not the API's own"
STOPPED_UNAVAILABLE = f"the target was unavailable for the first {UNAVAILABLE_STREAK} cases (503 or no answer)"
ProgressCallback = Callable[[int, int, CaseResult], None]


class Sink(Protocol):
    """Where judged cases go as they are judged (the results stream, the recording)."""

    def start(self, result: RunResult) -> None:
        """The run is about to send its first case; ``result`` says what the run is."""

    def case(self, result: CaseResult) -> CaseResult:
        """One judged (or unsent) case, in plan order, once; returns it as outputs show it (redacted)."""


def plan_for(target: Target, options: RunOptions, contract: Contract | None = None,
             ledger: Mapping[str, str] | None = None) -> CasePlan:  # fmt: skip
    """The run's plan (rotated by a coverage ledger when given: ``CasePlan``), this shard's share of it."""
    plan = build_plan(contract or load_contract(), target.configuration_id, options.seed, options.max_examples,
                      target.forms, target.second_forms, target.second.configuration_id if target.second else None,
                      ledger)  # fmt: skip
    return plan.shard(*options.shard) if options.shard else plan


# Why a case that reads a created conversation (its participant, the second account's) was not sent: nothing this
# run (or this shard, or a lone reproduce) created it before the case came up.
NOTHING_CREATED = "not run: it reads what an earlier case of the run creates, and no earlier case created it"


class Runner:
    """Sends a plan's cases to a target through one client and checks each answer."""

    def __init__(self, target: Target, options: RunOptions, client: Client | None = None,
                 contract: Contract | None = None) -> None:  # fmt: skip
        self.target = target
        self.options = options
        self.contract = contract or load_contract()
        self.client = client or Client(target, Limits(options.max_requests, options.rate))
        self.state = RunState(self.contract, target.account_sid, clock_skew_s=options.clock_skew_s,
                              severities=dict(options.severities),
                              second_account_sid=target.second.account_sid if target.second else None)  # fmt: skip
        # placeholder -> what cases that read "a created conversation" (its participant, its account, the second
        # account's conversation) read
        self.created: dict[str, str] = {}
        self._stopping = False  # interrupted: send nothing more, judge what was sent

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
            started_at=now(),
            shard=f"{self.options.shard[0]}/{self.options.shard[1]}" if self.options.shard else None,
            check_names={
                c.name: (self.state.severities.get(c.name, c.severity), c.description)
                for c in CHECKS.values()
                if self.options.checks is None or c.name in self.options.checks
            },
            credential_forms=list(self.target.forms),
            policy=RunPolicy.of(self.options, self.target.name),
            time_budget_s=self.options.max_time_s,
            # What the plan holds per family; what the run never draws is counted from it, not listed case by case.
            families=plan.planned() if self.options.max_time_s is None else dict.fromkeys(plan.planned()),
        )
        if plan.ledger is not None:  # the order came from the history: what it was, so the run can be explained
            result.policy.rotation = dict(plan.ledger)
        if sink is not None:
            sink.start(result)
        taken, total = 0, len(plan)  # cases of the plan handed on so far, of how many

        def accept(case_result: CaseResult) -> CaseResult:
            if sink is not None:
                return sink.case(case_result)
            result.add(case_result, self.contract)
            return case_result

        judged = self._run_cases(plan, result)
        try:
            for case_result in judged:
                taken += 1
                shown = accept(case_result)
                if progress:
                    progress(taken, total, shown)
                INTERRUPTS.raise_pending()  # one that waited while the case was judged
        except KeyboardInterrupt:
            INTERRUPTS.delivered()
            result.interrupted = self._stopping = True
            try:
                for case_result in judged:  # the cases already sent: judged and kept (nothing new is sent)
                    taken += 1
                    accept(case_result)
            except KeyboardInterrupt:  # a second Ctrl-C: stop judging; the reports are still written from what is there
                INTERRUPTS.delivered()
        finally:
            result.requests = self.client.sent
            result.finished_at = now()
            result.duration_s = time.monotonic() - started
        return result

    def _run_cases(self, plan: CasePlan, result: RunResult) -> Iterator[CaseResult]:
        """Judged cases in plan order. Up to ``workers`` are sent at once by a thread pool while this thread
        draws the next ones and judges the finished ones in order, so the run-wide checks (unique ids, one
        account) see the same sequence whatever the timing."""
        deadline = None if self.options.max_time_s is None else time.monotonic() + self.options.max_time_s
        window = 1 if self.options.workers <= 1 else self.options.workers * 4
        pool = ThreadPoolExecutor(self.options.workers, "send") if self.options.workers > 1 else None
        in_flight: deque[tuple[Case, Future[Sent] | Sent | BudgetExhausted | Stopped | Unsendable]] = deque()
        answered = False  # a case sent so far got an answer (a first case without one: no target to speak of)
        foreign = 0  # answers in a row that were not the API's own (an HTML page, a gateway)
        unserved = 0  # cases the target did not serve (still 503 after every retry, or no answer), while none was
        cases = drawn(plan) if self.options.draw_apart else iter(plan)

        def dispatch(case: Case) -> None:
            reason = self.unrunnable(case)  # before it is filled: the path says whose conversation it reads
            case = self._filled(case)
            if reason is not None:
                in_flight.append((case, Unsendable(reason)))
                return
            if pool is not None:
                in_flight.append((case, pool.submit(self._send, case)))
                return
            try:
                in_flight.append((case, self._send(case)))
            except (BudgetExhausted, Stopped) as exc:
                in_flight.append((case, exc))

        def settle() -> CaseResult:
            """The oldest case in flight, once it has come back, judged (taken off the queue only then)."""
            nonlocal answered, foreign, unserved
            case, pending = in_flight[0]  # taken off once it has come back: a Ctrl-C while waiting keeps it
            try:
                sent = pending.result() if isinstance(pending, Future) else pending
            except (BudgetExhausted, Stopped) as exc:
                sent = exc
            in_flight.popleft()
            if isinstance(sent, Unsendable):
                return CaseResult(case, CaseOutcome.NOT_RUN, reason=str(sent))
            if isinstance(sent, BudgetExhausted):
                result.stopped = "request budget spent"
                return CaseResult(case, CaseOutcome.NOT_RUN, reason="request budget spent")
            if isinstance(sent, Stopped):
                return CaseResult(case, CaseOutcome.NOT_RUN, reason="interrupted")
            exchange, fetched = sent
            if not answered and exchange.status is None:
                raise SetupError(f"target {self.target.base_url} unreachable: {exchange.error}")
            answered = True
            verdict = self._verdict(case, exchange, fetched)
            foreign = foreign + 1 if (verdict.reason or "").startswith(NOT_THE_API) else 0
            if foreign >= NOT_THE_API_STREAK and result.stopped is None:
                result.stopped = STOPPED_NOT_THE_API  # the rest would only meet the same page, at the run's rate
            unserved = unserved + 1 if unserved >= 0 and exchange.status in (None, 503) else -1  # -1: one was served
            if unserved >= UNAVAILABLE_STREAK and result.stopped is None:
                result.stopped = STOPPED_UNAVAILABLE  # the rest would only wait out the same backoff, case by case
            return verdict

        interrupted_here = False
        per_case = 2 * (self.client.limits.retries + 1)  # the most requests one case (and its read-back) can take
        try:
            while not self._stopping:
                while result.stopped is None and len(in_flight) < window:
                    # Near the end of a request budget, one case at a time: which cases the budget reaches (and
                    # which get their read-back) must not depend on which sender was quicker.
                    remaining = self.client.remaining
                    if in_flight and remaining is not None and remaining < (len(in_flight) + 1) * per_case:
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        result.stopped = "time budget spent"  # the rest of a time-boxed plan: not drawn, not listed
                        break
                    case = next(cases, None)
                    if case is None:
                        break
                    # A case that reads "a created conversation" waits for the cases before it, so it reads the
                    # same one it would in a sequential run: the first created, in plan order.
                    while in_flight and self.reads_uncreated(case):
                        yield settle()
                    dispatch(case)
                if not in_flight:
                    break
                yield settle()
        except KeyboardInterrupt:
            INTERRUPTS.delivered()
            interrupted_here = self._stopping = True
        try:
            if self._stopping:
                # Interrupted: nothing new goes out, waits end, and what was already sent is judged and kept,
                # in plan order; cases whose sending had not started are left to be listed as not run.
                self.client.stop()
                for _case, pending in in_flight:
                    if isinstance(pending, Future):
                        pending.cancel()
                while in_flight and not (isinstance(in_flight[0][1], Future) and in_flight[0][1].cancelled()):
                    yield settle()
                if interrupted_here:
                    raise KeyboardInterrupt
                return
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            close = getattr(cases, "close", None)
            if close is not None:
                close()  # a plan drawn in a child process stops its child

    def _send(self, case: Case) -> Sent:
        """The case's request and, when it created a conversation and the budget allows, its read-back; after a
        read of another account's conversation, the same caller's GET of an id never created (what it must match)."""
        compared = compared_with_never_created(case)
        if compared and self.client.remaining is not None and self.client.remaining < 2:
            raise BudgetExhausted()  # judged only beside its GET of an id never created: both fit, or neither goes
        exchange = self.client.send_case(case)
        if compared and (self.client.remaining is None or self.client.remaining > 0):
            never = never_created_id(self.options.seed, NeverCreated.COMPARED)
            try:
                return exchange, self.client.fetch(never, case.credentials, case.account)
            except (BudgetExhausted, Stopped):
                return exchange, None
        created = exchange.created_id
        if created and (self.client.remaining is None or self.client.remaining > 0):
            try:
                return exchange, self.client.fetch(created, case.credentials, case.account)
            except (BudgetExhausted, Stopped):  # another sender took the last of the budget, or interrupted
                pass
        return exchange, None

    def run_case(self, case: Case) -> CaseResult:
        """Send one case (retries, read-back) and check it; every answered attempt rides on its exchanges."""
        reason = self.unrunnable(case)
        case = self._filled(case)
        if reason is not None:
            return CaseResult(case, CaseOutcome.NOT_RUN, reason=reason)
        return self._verdict(case, *self._send(case))

    def unrunnable(self, case: Case) -> str | None:
        """Why the case cannot be sent to this target (it needs a second account, or one with a configuration), or
        cannot be judged yet: it reads what an earlier case creates, and none did. Reading an id never created
        instead would answer 404 and pass without testing anything (an auth case's 401 holds either way)."""
        if crosses(case):
            if self.target.second is None:
                return SECOND_ACCOUNT_MISSING
            creates = case.account == Account.SECOND and case.expected_status == 201
            if self.target.second.configuration_id is None and (creates or CREATED_BY_SECOND in case.path):
                return SECOND_CONFIGURATION_MISSING
        if case.kind != CaseKind.AUTH and self.reads_uncreated(case):
            return NOTHING_CREATED
        return None

    def reads_uncreated(self, case: Case) -> list[str]:
        """What the case reads that no case judged so far has created (placeholders of its path)."""
        return [placeholder for placeholder in case.reads_created if placeholder not in self.created]

    def _filled(self, case: Case) -> Case:
        """The case, reading the first conversation (its participant, its account) this run created, or the first
        its second account created, when it asks for one; or one never created."""
        if not case.reads_created:
            return case
        seed = self.options.seed
        never = {CREATED_ID: never_created_id(seed, NeverCreated.CONVERSATION),
                 CREATED_PARTICIPANT_ID: never_created_id(seed, NeverCreated.PARTICIPANT, PARTICIPANT_ID_PREFIX),
                 CREATED_ACCOUNT_ID: never_created_id(seed, NeverCreated.ACCOUNT, ACCOUNT_SID_PREFIX),
                 CREATED_BY_SECOND: never_created_id(seed, NeverCreated.SECOND_CONVERSATION)}  # fmt: skip
        return case.with_created({**never, **self.created})

    def _verdict(self, case: Case, exchange: Exchange, fetched: Exchange | None) -> CaseResult:
        if case.account == Account.SECOND:
            if CREATED_BY_SECOND not in self.created and exchange.created_id:
                self.created[CREATED_BY_SECOND] = exchange.created_id
        elif exchange.created_id and any(placeholder not in self.created for placeholder in CREATED_IDS):
            for placeholder, named in CREATED_IDS.items():
                value = named(exchange.created or {})
                if placeholder not in self.created and isinstance(value, str) and value:
                    self.created[placeholder] = value
        with INTERRUPTS.held():  # a Ctrl-C waits until the case is judged and handed on, never lost in between
            return judge(case, exchange, fetched, self.state, self.options.checks)


Sent = tuple[Exchange, Exchange | None]  # a case's request and its read-back, as they came back


class Unsendable(Exception):
    """The case cannot go to this target; the message says why (it is listed as not run)."""
