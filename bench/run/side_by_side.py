"""Benchmark: two checkouts' `conformance run`, alternating in one sitting, beside the emulator's own capacity.

The machine is shared, so one number per side says little: the same 10,000-example run is timed old, new, old,
new... ``--rounds`` times, each in a fresh process against its own embedded emulator, and the table gives each
side's median and spread. The emulator's capacity (``wrk`` against the emulator alone, as bench/emulator measures
it) is taken before and after the rounds: the percentage uses their mean. Per run: requests/s (requests / wall
time of the whole command, start-up and reports included), the first request's time after launch (from the
recording), and peak RSS of the run's process and of all its processes (/proc, every 20 ms).

Each side is a checkout: run by its own virtualenv (``DIR/.venv/bin/conformance``) when it has one, else by this
interpreter on the checkout's source (the dependencies must match); or an executable (``--old-bin/--new-bin``).
Every run has a timeout; the script stops at ``--budget`` seconds of runs (rounds not started are dropped).

    python bench/run/side_by_side.py --old /work/main --new . [--rounds 3] [--examples 10000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for results_md
sys.path.insert(0, str(HERE.parent / "stream"))  # the process-table helpers of the streaming benchmark
from bench_stream import _children, _rss_kb, emulator_capacity  # noqa: E402
from results_md import write_section  # noqa: E402

SECTION = "## Run throughput, side by side"
RUN_TIMEOUT_S = 300


def one_run(binary: list[str], examples: int, workdir: Path, tag: str) -> dict[str, float]:
    """One `conformance run --seed 1` in ``workdir``: its numbers (raises RuntimeError when it fails)."""
    reports, cassettes = workdir / f"reports-{tag}", workdir / f"cassettes-{tag}"
    command = [*binary, "run", "--seed", "1", "--max-examples", str(examples), "--report-dir", str(reports),
               "--cassette-dir", str(cassettes)]  # fmt: skip
    launched, started = time.time(), time.perf_counter()
    log = (workdir / f"{tag}.log").open("wb")  # a file, not a pipe: nothing can block the run on a full buffer
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=workdir,
                               env={**os.environ, "CI": "1"})  # fmt: skip
    peak_run = peak_all = 0
    children: list[int] = []
    scanned = 0.0
    try:
        while process.poll() is None:
            if time.perf_counter() - started > RUN_TIMEOUT_S:
                raise RuntimeError(f"{tag}: no end after {RUN_TIMEOUT_S} s")
            if time.perf_counter() - scanned > 1.0:  # the process table once a second: scanning it is not free
                children, scanned = _children(process.pid), time.perf_counter()
            sizes = [_rss_kb(pid) for pid in [process.pid, *children]]
            peak_run, peak_all = max(peak_run, sizes[0]), max(peak_all, sum(sizes))
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(
            f"{tag}: exit {process.returncode}: {(workdir / f'{tag}.log').read_text(errors='replace')[-500:]}"
        )
    requests = _requests(reports)
    first = _first_sent(cassettes)
    shutil.rmtree(cassettes, ignore_errors=True)  # a 10k run's recording is ~100 MB: one at a time on disk
    shutil.rmtree(reports, ignore_errors=True)
    return {"wall_s": wall, "requests": requests, "rps": requests / wall,
            "first_request_s": first - launched if first else float("nan"),
            "rss_mb": peak_run / 1024, "all_mb": peak_all / 1024}  # fmt: skip


def _requests(reports: Path) -> int:
    """The run's requests: results.json's count, else the results stream's end record."""
    try:
        return int(json.loads((reports / "results.json").read_text(encoding="utf-8"))["counts"]["requests"])
    except (OSError, KeyError, ValueError):
        with (reports / "results.jsonl").open(encoding="utf-8") as stream:
            for line in stream:
                if line.startswith('{"end"'):
                    return int(json.loads(line)["end"]["requests"])
    raise RuntimeError(f"no request count in {reports}")


def _first_sent(cassettes: Path) -> float | None:
    """When the first case was sent (epoch seconds), from the recording; None when it does not say."""
    try:
        cases = json.loads((cassettes / "run.json").read_text(encoding="utf-8"))["cases"]
    except (OSError, KeyError, ValueError):
        return None
    sent = [case["sent_at"] for case in cases if case.get("sent_at")]
    return min(sent) if sent else None


