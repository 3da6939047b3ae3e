"""`schemathesis run` as a CI user runs it, against the embedded emulator, with and without our checks.

Bounded for CI: a fixed seed, a few examples per operation, one worker; each run takes seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.contract.schemas import OPENAPI_FILE, schemas_dir
from conformance.emulator import EmulatorServer

pytestmark = pytest.mark.slow

HOOKS = "conformance.schemathesis"
SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def st_run(emulator: EmulatorServer, cwd: Path, *, hooks: bool, phases: str | None = None) -> tuple[int, str]:
    """One `schemathesis run` of the contract against the emulator; its exit code and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SCHEMATHESIS_", "CONFORMANCE_"))}
    if hooks:
        env["SCHEMATHESIS_HOOKS"] = HOOKS
    credentials = emulator.credentials
    command = [SCHEMATHESIS, "run", str(schemas_dir() / OPENAPI_FILE), "--url", emulator.url,
               "--auth", f"{credentials.account_sid}:{credentials.auth_token}", "--seed", "1",
               "--max-examples", "5", "--workers", "1", "--generation-database", "none", "--no-color"]  # fmt: skip
    if phases:
        command += ["--phases", phases]
    # cwd: schemathesis writes a .schemathesis/ folder wherever it runs.
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


def conversations(emulator: EmulatorServer) -> int:
    return int(httpx.get(f"{emulator.url}/__emulator__/health").json()["conversations"])


def test_faithful_emulator_passes_with_our_checks_reaching_201s_and_the_stateful_phase(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    code, output = st_run(emulator, tmp_path, hooks=True)
    assert code == 0, output[-4000:]
    assert "No issues found" in output
    assert re.search(r"Stateful \(in [\d.]+s\)", output), output[-4000:]
    assert re.search(r"API Links:\s+1 covered", output), output[-4000:]
    assert conversations(emulator) > 0  # creates got past 404: the example configuration exists


FAULTS: list[tuple[str, dict[str, Any], str]] = [
    ("not_echoed", {"field": "name"}, "conformance_request_echo"),
    ("participant_mismatch", {"field": "conversationId"}, "conformance_account_identity"),
    ("wrong_account", {}, "conformance_account_identity"),
]


@pytest.mark.parametrize(("fault", "params", "check"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_fault_only_our_checks_see_fails_the_run_naming_our_check(
    emulator: EmulatorServer, tmp_path: Path, fault: str, params: dict[str, Any], check: str
) -> None:
    emulator.inject(fault, route="create", **params)
    code, output = st_run(emulator, tmp_path, hooks=True, phases="examples,coverage,fuzzing")
    assert code == 1, output[-4000:]
    assert f"Custom check failed: `{check}`" in output, output[-4000:]


def test_schemathesis_alone_misses_every_one_of_those_faults(emulator: EmulatorServer, tmp_path: Path) -> None:
    """Why conformance.schemathesis exists: without it, the same run over the same faults passes."""
    for fault, params, _check in FAULTS:
        emulator.inject(fault, route="create", **params)
    code, output = st_run(emulator, tmp_path, hooks=False, phases="examples,coverage,fuzzing")
    assert code == 0, output[-4000:]
    assert conversations(emulator) > 0 and "conformance_" not in output
