"""Before the verdict each failure group's example is sent again: a fault on every other request is intermittent,
a steady one confirmed, and the gate policy decides whether an intermittent failure blocks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformance.cli import cli
from conformance.emulator.server import EmulatorServer
from conformance.report.gate import Policy, evaluate

CREDENTIAL_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL")
EMULATOR_ENV = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret"}


def second_account_env(server: EmulatorServer) -> dict[str, str]:
    """The emulator's second account, as a live run reads it: every case family can be judged."""
    second = server.settings.second_account
    assert second is not None and second.api_key is not None and second.api_secret is not None
    return {
        "CONFORMANCE_SECOND_API_KEY": second.api_key,
        "CONFORMANCE_SECOND_API_SECRET": second.api_secret,
        "CONFORMANCE_SECOND_CONFIGURATION_ID": server.settings.second_configuration_id,
    }


def live_run(server: EmulatorServer, directory: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    """One sender against ``server``, so which request a fault hits follows the plan's order."""
    result = CliRunner().invoke(cli, [
        "run", "--target", "live", "--base-url", server.url, "--configuration-id", server.configuration_id,
        "--rate", "10000", "--seed", "3", "--max-examples", "3", "--workers", "1",
        "--report-dir", str(directory / "reports"), "--cassette-dir", str(directory / "cassettes"), *extra,
    ], env={**dict.fromkeys(CREDENTIAL_ENV), **EMULATOR_ENV, **second_account_env(server), "CI": "1"})  # fmt: skip
    document = json.loads((directory / "reports" / "results.json").read_text(encoding="utf-8"))
    return result.exit_code, result.output, document


def test_a_fault_on_every_other_create_is_intermittent_and_still_fails_by_default(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("every_other")
        code, output, document = live_run(server, tmp_path, "--max-requests", "100000")
    assert code == 1, output  # a flaky contract violation is a violation
    echo = [group for group in document["confirmation"] if group["check"] == "request_echo"]
    assert echo and all(group["status"] == "intermittent" for group in echo), document["confirmation"]
    assert all(0 < group["failed"] < group["resent"] == 3 for group in echo)
    assert "[intermittent: failed" in output
    summary = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    assert "### Confirmation" in summary and "intermittent" in summary
    assert "intermittent" in (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")

    blocking = evaluate(document, Policy(), date.today())
    assert not blocking.passed and any("intermittent" in d.reason for d in blocking.decisions if d.blocks)
    lenient = evaluate(document, Policy(intermittent_fails=False), date.today())
    failing = {f"check {name}" for name, row in document["checks"].items() if row["failed"]}
    assert {d.subject for d in lenient.decisions if d.verdict == "excused"} == failing  # every group intermittent
    assert lenient.passed  # intermittent_fails = false lets them through


def test_a_steady_fault_is_confirmed(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("not_echoed", field="configurationId")
        code, output, document = live_run(server, tmp_path, "--max-requests", "100000")
    assert code == 1, output
    groups = document["confirmation"]
    assert groups and all(g["status"] == "confirmed" and g["failed"] == g["resent"] == 3 for g in groups), groups
    lenient = evaluate(document, Policy(intermittent_fails=False), date.today())
    assert not lenient.passed  # only intermittent failures may be let through


def test_confirmation_stays_within_the_request_budget(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("not_echoed", field="configurationId")
        code, output, document = live_run(server, tmp_path, "--max-requests", "8")
    assert code == 1, output
    assert document["counts"]["requests"] <= 8
    assert {g["status"] for g in document["confirmation"]} == {"unconfirmed"}  # nothing left to re-send with
    assert "[unconfirmed: no request left in the budget to re-send it]" in output


def test_a_resend_whose_check_could_not_run_is_no_evidence_either_way() -> None:
    """Near the end of the budget a re-send gets its create but not its read-back: read_back is skipped there, and
    a skipped check must not turn a steady failure into an intermittent one (the gate may excuse those)."""
    from conformance.run.confirmation import FailingGroup, confirm
    from conformance.run.runner import Runner, plan_for
    from conformance.send.client import Client, Limits
    from conformance.send.targets import target_for
    from conformance.settings import RunOptions

    options = RunOptions(seed=7, max_examples=3, max_requests=None, rate=None)
    with EmulatorServer() as server:
        server.inject("fetch_mismatch")
        target = target_for(server)
        case = next(c for c in plan_for(target, options).cases if c.id == "valid/edge/00")
        runner = Runner(target, options, client=Client(target, Limits(3, None, retries=0)))  # the case: 2; 1 left
        try:
            assert [c.check for c in runner.run_case(case).checks if c.outcome == "failed"] == ["read_back"]
            (group,) = confirm(runner, [FailingGroup("key", "read_back", "cause", case)])
        finally:
            runner.client.close()
    assert (group["resent"], group["failed"], group["status"]) == (0, 0, "unconfirmed")
