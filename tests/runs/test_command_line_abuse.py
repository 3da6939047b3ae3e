"""The command line under abuse, tried as a new user would: every bad input is one line and a documented exit
code (2 for `conformance run`, pytest's 4 for the pytest plugin), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from test_failure_paths import HTML_502, LIVE_ENV, stub

from conformance.cli import cli
from conformance.emulator.server import EmulatorServer
from conformance.pytest_plugin import pytest_configure
from conformance.run.runner import STOPPED_UNAVAILABLE
from conformance.settings import NOT_THE_API_STREAK, TARGET_DEFAULTS, UNAVAILABLE_STREAK


def run_in(folder: Path, *args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    """``conformance run`` started in ``folder`` (where a pinned-options file is looked for)."""
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["run", *args], env={**LIVE_ENV, **(env or {})})
    finally:
        os.chdir(cwd)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


CROSS_ACCOUNT_NOTICE = "conformance: cross-account cases not run"


def one_error_line(stderr: str) -> str:
    """The one line that says what is wrong (click prefixes its usage hint; the error itself is one line)."""
    errors = [
        line
        for line in stderr.splitlines()
        if line.startswith(("Error:", "conformance:")) and not line.startswith(CROSS_ACCOUNT_NOTICE)
    ]  # a notice about what a live run leaves out
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max-examples", "99999999999999999999"], "--max-examples"),
        (["--max-examples", "0"], "--max-examples"),
        (["--max-examples", "-3"], "--max-examples"),
        (["--rate", "nan"], "--rate"),
        (["--rate", "inf"], "--rate"),  # a number that is not one would reach results.json
        (["--clock-skew", "nan"], "--clock-skew"),
        (["--clock-skew", "inf"], "--clock-skew"),
        (["--max-time", "soon"], "--max-time"),
        (["--max-time", "infs"], "--max-time"),
        (["--max-time", "nanh"], "--max-time"),
    ],
)
def test_a_bad_run_option_is_one_line_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    code, stdout, stderr = run_in(tmp_path, *args, "--report-dir", str(tmp_path / "r"))
    assert code == 2 and stdout == ""
    assert expected in one_error_line(stderr)
    assert not (tmp_path / "r").exists()


def test_a_bad_pytest_option_is_one_line_and_pytests_usage_exit_code() -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider",
                             "-q", "--conformance-shard", "5/4"], capture_output=True, text=True, cwd="/",
                            timeout=120)  # fmt: skip
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 4, output  # pytest's usage error, before anything is collected
    assert output == "ERROR: --conformance-shard: shard index must be between 1 and 4, got 5"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--conformance-max-examples", 0, "--conformance-max-examples: 0 is not in the range"),
        ("--conformance-max-examples", -3, "--conformance-max-examples: -3 is not in the range"),
        ("--conformance-max-examples", 10**20, "--conformance-max-examples: 100000000000000000000 is not in"),
        ("--conformance-max-requests", 0, "--conformance-max-requests: 0 is not in the range"),
        ("--conformance-rate", float("nan"), "--conformance-rate: nan is not a number"),
        ("--conformance-rate", 0.0, "--conformance-rate: 0.0 is not in the range"),
        ("--conformance-rate", float("inf"), "--conformance-rate: inf is not a number of requests per second"),
        ("--conformance-shard", "x", "--conformance-shard: expected I/N such as 1/4, got 'x'"),
    ],
)
def test_each_bad_pytest_option_is_refused_at_configure(option: str, value: object, expected: str) -> None:
    given = {option: value}
    config = SimpleNamespace(getoption=lambda name: given.get(name))
    with pytest.raises(pytest.UsageError) as refused:
        pytest_configure(config)  # type: ignore[arg-type]
    assert str(refused.value).startswith(expected), refused.value


def test_an_html_target_at_the_live_default_rate_stops_after_a_few_answers(tmp_path: Path) -> None:
    assert TARGET_DEFAULTS["live"].rate is not None  # the default is a gentle rate: each request sent costs time
    with stub(lambda _path: HTML_502) as (url, hits):
        code, stdout, stderr = run_in(tmp_path, "--target", "live", "--base-url", url, "--seed", "3",
                                      "--report-dir", "r", "--cassette-dir", "c")  # fmt: skip
    assert code == 2 and stdout == "", stderr
    line = one_error_line(stderr)
    assert line.startswith("conformance: run stopped") and "HTML page" in line and url in line
    assert len(hits) == NOT_THE_API_STREAK  # a 502 HTML page is not retried: one request per case
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    counts = document["counts"]  # the rest of the plan is counted per family, never drawn
    assert counts["cases"] - counts["not_run"] == NOT_THE_API_STREAK and counts["not_drawn"] > 100


def test_a_target_that_is_never_available_ends_the_run_undecided_after_a_few_cases(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("status_503", retry_after=0)  # every request, every retry: the vendor's 503 body
        code, stdout, stderr = run_in(tmp_path, "--target", "live", "--base-url", server.url, "--seed", "3",
                                      "--rate", "10000", "--report-dir", "r", "--cassette-dir", "c")  # fmt: skip
        hits = server.faults.active()[0]["hits"]
    assert code == 2 and stdout.startswith("UNDECIDED"), stdout + stderr
    line = one_error_line(stderr)
    assert line.startswith(f"conformance: run stopped: {STOPPED_UNAVAILABLE}; {UNAVAILABLE_STREAK} of "), line
    assert "could not be judged (first: still 503 after 4 attempts)" in line
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert document["stopped"] == STOPPED_UNAVAILABLE and document["verdict"] == "undecided"
    assert hits == document["counts"]["requests"] == UNAVAILABLE_STREAK * 4  # each case: the request and 3 retries


def test_a_target_unavailable_for_fewer_cases_than_that_is_not_given_up_on(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        server.inject("status_503", retry_after=0, count=(UNAVAILABLE_STREAK - 1) * 4)  # the first cases, every try
        code, stdout, stderr = run_in(tmp_path, "--target", "live", "--base-url", server.url, "--seed", "3",
                                      "--rate", "10000", "--max-examples", "1", "--report-dir", "r",
                                      "--cassette-dir", "c")  # fmt: skip
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert "stopped" not in document and document["counts"]["inconclusive"] == UNAVAILABLE_STREAK - 1, stderr
    assert "run stopped" not in stderr and code in (0, 1, 3), stdout + stderr


def test_a_few_foreign_answers_among_the_apis_own_do_not_stop_the_run(tmp_path: Path) -> None:
    answers = iter(range(10_000))

    def every_fifth_is_a_proxy_page(_path: str) -> tuple[int, str, bytes]:
        if next(answers) % 5 == 4:
            return HTML_502
        return 400, "application/json", b'{"code": 20001, "message": "Invalid", "status": 400}'

    with stub(every_fifth_is_a_proxy_page) as (url, hits):
        code, _stdout, stderr = run_in(tmp_path, "--target", "live", "--base-url", url, "--seed", "3",
                                       "--rate", "10000", "--max-examples", "1", "--report-dir", "r",
                                       "--cassette-dir", "c")  # fmt: skip
    document = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    unrun = {case["id"].split("/")[0] for case in document["cases"] if case["outcome"] == "not_run"}
    # not run: cross-account (one account here), and GETs of what a create would have made (nothing was created)
    assert unrun <= {"cross_account", "not_found"} and len(hits) == document["counts"]["requests"], stderr
    assert code == 1  # judged: a 400 for every valid request is a contract failure, not a broken target


# --- run options pinned in a file ---


def test_options_pinned_in_pyproject_apply_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.conformance]\nmax-examples = 2\n'
                                             'seed = 7\nreport-dir = "pinned"\ncassette-dir = "c"\n'
                                             'severity = {undocumented_enum_values = "warn"}\n')  # fmt: skip
    code, stdout, stderr = run_in(tmp_path, "--max-examples", "1")
    assert code == 0, stdout + stderr
    assert (
        f"options pinned in {tmp_path / 'pyproject.toml'}: --cassette-dir, --max-examples, --report-dir, "
        "--seed, --severity (flags given win)" in stderr
    )  # the flags the user knows, never the internal names
    document = json.loads((tmp_path / "pinned" / "results.json").read_text(encoding="utf-8"))
    assert (document["seed"], document["max_examples"]) == (7, 1)  # the file's seed, the flag's size
    assert document["checks"]["undocumented_enum_values"]["severity"] == "warn"
    assert "--seed 7 --max-examples 1 --severity undocumented_enum_values=warn" in stdout


def test_a_severity_pinned_for_a_check_the_allow_list_leaves_out_is_named(tmp_path: Path) -> None:
    (tmp_path / "conformance.toml").write_text('severity = {undocumented_enum_values = "warn", read_back = "warn"}\n')
    code, stdout, stderr = run_in(tmp_path, "--max-examples", "1", "--checks", "read_back", "--report-dir", "r",
                                  "--cassette-dir", "c")  # fmt: skip
    assert code in (0, 3), stdout + stderr  # 3: the allow-list leaves families unjudged
    assert "conformance: --severity for undocumented_enum_values has no effect: --checks leaves it out" in stderr
    code, stdout, stderr = run_in(tmp_path, "--max-examples", "1", "--checks", "read_back", "--report-dir", "r2",
                                  "--cassette-dir", "c2", "--severity", "request_echo=fail",
                                  "--severity", "undocumented_enum_values=fail")  # fmt: skip
    assert code in (0, 3), stdout + stderr
    assert "--severity for request_echo, undocumented_enum_values has no effect: --checks leaves them out" in stderr
    code, stdout, stderr = run_in(tmp_path, "--max-examples", "1", "--report-dir", "r3", "--cassette-dir", "c3")
    assert code == 0 and "has no effect" not in stderr, stdout + stderr  # every check runs


def test_conformance_toml_comes_before_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.conformance]\nseed = 1\n")
    (tmp_path / "conformance.toml").write_text("max-examples = 0\n")
    code, _stdout, stderr = run_in(tmp_path)
    assert code == 2 and "conformance.toml: max-examples" in one_error_line(stderr)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("max-examples = 0", "max-examples: 0 is not in the range"),
        ("max_examples = 3", "max_examples: not a run option; known: base-url"),
        ('shard = "5/4"', "shard: shard index must be between 1 and 4, got 5"),
        ('severity = {nope = "warn"}', "severity: unknown check 'nope'"),
        ('max-time = "soon"', "max-time: --max-time: expected a duration"),
        ('deterministic = "yes"', "deterministic: expected true or false"),
        ("rate = nan", "rate: 'nan' is not a number of requests per second"),  # as --rate nan says
        ("max-examples = [1]", "max-examples: expected one value"),
        ('target = "staging"', "target: 'staging' is not one of"),
        # TOML types the flag's text cannot carry: judged as the text a user would type, never cast or crashed on
        ("seed = 1.5", "seed: '1.5' is not a valid integer"),
        ("max-examples = 1e400", "max-examples: 'inf' is not a valid integer"),
        ("report-dir = 5", "report-dir: expected a quoted string, got 5"),
        ("cassette-dir = 2026-01-01", "cassette-dir: expected a quoted string, got 2026-01-01"),
        ("baseline = true", "baseline: expected a quoted string, got true"),
        ("target = 1", "target: expected a quoted string, got 1"),
        ("[oops", "not readable TOML"),
    ],
)
def test_a_bad_pinned_option_is_one_line_naming_the_file_and_key_and_exit_2(tmp_path: Path, content: str,
                                                                              expected: str) -> None:  # fmt: skip
    (tmp_path / "conformance.toml").write_text(content + "\n")
    code, stdout, stderr = run_in(tmp_path, "--report-dir", "r")
    assert code == 2 and stdout == ""
    line = one_error_line(stderr)
    assert line.startswith(f"Error: {tmp_path / 'conformance.toml'}: ") and expected in line, line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--max-examples", "0"], "Error: Invalid value for '--max-examples': 0 is not in the range"),
        (["run", "--target", "bogus"], "Error: Invalid value for '--target': 'bogus' is not one of"),
        (["run", "--no-such-flag"], "Error: No such option '--no-such-flag'"),
        (["nope"], "Error: No such command 'nope'"),
        (["diff"], "Error: Missing argument 'OLD'"),
    ],
)
def test_a_usage_error_is_one_line_from_the_installed_command(args: list[str], expected: str) -> None:
    """Click prints its usage block before such an error; the ``conformance`` command prints the error alone."""
    done = subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(expected), done.stderr
    assert "--help" in done.stderr  # where to look next
