"""Benchmark: how many recorded interactions per second `conformance replay` re-validates.

Records two deterministic runs against the embedded emulator (``conformance run --deterministic``:
the default size, 100 examples, and a larger one), then replays each several times in this process
with the network off (``replay()``: read run.json, load and validate every cassette, rebuild every
exchange, run every check) and reports the median and best rate. Also times loading the cassettes
with vcrpy's own loader beside the one replay uses, and one whole ``conformance replay`` command
(interpreter start, imports and the four report files included). Writes the numbers to
``bench/RESULTS.md`` (section "Replay").

    python bench/replay/run.py [--rounds 7] [--large 300] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for results_md
from results_md import load_average, machine, when, write_section
from vcr.serializers import yamlserializer

from conformance.contract.schemas import load_contract
from conformance.record.cassettes.fastyaml import load_cassette
from conformance.run.replay import no_network, replay

HERE = Path(__file__).resolve().parent
SECTION = "## Replay"
GOAL = 2000.0  # interactions per second (issue 5)


@dataclass
class Measurement:
    workload: str
    cases: int
    interactions: int
    megabytes: float
    rates: list[float]  # interactions/s, one per round
    vcrpy_load_s: float
    fast_load_s: float
    command_s: float

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def record(directory: Path, max_examples: int, seed: int) -> None:
    command = ["conformance", "run", "--deterministic", "--seed", str(seed), "--max-examples", str(max_examples),
               "--cassette-dir", str(directory / "cassettes"), "--report-dir", str(directory / "reports")]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=directory, env={**os.environ, "CI": "1"})


def measure(workload: str, directory: Path, rounds: int) -> Measurement:
    cassettes = directory / "cassettes"
    with no_network():
        replay(cassettes)  # warm: the contract's compiled validators, the resolver cache
        rates, result = [], None
        for _ in range(rounds):
            started = time.perf_counter()
            result = replay(cassettes)
            rates.append(result.requests / (time.perf_counter() - started))
    assert result is not None and not result.failures, "the recording should replay clean"
    texts = [p.read_text(encoding="utf-8") for p in sorted(cassettes.rglob("*.yaml"))]
    started = time.perf_counter()
    vcrpy = [yamlserializer.deserialize(text) for text in texts]
    vcrpy_load = time.perf_counter() - started
    started = time.perf_counter()
    fast = [load_cassette(text) for text in texts]
    fast_load = time.perf_counter() - started
    assert fast == vcrpy, "the fast loader must read what vcrpy reads"
    started = time.perf_counter()
    subprocess.run(["conformance", "replay", str(cassettes), "--report-dir", str(directory / "replayed")], check=True,
                   capture_output=True, cwd=directory)  # fmt: skip
    command = time.perf_counter() - started
    size = sum(p.stat().st_size for p in cassettes.rglob("*") if p.is_file()) / 1e6
    return Measurement(workload, len(result.cases), result.requests, size, rates, vcrpy_load, fast_load, command)


def section(measurements: list[Measurement], rounds: int, load_before: str) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {when()} by `python bench/replay/run.py` on this machine ({machine()}). "
        "Each workload is a deterministic emulator recording "
        f"(`conformance run --deterministic`), replayed {rounds} times in one process with the network off after a "
        "warm-up; a round is everything `replay()` does: read run.json, load and validate every cassette, rebuild "
        "every exchange and run every check. The table shows the median round and the best; the last column every "
        f"round. Load average before the run: {load_before} (the machine is shared, so rates vary).",
        "",
        "| workload | cases | interactions | cassettes | interactions/s (median) | best | per round |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in measurements:
        rounds_text = ", ".join(f"{r:,.0f}" for r in m.rates)
        lines.append(f"| {m.workload} | {m.cases:,} | {m.interactions:,} | {m.megabytes:.1f} MB | {m.median:,.0f} "
                     f"| {max(m.rates):,.0f} | {rounds_text} |")  # fmt: skip
    lines += [
        "",
        "Loading the same cassettes (YAML to Python values, nothing else), and one whole `conformance replay` "
        "command (a fresh interpreter: imports, replay, results.json, junit.xml, summary.md, report.html):",
        "",
        "| workload | vcrpy's loader | replay's loader | speed-up | `conformance replay` wall time |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in measurements:
        lines.append(f"| {m.workload} | {m.vcrpy_load_s * 1000:,.0f} ms | {m.fast_load_s * 1000:,.0f} ms | "
                     f"{m.vcrpy_load_s / m.fast_load_s:.1f}x | {m.command_s:.2f} s |")  # fmt: skip
    verdict = "met" if all(m.median >= GOAL for m in measurements) else "NOT met"
    lines += ["", f"Goal (issue 5): replay re-validates >= {GOAL:,.0f} recorded interactions/s: {verdict}.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--large", type=int, default=300, help="--max-examples of the larger recording")
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = parser.parse_args()
    load_before = load_average()
    load_contract()
    measurements = []
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        for name, examples, seed in (("default run (100 examples)", 100, 7), (f"{args.large} examples", args.large, 8)):
            directory = Path(tmp) / str(examples)
            directory.mkdir()
            record(directory, examples, seed)
            measurements.append(measure(name, directory, args.rounds))
            print(f"{name}: median {measurements[-1].median:,.0f} interactions/s", file=sys.stderr)
    text = section(measurements, args.rounds, load_before)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0 if all(m.median >= GOAL for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
