"""A run stopped by SIGTERM or Ctrl-C (SIGINT) leaves only complete files, and its results say so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cassette_helpers import EMULATOR_ENV, conformance, files, parse_all, results, sidecar

from conformance.emulator.server import EmulatorServer


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_run_writes_complete_files_that_say_interrupted(tmp_path: Path, signum: int) -> None:
    with EmulatorServer() as server:
        server.inject("slow", ms=40)
        command = [sys.executable, "-m", "conformance.cli", "run", "--target", "live", "--base-url", server.url,
                   "--configuration-id", server.configuration_id, "--rate", "10000", "--max-requests", "100000",
                   "--seed", "2", "--max-examples", "10", "--report-dir", str(tmp_path / "reports"),
                   "--cassette-dir", str(tmp_path / "cassettes")]  # fmt: skip
        process = subprocess.Popen(command, env={**os.environ, **EMULATOR_ENV, "CI": "1"}, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while server.faults.active()[0]["hits"] < 8:  # mid-run: some requests answered, most still to come
                assert process.poll() is None and time.monotonic() < deadline, "the run ended before the signal"
                time.sleep(0.02)
            process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        hits = server.faults.active()[0]["hits"]
    assert process.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and stdout.startswith("INTERRUPTED:")
    written = files(tmp_path / "reports", tmp_path / "cassettes")
    assert [p for p in written if p.name.startswith(".") or p.suffix == ".tmp"] == []
    parse_all(written)  # every YAML and JSON file is whole
    document = results(tmp_path / "reports")
    assert document["interrupted"] is True
    assert 0 < document["counts"]["requests"] <= hits < 80 and document["counts"]["not_drawn"] > 0
    assert document["verdict"] == "interrupted" and "PASSED" not in (tmp_path / "reports" / "summary.md").read_text()
    assert sidecar(tmp_path / "cassettes")["interrupted"] is True
    code, output = conformance("replay", str(tmp_path / "cassettes"), "--report-dir", str(tmp_path / "replayed"))
    assert code == 130, output  # what was recorded before the signal replays, as interrupted as it was
    replayed = results(tmp_path / "replayed")
    assert replayed["counts"]["not_drawn"] == document["counts"]["not_drawn"] and replayed["verdict"] == "interrupted"