def _binary(checkout: Path | None, given: Path | None) -> list[str]:
    """How to start one side's ``conformance``: its checkout's own .venv, the executable given, or (a checkout without
    a .venv) this interpreter on that checkout's source (``-P``, ``PYTHONPATH``: its children follow it there)."""
    if given is not None:
        if not given.exists():
            raise SystemExit(f"no conformance executable at {given}")
        return [str(given.absolute())]
    if checkout is None or not (checkout / "conformance" / "cli.py").exists():
        raise SystemExit(f"not a checkout of this project: {checkout} (give --old/--new, or --old-bin/--new-bin)")
    venv = checkout / ".venv" / "bin" / "conformance"
    if venv.exists():
        return [str(venv.absolute())]
    source = str(checkout.resolve())
    return ["env", f"PYTHONPATH={source}", sys.executable, "-P", "-c",
            "import sys; from conformance.cli import main; sys.argv[0] = 'conformance'; main()"]  # fmt: skip


def summary(rows: list[dict[str, float]], key: str, fmt: str) -> str:
    values = [row[key] for row in rows]
    spread = f" ({format(min(values), fmt)}-{format(max(values), fmt)})" if len(values) > 1 else ""
    return f"{format(statistics.median(values), fmt)}{spread}"


def render(results: dict[str, list[dict[str, float]]], capacities: list[float], examples: int, load: str,
           labels: dict[str, str]) -> str:  # fmt: skip
    capacity = statistics.mean(capacities) if capacities else float("nan")
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/run/side_by_side.py` on this machine "
        f"({os.cpu_count()} cores). Load average before: {load} (the machine is shared: rates vary from run to run, "
        f"so the sides alternate and each cell is the median, with the range). Each run: `conformance run --seed 1 "
        f"--max-examples {examples:,}` against its embedded emulator, in a fresh process; wall time is the whole "
        f"command. Emulator capacity (wrk, before and after the runs): "
        + (" and ".join(f"{c:,.0f}" for c in capacities) + " requests/s." if capacities else "not measured."),
        "",
        "| side | runs | requests | requests/s | % of emulator | first request (s) | peak RSS run / all (MB) | "
        "requests/s each run |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for side, rows in results.items():
        if not rows:
            continue
        rates = [row["rps"] for row in rows]
        share = f"{statistics.median(rates) / capacity:.1%}" if capacities else "-"
        lines.append(f"| {side} ({labels[side]}) | {len(rows)} | {int(rows[0]['requests']):,} | "
                     f"{summary(rows, 'rps', ',.0f')} | {share} | {summary(rows, 'first_request_s', '.2f')} | "
                     f"{summary(rows, 'rss_mb', '.0f')} / {summary(rows, 'all_mb', '.0f')} | "
                     f"{', '.join(f'{r:,.0f}' for r in rates)} |")  # fmt: skip
    if all(results.values()):
        old, new = (statistics.median(row["rps"] for row in results[side]) for side in ("old", "new"))
        lines += ["", f"new / old (medians): {new / old:.2f}x."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="the previous checkout (with .venv)")
    parser.add_argument("--new", type=Path, help="the checkout measured (with .venv)")
    parser.add_argument("--old-bin", type=Path, help="the previous `conformance` executable (instead of --old)")
    parser.add_argument("--new-bin", type=Path, help="the measured `conformance` executable (instead of --new)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, alternating (default 3)")
    parser.add_argument("--examples", type=int, default=10_000, help="--max-examples of each run (default 10000)")
    parser.add_argument("--budget", type=float, default=900, help="seconds of runs at most (default 900)")
    parser.add_argument("--no-wrk", action="store_true", help="skip the emulator's capacity")
    parser.add_argument("--write", action="store_true", help="also write the table into bench/RESULTS.md")
    args = parser.parse_args()
    binaries = {"old": _binary(args.old, args.old_bin), "new": _binary(args.new, args.new_bin)}
    labels = {"old": str(args.old or binaries["old"]), "new": str(args.new or binaries["new"])}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    measure_capacity = not args.no_wrk and shutil.which("wrk") is not None
    capacities = [emulator_capacity()] if measure_capacity else []
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        workdirs = {side: Path(directory) / side for side in binaries}
        for side, binary in binaries.items():  # each side builds Hypothesis's ./.hypothesis table once, unmeasured
            workdirs[side].mkdir()
            one_run(binary, 20, workdirs[side], f"{side}-warm-up")
        for round_ in range(args.rounds):
            order = ("old", "new") if round_ % 2 == 0 else ("new", "old")  # neither side always goes first
            for side in order:
                if time.monotonic() - began > args.budget:
                    print(f"budget of {args.budget:.0f} s spent: stopping", file=sys.stderr)
                    break
                row = one_run(binaries[side], args.examples, workdirs[side], f"{side}-{round_}")
                results[side].append(row)
                print(side, {k: round(v, 2) for k, v in row.items()}, file=sys.stderr, flush=True)
    if measure_capacity:
        capacities.append(emulator_capacity())
    text = render(results, capacities, args.examples, load, labels)
    print(text)
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
