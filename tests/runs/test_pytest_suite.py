"""The same suite under plain pytest (`pytest --pyargs conformance.suite`), in parallel and sharded."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from conformance.contract.schemas import load_contract
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer
from conformance.plan.cases import build_plan

SUITE = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q",
         "--conformance-max-examples", "3", "--conformance-seed", "5"]  # fmt: skip


def pytest_suite(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run([*SUITE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                            cwd="/", timeout=300)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def counts(output: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped)", output)}


@pytest.fixture(scope="module")
def faulty_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        server.inject("wrong_account")
        yield server


def test_the_suite_passes_against_the_embedded_emulator_in_parallel_and_sharded() -> None:
    code, output = pytest_suite("-n", "2", "--conformance-shard", "2/2")
    assert code == 0, output
    settings = EmulatorSettings()
    plan = build_plan(load_contract(), settings.configuration_id, 5, 3, ("api_key", "account"), ("api_key", "account"),
                      settings.second_configuration_id)  # fmt: skip
    cases = plan.shard(2, 2).cases
    # A case reading what a case on another shard or worker creates is skipped (runner.NOTHING_CREATED), not passed
    readers = [case for case in cases if case.reads_created and case.kind != "auth"]
    seen = counts(output)
    assert seen["passed"] + seen.get("skipped", 0) == len(cases) and seen.get("skipped", 0) <= len(readers)


def test_shards_split_the_plan_without_overlap_or_loss() -> None:
    plan = build_plan(load_contract(), "conv_configuration_x", 5, 3)
    shards = [plan.shard(i, 3).cases for i in (1, 2, 3)]
    assert sorted(c.id for shard in shards for c in shard) == sorted(c.id for c in plan.cases)
    assert all(shards)


def test_the_suite_fails_with_a_curl_line_against_a_faulty_target(faulty_emulator: EmulatorServer) -> None:
    credentials = faulty_emulator.credentials
    env = {
        "TWILIO_API_KEY": credentials.api_key or "",
        "TWILIO_API_SECRET": credentials.api_secret or "",
        "TWILIO_ACCOUNT_SID": credentials.account_sid,
        "CONFORMANCE_CONFIGURATION_ID": faulty_emulator.configuration_id,
    }
    code, output = pytest_suite(
        "--conformance-target",
        "live",
        "--conformance-base-url",
        faulty_emulator.url,
        "--conformance-rate",
        "1000",
        env=env,
    )
    assert code == 1, output
    assert "account_identity: accountId is" in output
    assert "reproduce: curl -sS -X POST" in output and "--conformance-seed 5" in output
    assert (credentials.api_secret or "") not in output


def test_the_suite_prints_what_a_vendor_echoes_redacted() -> None:
    """A vendor that quotes the Authorization header in its errors: pytest's output (a CI log) has it blanked."""
    with EmulatorServer() as server:
        server.inject("echo_authorization")
        server.inject("status_500")
        credentials = server.credentials
        env = {"TWILIO_API_KEY": credentials.api_key or "", "TWILIO_API_SECRET": credentials.api_secret or "",
               "CONFORMANCE_CONFIGURATION_ID": server.configuration_id}  # fmt: skip
        code, output = pytest_suite("--conformance-target", "live", "--conformance-base-url", server.url,
                                    "--conformance-rate", "1000", "-x", env=env)  # fmt: skip
    assert code == 1 and "no_server_error" in output, output
    assert "(Authorization: Basic [REDACTED])" in output, output
    login = f"{credentials.api_key}:{credentials.api_secret}"
    assert base64.b64encode(login.encode()).decode()[:12] not in output and (credentials.api_secret or "") not in output
