"""The parity pipeline: a recording in, every request re-sent to the emulator in order, differences out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from conformance.contract.schemas import Contract, load_contract
from conformance.judge.checks import RunState
from conformance.judge.verdicts import CaseResult, judge
from conformance.kinds import Account, AuthMode, CaseOutcome
from conformance.parity.compare import Difference, compare_answers, compare_verdicts
from conformance.parity.resend import Aliases, Endpoint, Resender, body_of, recorded_configuration
from conformance.plan.cross_account import compared_with_never_created
from conformance.record.cassettes.redaction import ACCOUNT_PLACEHOLDER
from conformance.record.run_record import RunPolicy
from conformance.run.replay import RecordedCase, Recording, judge_recorded, rebuild_case
from conformance.send.client import RETRY_STATUSES


@dataclass
class Skipped:
    case: str
    reason: str


@dataclass
class ParityResult:
    """What one parity run compared, and every difference it found (ungrouped, in the recorded order)."""

    recording: dict[str, object]  # run_id, target, seed... of the recording
    emulator_url: str
    cases: int = 0
    compared: int = 0  # cases whose answers were compared
    interactions: int = 0  # answers compared (requests and read-backs)
    differences: list[Difference] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # the fixed mapping used (configuration, account)
    duration_s: float = 0.0


def run_parity(recording: Recording, endpoint: Endpoint, contract: Contract | None = None) -> ParityResult:
    """Compare the emulator at ``endpoint`` with a recording; raises ``ReplayError`` for one it cannot read."""
    started = time.monotonic()
    meta = recording.meta
    contract = contract or load_contract()
    policy = RunPolicy.of_recording(meta)  # the run's checks, severities and clock skew judge both sides
    allowed = frozenset(policy.checks) if policy.checks is not None else None
    recorded_cases = list(recording.cases())  # read all first: an unreadable recording sends nothing
    fixed = {ACCOUNT_PLACEHOLDER: endpoint.account_sid}
    if isinstance(meta.get("account_id"), str):
        fixed[meta["account_id"]] = endpoint.account_sid
    configuration = recorded_configuration(recorded_cases)
    if configuration:
        fixed[configuration] = endpoint.configuration_id
    second = recorded_configuration(recorded_cases, Account.SECOND)
    if second and endpoint.second_configuration_id:
        fixed[second] = endpoint.second_configuration_id
    aliases = Aliases(fixed)
    result = ParityResult(
        recording={key: meta.get(key) for key in ("run_id", "target", "base_url", "seed", "max_examples")},
        emulator_url=endpoint.base_url,
        cases=len(recorded_cases),
        aliases={recorded: ours for recorded, ours in aliases.fixed.items() if recorded != ours},
    )
    vendor_state = RunState(contract, meta.get("account_id"), clock_skew_s=policy.skew,
                            severities=dict(policy.severities))  # fmt: skip
    emulator_state = RunState(contract, endpoint.account_sid, clock_skew_s=policy.skew,
                              severities=dict(policy.severities),
                              second_account_sid=endpoint.second.account_sid if endpoint.second else None)  # fmt: skip
    with _resender(endpoint, aliases) as resender:
        for recorded in recorded_cases:
            vendor = judge_recorded(recorded, vendor_state, allowed)
            if recorded.exchange is None or recorded.request is None or vendor.outcome == CaseOutcome.INCONCLUSIVE:
                result.skipped.append(Skipped(recorded.case.id, _why_skipped(recorded, vendor.reason)))
                continue
            if endpoint.credentials_of(recorded.case.account) is None:
                result.skipped.append(Skipped(recorded.case.id, "the emulator has no second account to send it as"))
                continue
            result.differences += _compare_case(recorded, vendor, resender, emulator_state, allowed, result)
    result.duration_s = time.monotonic() - started
    return result


@contextmanager
def _resender(endpoint: Endpoint, aliases: Aliases) -> Iterator[Resender]:
    resender = Resender(endpoint, aliases)
    try:
        yield resender
    finally:
        resender.close()


def _compare_case(recorded: RecordedCase, vendor: CaseResult, resender: Resender, state: RunState,
                  allowed: frozenset[str] | None, result: ParityResult) -> list[Difference]:  # fmt: skip
    assert recorded.exchange is not None and recorded.request is not None
    fixed = resender.aliases.fixed
    as_sent = recorded.case
    sent, answer = resender.send(recorded.request, as_sent.auth, as_sent.credentials, as_sent.authorization,
                                 as_sent.account)  # fmt: skip
    answer = replace(answer, cassette=recorded.exchange.cassette, interaction=recorded.exchange.interaction)
    case = rebuild_case(recorded.entry, sent, recorded.where, recorded.exchange.cassette or "", 0)
    differences = compare_answers(recorded.exchange, answer, recorded.case.id, fixed)
    result.compared += 1
    result.interactions += 1
    resender.aliases.learn(body_of(recorded.exchange), body_of(answer))
    fetched = None
    # Read back only what the vendor read back and answered (a read-back still throttled was left unjudged),
    # and only when the emulator created something to read (when it did not, the create's status says why);
    # a cross-account read's second request (a GET of an id never created) goes whatever the first got.
    vendor_read = recorded.fetched is not None and recorded.fetched.status not in (None, *RETRY_STATUSES)
    if (
        vendor_read
        and recorded.fetched is not None
        and recorded.fetch_request is not None
        and (answer.created_id or compared_with_never_created(as_sent))
    ):
        _sent, fetched = resender.send(recorded.fetch_request, AuthMode.VALID, as_sent.credentials, None,
                                       as_sent.account)  # fmt: skip
        fetched = replace(fetched, cassette=recorded.fetched.cassette, interaction=recorded.fetched.interaction)
        differences += compare_answers(recorded.fetched, fetched, recorded.case.id, fixed)
        result.interactions += 1
    if fetched is not None and fetched.status in RETRY_STATUSES:
        fetched = None  # as a run does: a throttled read-back is left unjudged
    emulator = judge(case, answer, fetched, state, allowed)
    return differences + compare_verdicts(vendor, emulator, fixed)


def _why_skipped(recorded: RecordedCase, reason: str) -> str:
    if recorded.entry.outcome == CaseOutcome.NOT_RUN:
        return f"not sent in the recording ({reason or 'no reason given'})"
    return f"the vendor gave no answer to judge ({reason or 'inconclusive'})"
