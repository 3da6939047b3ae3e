"""Where a run's CPU goes, process by process: the run's own, its drawing child's, its emulator's, per request.

Answers whether a second process (for filing or judging) could pay off: on a machine of N cores a run can reach
at most N / (CPU per request, all processes) requests/s, however its work is split, and a split adds the cost of
handing each case over. CPU is read from /proc (utime + stime) every 0.1 s until each process ends.

    python bench/run/cpu_split.py [--examples 2000] [--rounds 3] [--workers N] [--bin PATH]
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
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "other"
    if b"conformance.emulator" in command:
        return "emulator"
    if b"conformance.plan.planner" in command:
        return "drawing child"
    return "other"


def one_run(binary: Path, examples: int, workdir: Path, workers: int | None) -> dict[str, float]:
    command = [str(binary), "run", "--seed", "1", "--max-examples", str(examples), "--report-dir",
               str(workdir / "reports"), "--cassette-dir", str(workdir / "cassettes")]  # fmt: skip
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    last: dict[int, tuple[str, float]] = {}
    scanned = 0.0
    while process.poll() is None:
        if time.perf_counter() - scanned > 0.5:
            for pid in children(process.pid):
                last.setdefault(pid, (role(pid), 0.0))
            scanned = time.perf_counter()
        for pid, (name, _seconds) in [*last.items(), (process.pid, ("run process", 0.0))]:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                last[pid] = (name, seconds)
        time.sleep(0.1)
    wall = time.perf_counter() - started
    requests = json.loads((workdir / "reports" / "results.json").read_text())["counts"]["requests"]
    split: dict[str, float] = {"wall_s": wall, "requests": requests}
    for name, seconds in last.values():
        split[name] = split.get(name, 0.0) + seconds
    return split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--bin",
        type=Path,
        default=Path(sys.executable).parent / "conformance",
        help="the `conformance` executable measured (default: this environment's)",
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for round_ in range(args.rounds + 1):  # the first builds ./.hypothesis: not counted
            workdir = Path(directory) / str(round_)
            workdir.mkdir()
            (workdir / ".hypothesis").mkdir()
            if round_:
                rows.append(one_run(args.bin, args.examples, workdir, args.workers))
                print(rows[-1], file=sys.stderr)
            else:
                one_run(args.bin, 20, workdir, args.workers)
    names = sorted({k for row in rows for k in row} - {"wall_s", "requests"})
    print(
        f"{args.examples} examples, {rows[0]['requests']:,} requests, {len(rows)} runs; medians, us of CPU per request:"
    )
    total = []
    for name in names:
        per = [row.get(name, 0.0) / row["requests"] * 1e6 for row in rows]
        print(f"  {name:14} {statistics.median(per):7.0f}  ({', '.join(f'{p:.0f}' for p in per)})")
    for row in rows:
        total.append(sum(row.get(n, 0.0) for n in names) / row["requests"] * 1e6)
    walls = [row["wall_s"] for row in rows]
    rates = [row["requests"] / row["wall_s"] for row in rows]
    cores = os.cpu_count() or 1
    print(
        f"  {'all':14} {statistics.median(total):7.0f}  -> at most {cores / statistics.median(total) * 1e6:,.0f} "
        f"requests/s on {cores} cores if every core were the run's"
    )
    print(f"  measured: {statistics.median(rates):,.0f} requests/s (wall {statistics.median(walls):.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
