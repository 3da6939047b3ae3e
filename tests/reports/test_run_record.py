"""The run's record has one model (``record/run_record.py``): what it writes is what report.schema.json describes, and
what it reads back is what it wrote."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from test_report_schema import edge_run, problems, strict

from conformance.contract.schemas import load_contract
from conformance.record.run_record import CaseEntry, RecordedEntry, RunHeader, RunPolicy
from conformance.settings import DEFAULT_CLOCK_SKEW_S

POLICIES = [
    RunPolicy(),
    RunPolicy(deterministic=True),
    RunPolicy(max_requests=40, rate=2.5, checks=["no_server_error", "request_echo"],
           severities={"undocumented_fields": "fail"}, clock_skew_s=0.0),
    RunPolicy(max_requests=7, rotation={"valid": "2026-11-24T10:00:00+00:00 #000001"}),
]  # fmt: skip


def part(name: str) -> Draft202012Validator:
    """A validator for one part of results.json: a ``$defs`` entry, or a top-level property."""
    schema = strict(load_contract().schema("report.schema.json"))
    target = schema["$defs"].get(name) or schema["properties"][name]
    return Draft202012Validator({**target, "$defs": schema["$defs"]}, format_checker=FormatChecker())


@pytest.mark.parametrize("policy", POLICIES)
def test_a_policy_round_trips_and_is_what_the_schema_describes(policy: RunPolicy) -> None:
    written = policy.to_json()
    assert list(part("policy").iter_errors(written)) == []
    assert RunPolicy.from_json(written) == policy


def test_a_policy_leaves_out_what_the_user_did_not_choose() -> None:
    assert RunPolicy().to_json() == {}
    assert RunPolicy().skew == DEFAULT_CLOCK_SKEW_S and RunPolicy(clock_skew_s=0.0).skew == 0.0
    assert RunPolicy.from_json(None) == RunPolicy()


def test_a_recording_without_a_policy_is_read_from_the_options_it_lists() -> None:
    listed = {"checks": ["no_server_error"], "severities": {"request_echo": "warn"}, "clock_skew_s": 60.0}
    assert RunPolicy.of_recording(listed) == RunPolicy(checks=["no_server_error"], severities={"request_echo": "warn"},
                                                 clock_skew_s=60.0)  # fmt: skip
    recorded = {**listed, "policy": {"deterministic": True}}  # its policy, when it has one, says it all
    assert RunPolicy.of_recording(recorded) == RunPolicy(deterministic=True)


def test_the_header_round_trips_and_every_document_made_from_it_validates() -> None:
    run = edge_run()
    run.policy = POLICIES[2]
    run.families = {"valid": 2, "auth": None}
    header = run.header()
    assert RunHeader.from_json(header.to_json()) == header
    document = run.to_json()
    assert problems(document) == []
    assert document["policy"] == POLICIES[2].to_json()
    for key in ("run_id", "target", "base_url", "seed", "max_examples", "shard", "started_at", "credential_forms"):
        assert document[key] == header.to_json()[key], key


def test_the_recording_states_the_header_and_the_policy_once() -> None:
    header = edge_run().header()
    header.policy = POLICIES[2]
    recorded = header.recording(deterministic=False, redact_pii=True, account_id="ACxx")
    assert RunPolicy.of_recording(recorded) == header.policy
    assert recorded["checks"] == header.policy.checks and recorded["clock_skew_s"] == 0.0


def test_every_case_entry_round_trips_and_is_what_the_schema_describes() -> None:
    validator = part("case")
    for case in edge_run().cases:
        entry = CaseEntry.of(case)
        written = entry.to_json()
        assert list(validator.iter_errors(written)) == [], case.case.id
        assert CaseEntry.from_json(written) == entry


@pytest.mark.parametrize(
    ("change", "key"),
    [({"kind": "sideways"}, "kind"), ({"outcome": "maybe"}, "outcome"), ({"status": "201"}, "status")],
)
def test_the_schema_check_of_a_case_entry_can_fail(change: dict[str, Any], key: str) -> None:
    written = {**CaseEntry.of(edge_run().cases[0]).to_json(), **change}
    found = [error.path[0] for error in part("case").iter_errors(written) if error.path]
    assert key in found


@pytest.mark.parametrize(
    "entry",
    [
        RecordedEntry(id="valid/0000", kind="valid", description="valid: generated", expected_status=201,
                      auth="valid", outcome="passed", credentials="api_key", cassette="valid.yaml", request=[0, 1],
                      fetch=[2], sent_at=1.5, received_at=1.75, fetch_received_at=2.0),
        RecordedEntry(id="auth/malformed/0", kind="auth", description="credentials: malformed", expected_status=401,
                      auth="malformed", outcome="not_run", malformed_header="Basic !!", account="second",
                      json_payload=False, reason="request budget spent"),
    ],
)  # fmt: skip
def test_a_recorded_entry_round_trips_and_the_replay_reader_takes_it(entry: RecordedEntry) -> None:
    from conformance.contract.config_files import RUN_RECORD, schema
    from conformance.contract.schema_reader import compile_schema, first_problem

    case_schema = compile_schema({"$defs": schema(RUN_RECORD)["$defs"], "$ref": "#/$defs/case"})
    written = entry.to_json()
    assert first_problem(case_schema, written) is None  # what replay reads run.json's cases against
    assert first_problem(case_schema, {**written, "outcome": "so-so"}) is not None
    assert RecordedEntry.from_json(written) == entry
    assert ("malformed_header" in written) == (entry.malformed_header is not None)
    assert "sent_at" not in written or entry.sent_at is not None
