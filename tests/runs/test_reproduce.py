"""Reproduce as printed: every curl line of a failing live run, run by a shell with the run's environment, gets
the status the run recorded; ``conformance reproduce`` re-sends one case and judges it again."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer
from conformance.report.document import case_group

# The shell the run is started from: both credential forms, a configuration of the target's.
RUN_ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "5e" * 16,
    "TWILIO_AUTH_TOKEN": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "TWILIO_API_KEY": "SK" + "7c" * 16,
    "TWILIO_API_SECRET": "Zq9/secret+value=",
    "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_reproduce01",
    # the second account of the cross-account cases, both forms
    "CONFORMANCE_SECOND_ACCOUNT_SID": "AC" + "6f" * 16,
    "CONFORMANCE_SECOND_AUTH_TOKEN": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
    "CONFORMANCE_SECOND_API_KEY": "SK" + "8d" * 16,
    "CONFORMANCE_SECOND_API_SECRET": "Yx8/second+secret=",
    "CONFORMANCE_SECOND_CONFIGURATION_ID": "conv_configuration_reproduce02",
}
FAULTS = ("accept_invalid", "ignore_auth", "cross_account_configuration")  # what the faulty target does
pytestmark = pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl")


def conformance(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"CONFORMANCE_BASE_URL": None, "CI": "1", **(env or {})})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def faulty_live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Path]]:
    """A live run (personal-data redaction on, its default) against an emulator that accepts what it must refuse."""
    directory = tmp_path_factory.mktemp("reproduce")
    with EmulatorServer(EmulatorSettings().with_environment(RUN_ENV)) as server:
        for fault in FAULTS:
            server.inject(fault)
        code, output = conformance("run", "--target", "live", "--base-url", server.url, "--rate", "10000",
                                   "--max-requests", "100000", "--seed", "11", "--max-examples", "2",
                                   "--report-dir", str(directory / "r"), "--cassette-dir", str(directory / "c"),
                                   env=RUN_ENV)  # fmt: skip
        assert code == 1, output
        yield server, directory / "r"


def results(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def test_every_curl_line_gets_the_recorded_status_from_the_runs_shell(
    faulty_live_run: tuple[EmulatorServer, Path],
) -> None:
    _server, directory = faulty_live_run
    document = results(directory)
    chosen: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for failure in document["failures"]:  # one per check, family and form keeps it quick; every mode is in
        chosen.setdefault((failure["check"], case_group(failure["case"]), failure["request"]["credentials"]), failure)
    assert {f["request"]["credentials"] for f in chosen.values()} >= {"api_key", "account"}
    assert len({f["request"]["auth"] for f in chosen.values()}) >= 5
    second = [f for f in chosen.values() if f["request"].get("account") == "second"]
    assert {f["request"]["credentials"] for f in second} == {"api_key", "account"}
    assert all("$CONFORMANCE_SECOND_" in f["curl"] and "$TWILIO_" not in f["curl"] for f in second)
    shell_env = {"PATH": os.environ["PATH"], **RUN_ENV}  # only what the run's shell had
    for failure in chosen.values():
        line = f"{failure['curl']} -o /dev/null -w '%{{http_code}}'"
        done = subprocess.run(["bash", "-c", line], env=shell_env, capture_output=True, text=True, timeout=30)
        assert done.stdout == str(failure["response"]["status"]), (failure["case"], failure["curl"], done.stderr)


def test_conformance_reproduce_judges_the_case_again_where_it_is_sent(
    faulty_live_run: tuple[EmulatorServer, Path],
) -> None:
    server, directory = faulty_live_run
    case = next(f["case"] for f in results(directory)["failures"] if f["check"] == "negative_data_rejection")
    code, output = conformance("reproduce", str(directory), case, "--base-url", server.url, env=RUN_ENV)
    assert code == 1, output
    assert "got 201, the run got 201" in output and "FAIL negative_data_rejection" in output
    assert output.rstrip().endswith("FAILED again")
    fixed = EmulatorSettings().with_environment(RUN_ENV)
    with EmulatorServer(fixed) as healthy:  # the same target once the fault is fixed
        code, output = conformance("reproduce", str(directory), case, "--base-url", healthy.url, env=RUN_ENV)
    assert code == 0 and "got 400, the run got 201" in output and output.rstrip().endswith("PASSED now"), output
    crossing = "cross_account/configuration/second_uses_first/account"  # sent as the second account again
    code, output = conformance("reproduce", str(directory), crossing, "--base-url", server.url, env=RUN_ENV)
    assert code == 1 and "got 201, the run got 201" in output and "FAIL cross_account_isolation" in output, output


def test_an_emulator_run_is_reproduced_on_a_fresh_emulator_and_bad_input_is_one_line(tmp_path: Path) -> None:
    clean = dict.fromkeys(RUN_ENV)
    code, output = conformance("run", "--seed", "3", "--max-examples", "1", "--report-dir", str(tmp_path / "r"),
                               "--cassette-dir", str(tmp_path / "c"), env=clean)  # fmt: skip
    assert code == 0, output
    code, output = conformance("reproduce", str(tmp_path / "r"), "valid/edge/00", env=clean)
    assert code == 0 and "against emulator http://127.0.0.1:" in output and "PASSED now" in output, output
    code, output = conformance("reproduce", str(tmp_path / "r"), "valid/nope", env=clean)
    assert code == 2 and output.strip().count("\n") == 0 and "no case 'valid/nope'" in output, output
    code, output = conformance("reproduce", str(tmp_path / "missing"), "valid/edge/00", env=clean)
    assert code == 2 and "does not exist" in output, output


def test_reproduce_prints_what_the_vendor_echoed_redacted_and_why_a_case_was_not_run(
    faulty_live_run: tuple[EmulatorServer, Path],
) -> None:
    server, directory = faulty_live_run
    crossing = "cross_account/configuration/second_uses_first/api_key"  # the second account's login, quoted back
    server.inject("echo_authorization", padding=60)
    server.inject("status_500")
    try:
        code, output = conformance("reproduce", str(directory), crossing, "--base-url", server.url, env=RUN_ENV)
    finally:
        server.clear_faults()
        for fault in FAULTS:  # the fixture's own, for the tests after this one
            server.inject(fault)
    assert code == 1 and "FAIL no_server_error" in output, output
    assert "(Authorization: Basic [REDACTED])" in output, output
    login = f"{RUN_ENV['CONFORMANCE_SECOND_API_KEY']}:{RUN_ENV['CONFORMANCE_SECOND_API_SECRET']}"
    encoded = base64.b64encode(login.encode()).decode()
    assert encoded[:12] not in output and RUN_ENV["CONFORMANCE_SECOND_API_SECRET"][:8] not in output, output
    without_second = {**RUN_ENV, **dict.fromkeys(name for name in RUN_ENV if name.startswith("CONFORMANCE_SECOND_"))}
    code, output = conformance("reproduce", str(directory), crossing, "--base-url", server.url, env=without_second)
    assert code == 2 and "not run: cross-account cases not run: set CONFORMANCE_SECOND_API_KEY" in output, output
    assert output.rstrip().endswith("INCONCLUSIVE")


def test_a_cross_account_read_is_reproduced_after_the_create_it_reads(
    faulty_live_run: tuple[EmulatorServer, Path],
) -> None:
    """Sent alone, a read of the other account's conversation has nothing to read: the create the run made first is
    sent first again, so a leak between accounts reproduces (before, the case came back "not run")."""
    server, directory = faulty_live_run
    reading = "cross_account/read/second_reads_first/account"
    server.inject("cross_account_read")
    try:
        code, output = conformance("reproduce", str(directory), reading, "--base-url", server.url, env=RUN_ENV)
    finally:
        server.clear_faults()
        for fault in FAULTS:
            server.inject(fault)
    assert code == 1 and "FAIL cross_account_isolation" in output, output
    assert output.startswith("sent first, as the run did") and "valid/" in output.splitlines()[0], output
    with EmulatorServer(EmulatorSettings().with_environment(RUN_ENV)) as healthy:
        for case in (reading, "cross_account/read/first_reads_second/api_key"):
            code, output = conformance("reproduce", str(directory), case, "--base-url", healthy.url, env=RUN_ENV)
            assert code == 0 and "got 404, the run got" in output and output.rstrip().endswith("PASSED now"), output
    assert "cross_account/create/second/" in output.splitlines()[0], output
