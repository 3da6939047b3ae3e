"""Benchmark: writing cassette interactions, ``yaml.dump`` (CDumper, as the recorder did) against the emitter.

The interactions come from a real recording (``conformance run --seed 1 --max-examples 50`` against the
embedded emulator, or ``--recording DIR``), grouped by case as ``Recorder._append`` receives them: each case's
attempts in one call. A round writes every case once with each writer; rounds alternate the writers, and
the table shows microseconds per interaction for the median round and the best. Before timing, every case's
text is checked to load back (CSafeLoader) to the interactions it was written from.

    python bench/cassettes/bench_emitter.py [--examples 50] [--rounds 9] [--recording DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for results_md
from results_md import load_average, machine, when, write_section  # noqa: E402

from conformance.record.cassettes.emitter import dump_interactions  # noqa: E402
from conformance.record.cassettes.fastyaml import load_cassette  # noqa: E402

SECTION = "## Cassette writing"
GOAL = 5.0  # speed-up over yaml.dump (issue 11)
Batches = list[list[dict[str, Any]]]


def record(examples: int, directory: Path) -> Path:
    """A recording of ``conformance run --seed 1`` against the embedded emulator; returns its cassette folder."""
    cassettes = directory / "cassettes"
    command = [str(Path(sys.executable).parent / "conformance"), "run", "--seed", "1", "--max-examples", str(examples),
               "--report-dir", str(directory / "reports"), "--cassette-dir", str(cassettes)]  # fmt: skip
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "CI": "1"})
    if done.returncode not in (0, 1):
        raise SystemExit(f"conformance run --max-examples {examples} failed")
    return cassettes


def batches(recording: Path) -> Batches:
    """Each case's interactions, in the order the recorder wrote them (what one ``_append`` call receives)."""
    sidecar = json.loads((recording / "run.json").read_text(encoding="utf-8"))
    loaded: dict[str, list[dict[str, Any]]] = {}
    found = []
    for case in sidecar["cases"]:
        if not case.get("cassette"):
            continue
        name = case["cassette"]
        if name not in loaded:
            loaded[name] = load_cassette((recording / name).read_bytes())["interactions"]
        found.append([loaded[name][index] for index in case["request"] + case["fetch"]])
    return found


def one_round(write: Callable[[list[dict[str, Any]]], str], cases: Batches) -> float:
    started = time.perf_counter()
    for case in cases:
        write(case)
    return time.perf_counter() - started


def yaml_dump(case: list[dict[str, Any]]) -> str:
    return yaml.dump(case, Dumper=yaml.CDumper)


def measure(cases: Batches, rounds: int) -> dict[str, list[float]]:
    for case in cases:  # the emitter's text means what yaml.dump's does
        assert yaml.load(dump_interactions(case), Loader=yaml.CSafeLoader) == case
    writers = {"yaml.dump (CDumper)": yaml_dump, "emitter": dump_interactions}
    interactions = sum(map(len, cases))
    times: dict[str, list[float]] = {name: [] for name in writers}
    for write in writers.values():  # warm-up (the emitter's caches fill as they would early in a run)
        one_round(write, cases)
    for _ in range(rounds):
        for name, write in writers.items():
            times[name].append(one_round(write, cases) / interactions * 1e6)
    return times


def render(times: dict[str, list[float]], cases: Batches, sizes: dict[str, int], load: str, examples: str) -> str:
    before, after = (statistics.median(rounds) for rounds in times.values())
    interactions = sum(map(len, cases))
    lines = [
        SECTION,
        "",
        f"Measured {when()} by `python bench/cassettes/bench_emitter.py` on this "
        f"machine ({machine()}, PyYAML {yaml.__version__} with "
        f"libyaml). Load average before: {load} (the machine is shared, so times vary). The interactions of {examples}"
        f" ({len(cases)} cases, {interactions} interactions), each case written in one call as "
        f"`Recorder._append` does; {len(times['emitter'])} rounds after a warm-up, writers alternating. The table "
        "shows microseconds per interaction: the median round, the best, every round.",
        "",
        "| writer | us per interaction | best | text written | per round |",
        "|---|---:|---:|---:|---|",
    ]
    for name, rounds in times.items():
        each = ", ".join(f"{value:.1f}" for value in rounds)
        lines.append(f"| {name} | {statistics.median(rounds):.1f} | {min(rounds):.1f} | {sizes[name] / 1e6:.2f} MB | "
                     f"{each} |")  # fmt: skip
    met = "met" if before / after >= GOAL else "**not met**"
    lines += [
        "",
        f"Speed-up: {before / after:.1f}x. Goal (issue 11): >= {GOAL:.0f}x faster than `yaml.dump`: {met}.",
        "",
        "Every case's text loads back to the interactions it was written from (checked before timing; the property "
        "test `tests/cassettes/test_cassette_emitter.py` holds it to PyYAML's C and Python loaders, vcrpy's and "
        "fastyaml's). Both texts are ASCII. The emitter writes every scalar on one line (no folding at 80 "
        "columns) and a printable ASCII body single-quoted, so such a body reads as itself; a body with other "
        "characters is double-quoted with escapes, as `yaml.dump` writes it.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="--max-examples of the recorded run")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--recording", type=Path, help="a recording's cassette folder, instead of recording one")
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = parser.parse_args()
    load = load_average()
    with tempfile.TemporaryDirectory() as directory:
        recording = args.recording or record(args.examples, Path(directory))
        cases = batches(recording)
    examples = f"`{args.recording}`" if args.recording else f"`conformance run --seed 1 --max-examples {args.examples}`"
    times = measure(cases, args.rounds)
    sizes = {"yaml.dump (CDumper)": sum(len(yaml_dump(case)) for case in cases),
             "emitter": sum(len(dump_interactions(case)) for case in cases)}  # fmt: skip
    text = render(times, cases, sizes, load, examples)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
