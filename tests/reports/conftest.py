"""Real runs against the embedded emulator (with faults switched on where a test needs failures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from report_helpers import FAULTS, SEED, Fault, RunFactory, write_report

from conformance.emulator.server import EmulatorServer
from conformance.record.results import RunResult
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="session")
def make_run(emulator: EmulatorServer) -> RunFactory:
    """A real run against the emulator with ``faults`` on; the same arguments give the same requests."""

    def run(
        faults: tuple[Fault, ...] = (), *, seed: int = SEED, max_examples: int = 3, shard: tuple[int, int] | None = None
    ) -> RunResult:
        emulator.reset()
        for name, count, params in faults:
            emulator.inject(name, count, **params)
        target = target_for(emulator)
        options = RunOptions(seed=seed, max_examples=max_examples, max_requests=None, rate=None, shard=shard)
        runner = Runner(target, options)
        try:
            return runner.run(plan_for(target, options), f"test-seed{seed}" + (f"-shard{shard[0]}" if shard else ""))
        finally:
            runner.client.close()
            emulator.reset()

    return run


@pytest.fixture(scope="session")
def clean_run(make_run: RunFactory) -> RunResult:
    return make_run()


@pytest.fixture(scope="session")
def faulty_run(make_run: RunFactory) -> RunResult:
    return make_run(FAULTS)


@pytest.fixture(scope="session")
def clean_dir(clean_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("clean")
    write_report(clean_run, directory)
    return directory


@pytest.fixture(scope="session")
def faulty_dir(faulty_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("faulty")
    write_report(faulty_run, directory)
    return directory
