"""One command per case, everywhere: every failing case in every report (console, summary.md, report.html,
junit.xml) carries its ``conformance reproduce REPORT_DIR CASE_ID`` line, the run's reproduce line carries every
option that changes what is sent or judged, and each printed line, run as printed, gets the recorded verdict."""

from __future__ import annotations

import html
import json
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer

RUN_ENV = {
    "TWILIO_API_KEY": "SK" + "7c" * 16,
    "TWILIO_API_SECRET": "Zq9/secret+value=",
    "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_reproduce02",
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "CONFORMANCE_BASE_URL": None,
    "CI": "1",  # line-oriented console: a FAIL line (and its reproduce line) per failing case
}
CHECKS = "negative_data_rejection,status_code_conformance,response_schema_conformance"
REPRODUCE_LINE = re.compile(r"conformance reproduce ([^\s`<]+) ([^\s`<]+)")


def conformance(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    before = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), env=RUN_ENV)
    finally:
        os.chdir(before)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def faulty_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Path, str]]:
    """A live run with options off the live defaults against an API that accepts arrays one past their limit."""
    directory = tmp_path_factory.mktemp("lines")
    with EmulatorServer(EmulatorSettings().with_environment({k: v for k, v in RUN_ENV.items() if v})) as server:
        server.inject("max_items_off_by_one", direction="accept_past_limit")
        code, output = conformance("run", "--target", "live", "--base-url", server.url, "--rate", "10000",
                                   "--max-requests", "5000", "--checks", CHECKS, "--seed", "13", "--max-examples",
                                   "1", "--report-dir", str(directory / "r"), "--cassette-dir",
                                   str(directory / "c"))  # fmt: skip
        assert code == 1, output
        yield server, directory, output


def failing_cases(report_dir: Path) -> set[str]:
    document = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return {case["id"] for case in document["cases"] if case["outcome"] == "failed"}


def printed_lines(text: str, report_dir: Path) -> dict[str, str]:
    """Case id -> its printed reproduce line (the placeholder ``CASE_ID`` of a "each re-sent by" note left out)."""
    lines = {}
    for match in REPRODUCE_LINE.finditer(text):
        folder, case = (shlex.split(part)[0] for part in match.groups())
        if case != "CASE_ID":
            assert folder == str(report_dir), match.group(0)
            lines[case] = match.group(0)
    return lines


def test_every_report_carries_a_reproduce_line_per_failing_case(faulty_api: tuple[EmulatorServer, Path, str]) -> None:
    _server, directory, console = faulty_api
    report_dir = directory / "r"
    failing = failing_cases(report_dir)
    assert 0 < len(failing) < 20, failing
    reports = {name: (report_dir / name).read_text(encoding="utf-8") for name in ("summary.md", "junit.xml")}
    reports["report.html"] = html.unescape((report_dir / "report.html").read_text(encoding="utf-8"))
    reports["console"] = console
    for name, text in reports.items():
        shown = set(printed_lines(text, report_dir))
        if name == "summary.md":  # one example per group, the rest named with the command's pattern
            assert shown and shown <= failing and f"conformance reproduce {report_dir} CASE_ID" in text, name
        else:
            assert shown == failing, name


def test_the_runs_reproduce_line_carries_what_changes_what_is_sent_or_judged(
    faulty_api: tuple[EmulatorServer, Path, str], tmp_path: Path
) -> None:
    server, directory, console = faulty_api
    line = next(line for line in console.splitlines() if line.startswith("reproduce: ")).removeprefix("reproduce: ")
    checks = ",".join(sorted(CHECKS.split(",")))
    for option in ("--max-requests 5000", "--rate 10000", f"--checks {checks}", f"--base-url {server.url}"):
        assert option in line, line
    summary = (directory / "r" / "summary.md").read_text(encoding="utf-8")
    assert line in summary and html.escape(line, quote=False) in (directory / "r" / "report.html").read_text("utf-8")
    argv = shlex.split(line)
    assert argv[0] == "conformance"
    code, output = conformance(*argv[1:], "--report-dir", "again", "--cassette-dir", "c", cwd=tmp_path)
    assert code == 1, output  # the recorded verdict
    assert failing_cases(tmp_path / "again") == failing_cases(directory / "r")


def test_every_printed_case_line_gets_the_recorded_verdict(faulty_api: tuple[EmulatorServer, Path, str]) -> None:
    server, directory, console = faulty_api
    report_dir = directory / "r"
    lines = printed_lines(console, report_dir)
    for text in [(report_dir / name).read_text(encoding="utf-8") for name in ("summary.md", "junit.xml")]:
        lines.update(printed_lines(text, report_dir))
    lines.update(printed_lines(html.unescape((report_dir / "report.html").read_text(encoding="utf-8")), report_dir))
    assert set(lines) == failing_cases(report_dir)
    for case, line in lines.items():
        code, output = conformance(*shlex.split(line)[1:])
        assert code == 1 and output.rstrip().endswith("FAILED again"), (case, output)
        assert f"against live {server.url}" in output  # the run's own target, not an emulator of its own


def test_a_replayed_live_recording_reproduces_against_the_live_target(
    faulty_api: tuple[EmulatorServer, Path, str],
) -> None:
    server, directory, _console = faulty_api
    code, output = conformance("replay", str(directory / "c"), "--report-dir", str(directory / "replayed"))
    assert code == 1, output
    replayed = directory / "replayed"
    document: dict[str, Any] = json.loads((replayed / "results.json").read_text(encoding="utf-8"))
    assert document["target"] == "replay:live" and document["policy"]["checks"] == sorted(CHECKS.split(","))
    lines = printed_lines((replayed / "junit.xml").read_text(encoding="utf-8"), replayed)
    assert set(lines) == failing_cases(replayed) == failing_cases(directory / "r")
    case, line = sorted(lines.items())[0]
    code, output = conformance(*shlex.split(line)[1:])
    assert code == 1 and f"against live {server.url}" in output, (case, output)
    summary = (replayed / "summary.md").read_text(encoding="utf-8")
    assert "conformance run --target live " in summary and "--checks" in summary  # not "--target replay:live"
