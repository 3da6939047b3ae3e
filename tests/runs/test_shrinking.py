"""A failure group whose every case is large gets a reduced example: much smaller, labelled in the reports, and
re-sending it fails the same check in the same group. A faithful run, or a group with a small case, shrinks
nothing and sends no extra request."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from jsonschema import Draft202012Validator
from runs.test_confirmation import CREDENTIAL_ENV, EMULATOR_ENV, live_run, second_account_env

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.run.confirmation import failing_keys
from conformance.run.runner import Runner, plan_for
from conformance.run.shrinking import LARGE, PER_GROUP
from conformance.send.targets import live_target
from conformance.settings import RunOptions

LONG_ONLY = {  # faults that touch only strings past 1,000 characters: their groups hold only the 5,000-character case
    "append_to_names": {"longer_than": 1000},
    "mangle_strings": {"mode": "truncate", "length": 1000},
}


def resent(server: EmulatorServer, case_id: str, body: str) -> list[str]:
    """The digest keys of the checks a case fails when sent again with ``body`` instead of its own."""
    env = {**dict.fromkeys(CREDENTIAL_ENV, ""), **EMULATOR_ENV, **second_account_env(server)}
    target = live_target(env, server.url, server.configuration_id)
    options = RunOptions(seed=3, max_examples=3, max_requests=None, rate=None, checks=None)
    runner = Runner(target, options, contract=load_contract())
    try:
        case = next(case for case in plan_for(target, options) if case.id == case_id)
        again = runner.run_case(replace(case, payload=json.loads(body), raw_body=None))
    finally:
        runner.client.close()
    return [key for key, _check, _cause in failing_keys(again)]


@pytest.mark.parametrize("fault", sorted(LONG_ONLY))
def test_a_group_of_only_large_cases_gets_a_much_smaller_example_that_fails_the_same_check(
    tmp_path: Path, fault: str
) -> None:
    with EmulatorServer() as server:
        server.inject(fault, **LONG_ONLY[fault])
        code, output, document = live_run(server, tmp_path, "--max-requests", "100000", "--checks", "request_echo")
        assert code == 1, output
        [reduced] = document["reduced"]
        failure = reduced["failure"]
        again = resent(server, reduced["case"], failure["request"]["body"])
    assert reduced["case"] == "valid/strings/00" and reduced["from_size"] > 5000 > LARGE
    assert reduced["size"] * 10 < reduced["from_size"], reduced["size"]  # much smaller
    assert reduced["size"] == len(failure["request"]["body"])
    assert 0 < reduced["resent"] <= PER_GROUP
    assert failure["check"] == reduced["check"] == "request_echo" and failure["cassette"] is None
    assert failure["curl"].startswith("curl ") and failure["request"]["body"][:40] in failure["curl"]
    assert reduced["key"] in again  # the reduced request, sent again, fails the same check in the same group
    schema = load_contract().schema("report.schema.json")
    assert not list(Draft202012Validator(schema).iter_errors(document))
    assert set(reduced) == set(schema["$defs"]["reduced"]["properties"])  # every key described, none left out

    summary = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    label = f"reduced from `{reduced['case']}` ({reduced['from_size']:,} → {reduced['size']:,} characters)"
    assert label in summary
    assert failure["message"][:60] in summary  # the reduced case's message is the group's
    html = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert f"({reduced['from_size']:,} → {reduced['size']:,} characters)" in html
    assert f"e.g. {reduced['case']} reduced ({reduced['from_size']:,} → {reduced['size']:,} characters)" in output


@pytest.mark.parametrize(("fault", "params"), [(None, {}), ("append_to_names", {})])
def test_nothing_is_shrunk_when_no_group_is_large(tmp_path: Path, fault: str | None, params: dict[str, Any]) -> None:
    with EmulatorServer() as server:
        if fault:
            server.inject(fault, **params)  # every name: the group has small cases too
        code, output, document = live_run(server, tmp_path, "--max-requests", "100000", "--checks", "request_echo")
    # --checks request_echo leaves the invalid families unchecked: nothing failed, but INCOMPLETE (exit 3)
    assert code == (1 if fault else 3), output
    assert "reduced" not in document and "reducing" not in output
    sent = {case["id"]: 1 + bool(case["fetched_elapsed_ms"]) for case in document["cases"] if case["status"]}
    confirmation = sum(group["resent"] * sent[group["case"]] for group in document.get("confirmation", ()))
    assert document["counts"]["requests"] == sum(sent.values()) + confirmation  # nothing sent beyond these


def test_shrinking_stays_within_the_request_budget(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("append_to_names", longer_than=1000)
        _code, _output, budgetless = live_run(server, tmp_path / "all", "--checks", "request_echo")
        budget = budgetless["counts"]["requests"] - budgetless["reduced"][0]["resent"] + 2
        code, output, document = live_run(server, tmp_path / "capped", "--checks", "request_echo",
                                          "--max-requests", str(budget))  # fmt: skip
    assert code == 1, output
    assert document["counts"]["requests"] <= budget


def test_a_signal_while_shrinking_leaves_the_run_interrupted() -> None:
    from conformance.plan.cases import Case
    from conformance.record.results import RunResult
    from conformance.run.confirmation import FailingGroup
    from conformance.run.run_command import reduce_examples

    class Interrupted:
        contract = load_contract()

        class client:
            sent = 9

        @staticmethod
        def run_case(case: object) -> None:
            raise KeyboardInterrupt

    payload = {"configurationId": "conv_configuration_0000000000000000000default", "name": "x" * 2000}
    case = Case("valid/strings/00", "valid", "long", payload=payload)
    group = FailingGroup("k", "request_echo", "field name", case)
    failing = SimpleNamespace(groups={"k": group}, smallest={"k": (2100, case)})
    result = RunResult("r", "emulator", "http://127.0.0.1:1", 1, 3, "2026-01-01T00:00:00Z")
    recorder = SimpleNamespace(redacted=lambda shown: shown)
    reduce_examples(cast(Runner, Interrupted()), cast(Any, failing), result, cast(Any, recorder))
    assert result.interrupted is True and result.requests == 9 and result.reduced == []


def test_candidates_keep_the_case_s_account_and_credentials_and_the_budget() -> None:
    from conformance.judge.verdicts import CaseResult, CheckResult
    from conformance.plan.cases import Case
    from conformance.run.shrinking import LargeGroup, body_size, shrink

    sent: list[Case] = []

    class AlwaysFailing:
        @staticmethod
        def run_case(case: Case) -> CaseResult:
            sent.append(case)
            failed = CheckResult("request_echo", "fail", "failed", message='name sent "a", got "b"')
            return CaseResult(case, "failed", checks=[failed])

    payload = {"configurationId": "conv_configuration_0000000000000000000default", "name": "x" * 4000}
    case = Case("cross_account/x/00", "valid", "long", payload=payload, credentials="account", account="second")
    [reduced] = shrink(cast(Runner, AlwaysFailing()), [LargeGroup("request_echo: field name", "request_echo", case)],
                       load_contract(), lambda shown: shown, seed=1)  # fmt: skip
    assert 0 < len(sent) == reduced["resent"] <= PER_GROUP
    same = {(c.auth, c.credentials, c.account, c.expected_status) for c in sent}
    assert same == {("valid", "account", "second", 201)}  # never another account's, or another form's, request
    assert reduced["size"] < body_size(case) // 100  # a check that keeps failing lets it cut all the way down
