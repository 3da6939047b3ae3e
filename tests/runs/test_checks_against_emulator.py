"""Every check, run for real against the emulator: silent on the faithful one, loud on each fault."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.judge.checks import CHECKS
from conformance.plan.cases import Case
from conformance.run.runner import Runner, plan_for
from conformance.send.client import Client, Limits
from conformance.send.targets import Target, target_for
from conformance.settings import RunOptions

OPTIONS = RunOptions(seed=11, max_examples=10, max_requests=None, rate=None)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def target(emulator: EmulatorServer) -> Iterator[Target]:
    emulator.reset()
    yield target_for(emulator)
    emulator.clear_faults()


@pytest.fixture(scope="module")
def plan(emulator: EmulatorServer) -> list[Case]:
    return plan_for(target_for(emulator), OPTIONS, load_contract()).cases  # both accounts, as a run plans it


def pick(plan: list[Case], kind: str, count: int = 3, with_participants: bool = False) -> list[Case]:
    def participants(case: Case) -> int:
        listed = case.payload.get("participants") if isinstance(case.payload, dict) else None
        return len(listed) if isinstance(listed, list) else 0

    # "valid:null": valid cases that send an explicit null; "invalid:content_type": those breaking that constraint
    kind, _, also = kind.partition(":")
    chosen = [c for c in plan if c.kind == kind and (not with_participants or participants(c) >= 2)
              and (not also or (c.sends_null if also == "null" else c.constraint == also))]  # fmt: skip
    return chosen[:count]


def run(target: Target, cases: list[Case]) -> dict[str, dict[str, int]]:
    runner = Runner(target, OPTIONS, client=Client(target, Limits(None, None, retries=0)))
    try:
        outcomes: dict[str, dict[str, int]] = {}
        for case in cases:
            for check in runner.run_case(case).checks:
                outcomes.setdefault(check.check, {}).setdefault(check.outcome, 0)
                outcomes[check.check][check.outcome] += 1
        return outcomes
    finally:
        runner.client.close()


def test_the_faithful_emulator_passes_a_whole_plan(target: Target, plan: list[Case]) -> None:
    outcomes = run(target, plan)
    bad = {name: counts for name, counts in outcomes.items() if counts.get("failed") or counts.get("warned")}
    assert bad == {}
    judged = {name for name, counts in outcomes.items() if counts.get("passed")}
    assert judged == set(CHECKS) - {"conflict_header"}  # no 409 without idempotency conflicts


@pytest.mark.parametrize("variant", ["omit_optional", "participants_reordered"])
def test_what_the_docs_leave_open_is_reported_never_failed(emulator: EmulatorServer, target: Target,
                                                           plan: list[Case], variant: str) -> None:  # fmt: skip
    """Optional members left out, participants in another order: the docs allow both, so no check fails."""
    emulator.inject(variant)
    outcomes = run(target, plan)
    assert {name: counts for name, counts in outcomes.items() if counts.get("failed")} == {}
    expected = {"omit_optional": "unreturned_members", "participants_reordered": "participant_order"}[variant]
    assert outcomes[expected].get("warned")


FAULT_CASES: list[tuple[str, str, dict[str, Any], str, bool]] = [
    # (check that must object, fault, fault params, case kind, needs participants)
    ("no_server_error", "status_500", {}, "valid", False),
    ("status_code_conformance", "wrong_status", {"status": 418}, "valid", False),
    ("positive_data_acceptance", "wrong_status", {"status": 200}, "valid", False),
    ("negative_data_rejection", "accept_invalid", {}, "invalid", False),
    ("unknown_configuration_rejection", "status_500", {}, "unknown_configuration", False),
    ("ignored_auth", "ignore_auth", {}, "auth", False),
    ("unknown_id_rejection", "fetch_unknown", {}, "not_found", False),
    ("content_type_conformance", "wrong_content_type", {}, "valid", False),
    ("content_type_conformance", "invalid_json", {}, "invalid", False),
    ("content_type_conformance", "wire_departure", {"mode": "charset"}, "valid", False),
    ("strict_json", "wire_departure", {"mode": "bom"}, "valid", False),
    ("repeated_member_names", "wire_departure", {"mode": "repeated_name"}, "valid", False),
    ("response_schema_conformance", "missing_field", {"field": "id"}, "valid", False),
    ("response_schema_conformance", "wrong_type", {"field": "participants"}, "valid", False),
    ("response_schema_conformance", "bad_timestamp", {}, "valid", False),
    ("error_body_conformance", "error_body_wrong", {"mode": "missing_more_info"}, "invalid", False),
    ("error_body_conformance", "error_body_wrong", {"mode": "status_mismatch"}, "auth", False),
    ("error_body_conformance", "error_body_wrong", {"mode": "more_info_not_link"}, "not_found", False),
    ("error_code_conformance", "error_code", {"status": 401, "code": 20001}, "auth", False),
    ("error_code_examples", "error_code", {"status": 400, "code": 20002}, "invalid", False),
    ("request_echo", "not_echoed", {"field": "configurationId"}, "valid", False),
    ("request_echo", "participants_dropped", {}, "valid", True),
    ("request_echo", "mangle_strings", {"mode": "truncate"}, "valid", False),
    ("unreturned_members", "omit_optional", {}, "valid", True),
    ("participant_order", "participants_reordered", {}, "valid", True),
    ("account_identity", "wrong_account", {}, "valid", False),
    ("account_identity", "participant_mismatch", {"field": "accountId"}, "valid", True),
    ("unique_ids", "duplicate_ids", {}, "valid", False),
    ("request_isolation", "leak_addresses", {}, "valid", True),
    ("null_as_absent", "refuse_null", {}, "valid:null", False),
    ("content_type_enforced", "any_content_type", {}, "invalid:content_type", False),
    ("timestamp_order", "updated_before_created", {}, "valid", False),
    ("timestamp_freshness", "stale_timestamps", {}, "valid", False),
    ("read_back", "fetch_not_found", {}, "valid", False),
    ("read_back", "fetch_mismatch", {}, "valid", False),
    ("undocumented_fields", "extra_field", {"field": "actionId", "value": "act_1"}, "valid", False),
    ("undocumented_enum_values", "unknown_enum", {}, "valid", False),
    ("undocumented_headers", "extra_header", {}, "valid", False),
    # A valid create first: the cross-account reads read the conversation it made.
    ("cross_account_isolation", "cross_account_read", {}, "valid+cross_account", False),
    ("cross_account_isolation", "cross_account_configuration", {}, "valid+cross_account", False),
    ("existence_oracle", "cross_account_message", {}, "valid+cross_account", False),
]


@pytest.mark.parametrize(("check", "fault", "params", "kind", "participants"), FAULT_CASES,
                         ids=[f"{row[0]}-{row[1]}" for row in FAULT_CASES])  # fmt: skip
def test_each_check_catches_an_emulator_fault(emulator: EmulatorServer, target: Target, plan: list[Case], check: str,
                                              fault: str, params: dict[str, Any], kind: str,
                                              participants: bool) -> None:  # fmt: skip
    # "valid+cross_account": cases of both kinds
    cases = [case for each in kind.split("+") for case in pick(plan, each, with_participants=participants)]
    assert cases, f"the plan has no {kind} case to carry the fault"
    emulator.inject(fault, **params)
    outcomes = run(target, cases)
    expected = "failed" if CHECKS[check].severity == "fail" else "warned"
    assert outcomes.get(check, {}).get(expected), f"{check} did not object to {fault}: {outcomes.get(check)}"


def test_every_check_the_emulator_can_break_is_covered() -> None:
    # conflict_header is proven on recorded responses (tests/test_checks.py): no documented request causes a 409.
    assert {row[0] for row in FAULT_CASES} == set(CHECKS) - {"conflict_header"}


def test_throttling_is_inconclusive_not_a_failure(emulator: EmulatorServer, target: Target, plan: list[Case]) -> None:
    emulator.inject("rate_limit", retry_after=0)
    runner = Runner(target, OPTIONS, client=Client(target, Limits(None, None, retries=2), sleep=lambda _s: None))
    try:
        result = runner.run_case(pick(plan, "valid", 1)[0])
    finally:
        runner.client.close()
    assert result.outcome == "inconclusive" and "429" in result.reason
    assert result.exchange is not None and result.exchange.attempts == 3
    assert not [c for c in result.checks if c.outcome == "failed"]


def test_a_503_burst_is_retried_within_the_budget(emulator: EmulatorServer, target: Target, plan: list[Case]) -> None:
    emulator.inject("status_503", count=2)
    waits: list[float] = []
    runner = Runner(target, OPTIONS, client=Client(target, Limits(None, None, retries=3), sleep=waits.append))
    try:
        result = runner.run_case(pick(plan, "valid", 1)[0])
    finally:
        runner.client.close()
    assert result.outcome == "passed" and result.exchange is not None and result.exchange.attempts == 3
    assert waits == [0.5, 1.0]  # bounded exponential backoff when no Retry-After is given
