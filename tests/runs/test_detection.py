"""Detection power: whole plans against faults that only one family of cases (or one check) can see.

Each row injects a deviation the docs forbid and runs a complete plan: the run must fail, and every
failing case must belong to the family built for that part of the contract, proving that nothing
else in the suite would have caught it. The faithful emulator and the variants the docs allow
(optional members left out, another participant order) must pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.record.results import RunResult
from conformance.report.document import headline, undecided
from conformance.report.gate import Policy, evaluate
from conformance.run.runner import Runner, plan_for
from conformance.send.client import Client, Limits
from conformance.send.targets import Target, target_for
from conformance.settings import RunOptions

OPTIONS = RunOptions(seed=21, max_examples=3, max_requests=None, rate=None)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def run_plan(emulator: EmulatorServer, fault: str | None, **params: Any) -> RunResult:
    """A whole plan with ``fault`` on, through a client that does not retry."""
    emulator.reset()
    if fault is not None:
        emulator.inject(fault, **params)
    target: Target = target_for(emulator)
    runner = Runner(target, OPTIONS, client=Client(target, Limits(None, None, retries=0)))
    try:
        return runner.run(plan_for(target, OPTIONS), "detection")
    finally:
        runner.client.close()
        emulator.reset()


def test_a_read_back_that_never_answers_leaves_the_run_undecided_not_passed(emulator: EmulatorServer) -> None:
    result = run_plan(emulator, "status_503", route="fetch")
    assert result.failures == []  # nothing failed...
    stuck = [c for c in result.cases if c.outcome == "inconclusive"]
    assert stuck and all("503" in c.reason for c in stuck)
    document = result.to_json()
    assert "could not be judged" in (undecided(document) or "")  # ...but the run is no pass
    assert headline(document) == "UNDECIDED"
    decisions = evaluate(document, Policy(), date.today()).decisions
    assert any(d.verdict == "fail" and d.reason.startswith("undecided") for d in decisions)
    assert undecided(run_plan(emulator, None).to_json()) is None


def failures(emulator: EmulatorServer, fault: str | None, outcome: str = "failed",
             severities: dict[str, str] | None = None, **params: Any) -> dict[str, set[str]]:  # fmt: skip
    """Run a whole plan with ``fault`` on: failing (or ``outcome``) check -> the case ids it failed on."""
    emulator.reset()
    if fault is not None:
        emulator.inject(fault, **params)
    target: Target = target_for(emulator)
    plan = plan_for(target, OPTIONS, load_contract())
    options = replace(OPTIONS, severities=severities or {})
    runner = Runner(target, options, client=Client(target, Limits(None, None, retries=0)))
    found: dict[str, set[str]] = {}
    try:
        for case in plan.cases:
            for check in runner.run_case(case).checks:
                if check.outcome == outcome:
                    found.setdefault(check.check, set()).add(case.id)
    finally:
        runner.client.close()
        emulator.reset()
    return found


ONLY_ONE_FAMILY: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    # (fault, params, the check that must fail, the case-id prefixes allowed to fail)
    ("ignore_auth", {"mode": "malformed"}, "ignored_auth", ("auth/create/malformed/", "auth/fetch/malformed/",
                                                            "auth/precedence/")),
    ("ignore_auth", {"mode": "unknown_user"}, "ignored_auth",
     ("auth/create/unknown_user/", "auth/fetch/unknown_user/")),
    ("ignore_auth", {"mode": "wrong_secret", "form": "account"}, "ignored_auth",
     ("auth/create/wrong_secret/account", "auth/fetch/wrong_secret/account",
      "cross_account/auth/second_reads_first/account", "cross_account/auth/first_reads_second/account")),
    ("ignore_auth", {"mode": "empty_secret"}, "ignored_auth",
     ("auth/create/empty_secret/", "auth/fetch/empty_secret/")),
    ("ignore_auth", {"mode": "other_form_secret"}, "ignored_auth",
     ("auth/create/other_form_secret/", "auth/fetch/other_form_secret/")),
    ("ignore_auth", {"route": "fetch"}, "ignored_auth", ("auth/fetch/", "auth/fetch_unknown/",
                                                         "cross_account/auth/")),
    ("ignore_auth", {"mode": "secret_case"}, "ignored_auth", ("auth/create/secret_case/", "auth/fetch/secret_case/")),
    ("ignore_auth", {"mode": "secret_suffix"}, "ignored_auth",
     ("auth/create/secret_suffix/", "auth/fetch/secret_suffix/")),
    ("ignore_auth", {"mode": "username_case"}, "ignored_auth",
     ("auth/create/username_case/", "auth/fetch/username_case/")),
    ("ignore_auth", {"mode": "stranger_real_secret"}, "ignored_auth",
     ("auth/create/stranger_real_secret/", "auth/fetch/stranger_real_secret/")),
    ("ignore_auth", {"mode": "bearer_credentials"}, "ignored_auth",
     ("auth/create/bearer_credentials/", "auth/fetch/bearer_credentials/")),
    ("first_item_only", {}, "negative_data_rejection",  # maxItems + 1 shrinks to one item under this fault too
     ("invalid/participants[]", "invalid/participants.maxItems", "invalid/configuration.intelligence")),
    ("auth_after_validation", {}, "ignored_auth", ("auth/precedence/",)),
    ("error_code", {"status": 401, "code": 20001}, "error_code_conformance", ("auth/", "cross_account/auth/")),
    ("fetch_unknown", {}, "unknown_id_rejection", ("not_found/", "cross_account/read/")),
    ("lenient_enums", {}, "negative_data_rejection", ("invalid/participants[].type.enum/",
                                                      "invalid/participants[].addresses[].channel.enum/")),
    ("max_items_off_by_one", {}, "positive_data_acceptance", ("valid/containers/",)),
    ("mangle_strings", {"mode": "truncate"}, "request_echo", ("valid/strings/",)),
    ("mangle_strings", {"mode": "nfc"}, "request_echo", ("valid/strings/",)),
    # Drawn text holds compatibility and control characters now and then; the string edges hold them every time.
    ("mangle_strings", {"mode": "nfkc"}, "request_echo", ("valid/strings/", "valid/0", "valid/containers/")),
    ("mangle_strings", {"mode": "drop_controls"}, "request_echo", ("valid/strings/", "valid/0", "valid/containers/")),
    ("stale_timestamps", {"route": "fetch"}, "timestamp_freshness", ("valid", "cross_account/create/")),
    ("unknown_enum", {"field": "participants.0.type", "value": "SUPERVISOR"}, "undocumented_enum_values",
     ("valid", "cross_account/create/")),
    # Detection, second round: every string at its edges (identifiers too), ids of another kind, null as a value.
    ("loose_references", {"mode": "normalise"}, "unknown_configuration_rejection", ("unknown_configuration/edges/",)),
    ("loose_references", {"mode": "crash"}, "unknown_configuration_rejection", ("unknown_configuration/edges/",)),
    ("foreign_ids", {"mode": "reject"}, "unknown_id_rejection", ("not_found/other_kind/",)),
    ("foreign_ids", {"mode": "crash"}, "unknown_id_rejection", ("not_found/other_kind/",)),
    ("null_for_values", {"mode": "participant_names"}, "request_echo", ("valid", "cross_account/create/")),
    ("null_for_values", {"mode": "empty_names"}, "request_echo", ("valid",)),
    # Arrays carry exactly what was sent: duplicates kept, compared as multisets.
    # One request never shows up in another.
    ("sticky_override", {}, "request_isolation", ("valid",)),
    ("leak_addresses", {}, "request_isolation", ("valid", "cross_account/create/")),
    ("cached_name", {}, "request_isolation", ("valid",)),
    # The wire read as strictly as the standards: every success body departs once, in one way (the second
    # account's creates are successes too).
    ("wire_departure", {"mode": "bom"}, "strict_json", ("valid", "cross_account/create/")),
    ("wire_departure", {"mode": "nan"}, "strict_json", ("valid", "cross_account/create/")),
    ("wire_departure", {"mode": "utf16"}, "strict_json", ("valid", "cross_account/create/")),
    ("wire_departure", {"mode": "charset"}, "content_type_conformance", ("valid", "cross_account/create/")),
    ("dedupe_arrays", {"array": "intelligenceConfigurationIds"}, "request_echo", ("valid/duplicates/",)),
    ("dedupe_arrays", {"array": "addresses"}, "request_echo", ("valid/duplicates/",)),
    # Drawn bodies repeat a participant by chance (an empty one, or at maxItems); the new family does every time.
    ("dedupe_arrays", {"array": "participants"}, "request_echo", ("valid/duplicates/", "valid/containers/", "valid/0")),
    # One account reaching the other's data: only the cross-account cases (the emulator's second account) see it.
    ("cross_account_read", {}, "cross_account_isolation", ("cross_account/read/",)),
    ("cross_account_read", {"form": "account"}, "cross_account_isolation",
     ("cross_account/read/second_reads_first/account", "cross_account/read/first_reads_second/account")),
    ("cross_account_forbidden", {}, "cross_account_isolation", ("cross_account/read/",)),
    ("cross_account_configuration", {}, "cross_account_isolation", ("cross_account/configuration/",)),
    ("foreign_account_id", {}, "account_identity", ("cross_account/create/second/",)),
]  # fmt: skip


def _label(row: tuple[str, dict[str, Any], str, tuple[str, ...]]) -> str:
    return "-".join([row[0], *map(str, row[1].values())])


@pytest.mark.parametrize(("fault", "params", "check", "families"), ONLY_ONE_FAMILY, ids=map(_label, ONLY_ONE_FAMILY))
def test_a_fault_only_one_family_can_see_is_caught_by_it(emulator: EmulatorServer, fault: str, params: dict[str, Any],
                                                          check: str, families: tuple[str, ...]) -> None:  # fmt: skip
    found = failures(emulator, fault, **params)
    assert found.get(check), f"{fault} {params} went unnoticed: {found}"
    outside = {case for cases in found.values() for case in cases if not case.startswith(families)}
    assert outside == set(), f"cases outside {families} failed too, so the family is not what caught it"


def test_an_existence_oracle_is_reported_by_the_cross_account_reads_alone(emulator: EmulatorServer) -> None:
    """A message that tells another account's conversation from one that never existed: a warning, and only there."""
    assert failures(emulator, "cross_account_message") == {}
    warned = failures(emulator, "cross_account_message", outcome="warned")
    assert set(warned) == {"existence_oracle"} and warned["existence_oracle"]
    assert all(case.startswith("cross_account/read/") for case in warned["existence_oracle"])


@pytest.mark.parametrize("variant", [None, "omit_optional", "participants_reordered"])
def test_the_faithful_emulator_and_what_the_docs_allow_pass_a_whole_plan(emulator: EmulatorServer,
                                                                         variant: str | None) -> None:  # fmt: skip
    assert failures(emulator, variant) == {}


@pytest.mark.parametrize(("fault", "params", "check"), [
    ("wire_departure", {"mode": "repeated_name"}, "repeated_member_names"),  # RFC 8259: should, not must
    ("refuse_null", {}, "null_as_absent"),  # the docs type no request member nullable
    ("any_content_type", {}, "content_type_enforced"),  # the docs give the encoding, not a refusal
])  # fmt: skip
def test_what_the_standards_leave_open_is_reported_and_policy_can_fail_it(
    emulator: EmulatorServer, fault: str, params: dict[str, Any], check: str
) -> None:
    assert failures(emulator, fault, **params) == {}
    assert failures(emulator, fault, "warned", **params).keys() == {check}
    assert failures(emulator, fault, severities={check: "fail"}, **params).keys() == {check}
    assert check not in failures(emulator, None, "warned")
