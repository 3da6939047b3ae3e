"""The README's emulator-then-live recipe, exactly as printed: the emulator's export lines pasted into another shell,
then the command it prints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

CREDENTIAL_ENV = ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                  "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL", "CONFORMANCE_SECOND_API_KEY",
                  "CONFORMANCE_SECOND_API_SECRET", "CONFORMANCE_SECOND_ACCOUNT_SID", "CONFORMANCE_SECOND_AUTH_TOKEN",
                  "CONFORMANCE_SECOND_CONFIGURATION_ID")  # fmt: skip


def test_the_printed_exports_and_command_run_the_live_target_against_the_emulator(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    emulator = subprocess.Popen([sys.executable, "-m", "conformance.cli", "emulator", "--port", "0"], env=clean,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert emulator.stdout is not None
        printed = []
        for line in emulator.stdout:
            printed.append(line.strip())
            if line.startswith("Press Ctrl+C"):
                break
        exports = [line for line in printed if line.startswith("export ")]
        command = next(line for line in printed if line.startswith("then, in that shell: ")).split(": ", 1)[1]
        # the base URL, and both accounts' SID, token, key, secret and configuration (the second: cross-account cases)
        assert len(exports) == 11 and command.startswith("conformance run --target live")
        script = "\n".join([*exports, command])  # what a person pastes into the other shell
        bin_dir = str(Path(sys.executable).parent)  # the venv's `conformance`, as in an activated shell
        shell = {**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}", "CI": "1"}
        done = subprocess.run(["bash", "-c", script], env=shell, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASSED: ") and " 0 failed, 0 inconclusive" in done.stdout
    assert "cross-account cases not run" not in done.stderr  # the second account came through the exports too
    assert (tmp_path / "reports" / "latest" / "report.html").is_file()


README = Path(__file__).resolve().parents[2] / "README.md"


def test_run_help_shows_the_defaults_per_target_and_the_exit_codes() -> None:
    from click.testing import CliRunner

    from conformance.cli import cli
    from conformance.settings import TARGET_DEFAULTS

    text = " ".join(CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output.split())
    live, emulator = TARGET_DEFAULTS["live"], TARGET_DEFAULTS["emulator"]
    assert f"(default emulator {emulator.max_examples}, live {live.max_examples})" in text
    assert f"(default emulator unlimited, live {live.max_requests})" in text
    assert f"(default emulator unlimited, live {live.rate:g})" in text
    for code in ("0 PASSED", "1 FAILED", "2 a usage or setup error", "3 INCOMPLETE", "130 INTERRUPTED"):
        assert code in text


def test_the_counts_the_readme_quotes_are_what_a_run_reports() -> None:
    """The live default, creates and read-backs apart, measured on the emulator with both credential forms."""
    import re

    from conformance.emulator.server import EmulatorServer
    from conformance.run.runner import Runner, plan_for
    from conformance.send.targets import target_for
    from conformance.settings import TARGET_DEFAULTS, RunOptions

    text = " ".join(README.read_text(encoding="utf-8").split())
    quoted = re.search(r"\((\d+) cases, (\d+) requests with two credential forms: (\d+) creates, (\d+) GETs, "
                       r"(\d+) read-backs\)", text)  # fmt: skip
    assert quoted, "README.md no longer quotes the live run's counts"
    with EmulatorServer() as server:
        target = target_for(server)
        assert len(target.forms) == 2
        options = RunOptions(seed=1, max_examples=TARGET_DEFAULTS["live"].max_examples, max_requests=None, rate=None)
        runner = Runner(target, options)
        try:
            result = runner.run(plan_for(target, options), "readme-counts")
        finally:
            runner.client.close()
    cases = [c.case for c in result.cases]
    measured = (len(cases), result.requests, sum(c.method == "POST" for c in cases),
                sum(c.method == "GET" for c in cases), sum(c.fetched is not None for c in result.cases))  # fmt: skip
    assert tuple(map(int, quoted.groups())) == measured
    assert result.requests <= (TARGET_DEFAULTS["live"].max_requests or 0)  # within the live budget
