"""A run killed outright (SIGKILL: no handler runs) still leaves everything it judged: reports and a replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cassette_helpers import EMULATOR_ENV, conformance, results, sidecar

from conformance.emulator.server import EmulatorServer
from conformance.record.stream import STREAM_FILE, ResultsStream


def _killed_run(tmp_path: Path) -> tuple[Path, Path]:
    reports, cassettes = tmp_path / "reports", tmp_path / "cassettes"
    with EmulatorServer() as server:
        server.inject("slow", ms=30)
        command = [sys.executable, "-m", "conformance.cli", "run", "--target", "live", "--base-url", server.url,
                   "--configuration-id", server.configuration_id, "--rate", "10000", "--max-requests", "100000",
                   "--seed", "4", "--max-examples", "10", "--report-dir", str(reports),
                   "--cassette-dir", str(cassettes)]  # fmt: skip
        process = subprocess.Popen(command, env={**os.environ, **EMULATOR_ENV, "CI": "1"}, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while server.faults.active()[0]["hits"] < 12:
                assert process.poll() is None and time.monotonic() < deadline, "the run ended before the kill"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    return reports, cassettes


def test_a_killed_run_can_be_reported_and_replayed(tmp_path: Path) -> None:
    reports, cassettes = _killed_run(tmp_path)
    assert not (reports / "results.json").exists()  # the run never reached its end
    judged = sum(1 for _ in ResultsStream(reports / STREAM_FILE).records())
    assert judged > 0

    code, output = conformance("report", "build", str(reports))
    assert code == 130, output  # as the run would have exited
    assert output.startswith("INTERRUPTED") and "interrupted" in output and "PASSED" not in output
    document = results(reports)
    assert document["interrupted"] is True and document["counts"]["cases"] == judged
    assert (reports / "junit.xml").exists() and (reports / "report.html").exists()

    assert sidecar(cassettes)["interrupted"] is True
    code, output = conformance("replay", str(cassettes), "--report-dir", str(tmp_path / "replayed"))
    assert code == 130 and output.startswith("INTERRUPTED") and "PASSED" not in output, output
    replayed = results(tmp_path / "replayed")
    assert replayed["interrupted"] is True and replayed["verdict"] == "interrupted"
    assert [c["id"] for c in replayed["cases"]] == [c["id"] for c in document["cases"]]  # exactly the stream's


def test_a_replay_of_a_killed_run_reads_no_further_than_its_results_stream(tmp_path: Path) -> None:
    reports, cassettes = _killed_run(tmp_path)
    listed = (cassettes / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    stream = (reports / STREAM_FILE).read_text(encoding="utf-8").splitlines()
    (reports / STREAM_FILE).write_text("\n".join(stream[:-1]) + "\n", encoding="utf-8")  # killed between the two
    judged = sum(1 for _ in ResultsStream(reports / STREAM_FILE).records())
    assert judged < len(listed)
    code, output = conformance("replay", str(cassettes), "--report-dir", str(tmp_path / "replayed"))
    assert code == 130, output
    assert results(tmp_path / "replayed")["counts"]["cases"] == judged


def test_a_torn_last_line_and_a_torn_last_interaction_are_left_out(tmp_path: Path) -> None:
    reports, cassettes = _killed_run(tmp_path)
    stream = reports / STREAM_FILE
    judged = sum(1 for _ in ResultsStream(stream).records())
    with stream.open("a", encoding="utf-8") as handle:
        handle.write('{"case": {"case": {"id": "valid/99')  # what a kill mid-write leaves
    listed = cassettes / "cases.jsonl"
    entries = listed.read_text(encoding="utf-8").splitlines()
    cassette = cassettes / next(json.loads(e)["cassette"] for e in reversed(entries) if json.loads(e)["cassette"])
    with cassette.open("a", encoding="utf-8") as handle:
        handle.write("- request:\n    body: '{\"configura")
    with listed.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "valid/00')

    code, output = conformance("report", "build", str(reports))
    assert code == 130, output
    assert results(reports)["counts"]["cases"] == judged
    code, output = conformance("replay", str(cassettes), "--report-dir", str(tmp_path / "replayed"))
    assert code == 130, output
    assert results(tmp_path / "replayed")["counts"]["cases"] == judged <= len(entries)


def test_a_time_boxed_run_stops_when_its_time_is_spent_and_says_how_far_it_got(tmp_path: Path) -> None:
    from cassette_helpers import live_run

    with EmulatorServer() as server:
        code, output = live_run(server, tmp_path, "--max-time", "1.5s", seed=6, max_examples=100_000)
    document = results(tmp_path / "reports")
    assert code == {"passed": 0, "incomplete": 3}[document["verdict"]], output  # as far as 1.5 s reached
    assert document["time_budget_s"] == 1.5 and document["stopped"] == "time budget spent"
    assert document["duration_s"] >= 1.5  # not stopped before its time (how far it got depends on the machine)
    assert document["counts"]["cases"] == sum(1 for _ in ResultsStream(tmp_path / "reports" / STREAM_FILE).records())
    assert document["counts"]["cases"] > 0
    assert document["counts"]["not_run"] == 0  # an endless plan's rest is not listed
    assert "--max-time 1.5s" in output
    code, output = conformance("replay", str(tmp_path / "cassettes"), "--report-dir", str(tmp_path / "replayed"))
    assert code in (0, 3) and results(tmp_path / "replayed")["verdict"] == document["verdict"], output


def test_a_duration_must_be_one() -> None:
    code, output = conformance("run", "--max-time", "soon")
    assert code == 2 and "--max-time" in output
