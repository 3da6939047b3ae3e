"""Benchmark: what judging costs per case, alone (issue 25: the checks that cannot apply to a kind never run).

Records one deterministic run against the embedded emulator (``conformance run --deterministic``), loads its
cases once, then judges every one of them (``judge``: every check, as a run does) several rounds in this process,
each round with a fresh run state, and prints the CPU time per case and per request (median round). Nothing is
sent while judging. To compare two checkouts, record once and point each checkout's interpreter at the same
recording, alternating:

    python bench/judging/run.py [--examples 2000] [--rounds 5] [--recording DIR]

Prints one line of JSON; the comparison and its numbers go in ``bench/RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.contract.schemas import load_contract
from conformance.judge.checks import RunState
from conformance.run.replay import Recording, judge_recorded, no_network


def record(directory: Path, examples: int) -> None:
    subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--deterministic", "--seed", "1",
                    "--max-examples", str(examples), "--cassette-dir", str(directory / "cassettes"),
                    "--report-dir", str(directory / "reports")], check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def judge_all(recording: Recording, rounds: int, limit: int | None = None) -> tuple[list[float], int, int]:
    """CPU seconds of each round; each round judges freshly read cases (nothing a case works out once is kept)."""
    contract, meta = load_contract(), recording.meta
    seconds, cases, requests = [], 0, 0
    for _ in range(rounds):
        recorded = list(recording.cases())[:limit]
        state = RunState(contract, meta.get("account_id"))
        started = time.process_time()
        for one in recorded:
            judge_recorded(one, state)
        seconds.append(time.process_time() - started)
        cases, requests = len(recorded), sum(len(c.entry["request"]) + len(c.entry["fetch"]) for c in recorded)
    return seconds, cases, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--recording", type=Path, help="a folder a previous call recorded into (kept)")
    args = parser.parse_args()
    folder = args.recording or Path(tempfile.mkdtemp(prefix="bench-judging-"))
    if not (folder / "cassettes").is_dir():
        record(folder, args.examples)
    recording = Recording(folder / "cassettes")
    with no_network():
        judge_all(recording, 1, 200)  # warm-up: imports, compiled validators
        seconds, cases, requests = judge_all(recording, args.rounds)
    median = statistics.median(seconds)
    print(json.dumps({"recording": str(folder), "cases": cases, "requests": requests,
                      "median_s": round(median, 3), "us_per_case": round(median / cases * 1e6, 1),
                      "us_per_request": round(median / requests * 1e6, 1),
                      "rounds_s": [round(s, 3) for s in seconds]}))  # fmt: skip


if __name__ == "__main__":
    main()
