"""A verdict says what was judged: PASSED only when every case family was, INCOMPLETE otherwise (with the families
named everywhere), never PASSED once interrupted; the work never drawn is counted, not written case by case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.judge.coverage import Coverage, Verdict, merged, summary
from conformance.record.results import RunResult
from conformance.report.gate import Policy, evaluate

CREDENTIAL_ENV = ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                  "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL")  # fmt: skip


def run(directory: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", "--seed", "7", "--report-dir", str(directory / "reports"),
                                      "--cassette-dir", str(directory / "cassettes"), *args],
                                env={**dict.fromkeys(CREDENTIAL_ENV), "CI": "1"})  # fmt: skip
    return result.exit_code, result.output


def written(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def results(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "reports" / "results.json").read_text(encoding="utf-8"))


def junit_text(directory: Path) -> str:
    return (directory / "reports" / "junit.xml").read_text(encoding="utf-8")


def junit_head(directory: Path) -> str:
    return junit_text(directory).splitlines()[1]  # the <testsuites> element


def test_a_budget_limited_run_reads_incomplete_names_what_it_missed_and_writes_kilobytes(tmp_path: Path) -> None:
    sizes = {}
    for examples in ("20000", "1000000000"):
        code, output = run(tmp_path / examples, "--max-requests", "5", "--max-examples", examples)
        assert code == 3, output
        assert output.splitlines()[1].startswith("INCOMPLETE:") and "PASSED" not in output
        assert "case families not judged: " in output
        sizes[examples] = written(tmp_path / examples)
    # Kilobytes (it was 79 MB at 20,000): every undrawn case is counted in its family, none is listed, so the output
    # does not grow with --max-examples (what it holds varies a little with timings: ids, latencies, a case in flight).
    assert max(sizes.values()) < 300_000 and abs(sizes["1000000000"] - sizes["20000"]) < 30_000, sizes

    document = results(tmp_path / "20000")
    assert document["verdict"] == Verdict.INCOMPLETE and document["interrupted"] is False
    missed = document["coverage"]["unjudged"]
    assert missed and document["coverage"]["judged"] + len(missed) == document["coverage"]["families"]
    assert document["families"]["valid"]["planned"] == 20000 and document["families"]["valid"]["not_drawn"] > 19990
    assert document["counts"]["cases"] + document["counts"]["not_drawn"] == sum(
        row["planned"] for row in document["families"].values()
    )
    summary_md = (tmp_path / "20000" / "reports" / "summary.md").read_text(encoding="utf-8")
    html = (tmp_path / "20000" / "reports" / "report.html").read_text(encoding="utf-8")
    assert "INCOMPLETE" in summary_md and f"`{missed[0]}`" in summary_md and "PASSED" not in summary_md
    assert '<h1 id="verdict">INCOMPLETE</h1>' in html and "Not judged:" in html and missed[-1] in html

    code, output = invoke_gate(tmp_path / "20000")
    assert code == 1 and "FAIL    coverage:" in output and missed[0] in output
    floor = tmp_path / "floor.toml"
    floor.write_text("min_family_coverage = 0.01\n", encoding="utf-8")  # the policy's floor is met: the gate passes
    code, output = invoke_gate(tmp_path / "20000", "--policy", str(floor))
    assert code == 0 and "PASS    coverage:" in output, output


def invoke_gate(directory: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["gate", str(directory / "reports"), *args])
    return result.exit_code, result.output


def test_a_run_that_judges_every_family_passes(tmp_path: Path) -> None:
    code, output = run(tmp_path, "--max-examples", "3")
    assert code == 0, output
    document = results(tmp_path)
    assert document["verdict"] == Verdict.PASSED and document["coverage"]["unjudged"] == []
    assert document["counts"]["not_drawn"] == 0
    assert 'errors="0"' in junit_head(tmp_path) and "conformance.verdict" not in junit_text(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_huge_run_stops_promptly_on_a_signal_and_reads_interrupted(tmp_path: Path, signum: int) -> None:
    reports = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "conformance.cli",
        "run",
        "--max-examples",
        "1000000000",
        "--max-requests",
        "1000000",
        "--seed",
        "5",
        "--report-dir",
        str(reports),
        "--cassette-dir",
        str(tmp_path / "cassettes"),
    ]
    environment = {key: value for key, value in os.environ.items() if key not in CREDENTIAL_ENV}
    process = subprocess.Popen(command, env={**environment, "CI": "1"}, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        stream = reports / "results.jsonl"
        while not (stream.exists() and stream.read_bytes().count(b"\n") > 20):  # sending: some cases judged
            assert process.poll() is None and time.monotonic() < deadline, "the run ended before the signal"
            time.sleep(0.05)
        sent = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        stopped_in = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stdout + stderr
    assert stopped_in < 15 and "Traceback" not in stderr
    assert stdout.startswith("INTERRUPTED:") and "PASSED" not in stdout
    document = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    assert document["interrupted"] is True and document["verdict"] == Verdict.INTERRUPTED
    assert document["counts"]["not_drawn"] > 10**9  # counted, not listed
    assert "PASSED" not in (reports / "summary.md").read_text(encoding="utf-8")
    assert written(reports) < 2_000_000


def test_families_are_counted_per_shard_and_a_merge_of_every_shard_covers_them() -> None:
    plan = {"valid": 4, "invalid/name.type": 2, "not_found": 1}
    first, second = (
        Coverage({"valid": 2, "invalid/name.type": 1, "not_found": 1}),
        Coverage({"valid": 2, "invalid/name.type": 1}),
    )
    for coverage, cases in ((first, ["valid/0000", "invalid/name.type/0", "not_found/0"]), (second, ["valid/0001"])):
        for case in cases:
            coverage.add({"id": case, "outcome": "passed", "reason": None})
    assert summary(second.table())["unjudged"] == ["invalid/name.type"]
    whole = merged([first.table(), second.table()])
    assert {name: row["planned"] for name, row in whole.items()} == plan
    assert summary(whole) == {"families": 3, "judged": 3, "unjudged": []}
    assert whole["valid"] == {
        "planned": 4,
        "passed": 2,
        "failed": 0,
        "inconclusive": 0,
        "not_run": 0,
        "unchecked": 0,
        "not_drawn": 2,
    }


def test_a_family_whose_every_case_was_inconclusive_was_not_judged() -> None:
    coverage = Coverage({"valid": 2, "not_found": 1})
    coverage.add({"id": "valid/0000", "outcome": "passed", "reason": None})
    coverage.add({"id": "not_found/0", "outcome": "inconclusive", "reason": "still 429 after 3 attempts"})
    assert coverage.unjudged() == ["not_found"]


def test_the_gate_fails_an_incomplete_run_and_says_which_families(tmp_path: Path) -> None:
    document = {"interrupted": False, "counts": {"not_run": 0, "inconclusive": 0, "cases": 1, "passed_cases": 1,
                                                 "warnings": 0, "failures": 0, "requests": 1},
                "coverage": {"families": 4, "judged": 3, "unjudged": ["not_found"]}, "checks": {}, "warnings": [],
                "latency_ms": {"count": 0}, "cases": [], "shard": None}  # fmt: skip
    decisions = evaluate(document, Policy(), date.today()).decisions
    assert [d.line() for d in decisions if d.subject == "coverage"] == [
        "FAIL    coverage: 3 of 4 case families judged (every family must be judged); not judged: not_found"
    ]
    lenient = evaluate(document, Policy(min_family_coverage=0.75), date.today())
    assert lenient.passed


def test_a_signal_while_confirming_leaves_the_run_interrupted() -> None:
    from conformance.run.confirmation import FailingGroup
    from conformance.run.run_command import reconfirm
    from conformance.run.runner import Runner

    class Interrupted:
        class client:
            sent = 7

        @staticmethod
        def run_case(case: object) -> None:
            raise KeyboardInterrupt

    failing = SimpleNamespace(groups={"k": FailingGroup("k", "request_echo", "field name", None)})  # type: ignore[arg-type]
    result = RunResult("r", "emulator", "http://127.0.0.1:1", 1, 3, "2026-01-01T00:00:00Z")
    reconfirm(cast(Runner, Interrupted()), cast(Any, failing), result)
    assert result.interrupted is True and result.requests == 7 and result.confirmation == []


def test_a_run_whose_checks_list_leaves_a_family_unchecked_does_not_count_it_judged(tmp_path: Path) -> None:
    """`--checks` keeping only a check that applies to no case: every case "passed" with nothing checked."""
    code, output = run(tmp_path / "none", "--max-examples", "1", "--checks", "conflict_header")
    document = results(tmp_path / "none")
    assert code == 3 and "PASSED" not in output, output
    assert document["verdict"] == Verdict.INCOMPLETE and document["coverage"]["judged"] == 0
    assert all(row["unchecked"] == row["planned"] for row in document["families"].values())
    # a CI test tab reads junit.xml: the unearned verdict is an error there, not an empty green suite
    assert 'errors="1"' in junit_head(tmp_path / "none") and "case families not judged" in junit_text(
        tmp_path / "none")  # fmt: skip
    code, output = run(tmp_path / "echo", "--max-examples", "1", "--checks", "request_echo")
    missed = results(tmp_path / "echo")["coverage"]["unjudged"]
    assert code == 3 and any(name.startswith("invalid/") for name in missed)  # no echo to check on a 400
    assert not any(name.startswith("valid") for name in missed), missed


def test_a_merge_missing_a_shard_is_incomplete_and_names_the_shard(tmp_path: Path) -> None:
    code, output = run(tmp_path / "s1", "--max-examples", "1", "--shard", "1/2")
    assert code == 3, output  # a shard judges only its share of the families it holds... and misses the others
    merged_run = CliRunner().invoke(cli, ["report", "merge", str(tmp_path / "s1" / "reports"), "--output",
                                          str(tmp_path / "merged")])  # fmt: skip
    document = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    assert document["verdict"] == Verdict.INCOMPLETE and merged_run.exit_code == 3, merged_run.output
    assert "(every family of shard 2/2: not merged)" in document["coverage"]["unjudged"]
