"""Filing in batches: what a run filed reaches the disk every FLUSH_EVERY_S and at once after a failed case, in the
order a killed run's readers rely on (cassettes, then the recording's list, then the results stream)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cassette_helpers import interactions

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.record.cassettes.recording import CASES_FILE, Recorder
from conformance.record.results import RunResult
from conformance.record.sinks import FLUSH_EVERY_S, RunSinks
from conformance.record.stream import STREAM_FILE
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions


def _on_disk(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_filed_cases_wait_at_most_the_interval_and_a_failed_one_not_at_all(tmp_path: Path) -> None:
    now = [0.0]
    with EmulatorServer() as server:
        target = target_for(server)
        options = RunOptions(seed=3, max_examples=1, max_requests=None, rate=None)
        recorder = Recorder.for_run(tmp_path / "cassettes", target, pii=False, deterministic=False, environ={})
        sinks = RunSinks(tmp_path / "reports", recorder, load_contract(), clock=lambda: now[0])
        run = RunResult("batches", target.name, target.base_url, 3, 1, "2026-12-07T06:00:00Z")
        sinks.start(run)
        runner = Runner(target, options)
        try:
            judged = [runner.run_case(case) for case in plan_for(target, options).cases if case.kind == "valid"][:4]
        finally:
            runner.client.close()
    assert len(judged) == 4 and all(case.outcome == "passed" for case in judged)
    stream, listed = tmp_path / "reports" / STREAM_FILE, tmp_path / "cassettes" / CASES_FILE

    sinks.case(judged[0])
    now[0] += FLUSH_EVERY_S / 2
    sinks.case(judged[1])
    assert len(_on_disk(stream)) == 1 and _on_disk(listed) == []  # the header only: both cases wait

    failing = replace(judged[2], outcome="failed")
    sinks.case(failing)  # a failure is not left to a kill: it and everything before it reach the disk now
    assert len(_on_disk(stream)) == 4 and len(_on_disk(listed)) == 3
    for name, count in recorder.counts.items():  # with every interaction of the cases listed
        assert len(interactions(tmp_path / "cassettes" / name)) == count, name

    now[0] += FLUSH_EVERY_S
    sinks.case(judged[3])  # the interval has passed: this one goes at once too
    assert len(_on_disk(stream)) == 5 and len(_on_disk(listed)) == 4
