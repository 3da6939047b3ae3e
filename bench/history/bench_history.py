"""Benchmark: what the history costs a run, and reading a year of nights.

CPU time (this process), median of --repeat rounds after a warm-up, so the shared machine's load moves it little:

- recording one run: ``record_run`` (the night built from results.json: the digest's groups and latency per route,
  one SQLite transaction) plus the history read back for the reports;
- the report formats written with the history against without it (summary.md's lines and report.html's section);
- ``HistoryView.of`` over 365 recorded nights with 20 failure groups each (what `conformance history` and a run's
  reports read), and the Markdown `conformance history --format md` prints from it.

The run measured is a real emulator run (``--max-examples`` examples) with one fault on, so it has failure groups.

    python bench/history/bench_history.py [--examples 100] [--repeat 5] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for results_md
from results_md import load_average, machine, when, write_section

from conformance.emulator.server import EmulatorServer
from conformance.report import write_formats
from conformance.report.history import HistoryView, open_history, record_run
from conformance.report.history.render import render_markdown
from conformance.report.history.store import GroupRecord, Night
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions

SECTION = "## History"


def cpu_ms(action: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    action()  # warm-up
    rounds = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        rounds.append((time.process_time() - started) * 1000)
    return statistics.median(rounds), rounds


def a_run(examples: int) -> dict[str, object]:
    options = RunOptions(seed=22, max_examples=examples, max_requests=None, rate=None)
    with EmulatorServer() as emulator:
        emulator.inject("not_echoed", None, field="name")
        target = target_for(emulator)
        runner = Runner(target, options)
        try:
            return runner.run(plan_for(target, options), "bench-history").to_json()
        finally:
            runner.client.close()


def a_year(path: Path) -> None:
    store = open_history(path)
    start = datetime(2025, 12, 7, 4, 23, tzinfo=UTC)
    counts = {"cases": 420, "passed_cases": 400, "inconclusive": 0, "not_run": 0, "failures": 20}
    latency = {route: {"count": 200, "p50": 80.0, "p95": 150.0, "p99": 300.0} for route in ("create", "fetch")}
    for day in range(365):
        groups = tuple(GroupRecord(f"check_{g % 7}: field member{g}", f"check_{g % 7}", f"field member{g}", 3,
                                   "valid/edge/00") for g in range(20) if (day + g) % 5)  # fmt: skip
        store.record(Night(f"night-{day}", start + timedelta(days=day), "FAILED", "live", 1, counts, latency, groups))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="rewrite this section of bench/RESULTS.md")
    args = parser.parse_args()
    document = a_run(args.examples)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = open_history(root / "runs.sqlite")
        record, record_rounds = cpu_ms(lambda: record_run(store, document), args.repeat)
        view = HistoryView.of(store)
        without, _ = cpu_ms(lambda: write_formats(document, root), args.repeat)
        with_history, _ = cpu_ms(lambda: write_formats(document, root, None, view), args.repeat)
        store.close()
        a_year(root / "year.sqlite")
        year = open_history(root / "year.sqlite")
        read, read_rounds = cpu_ms(lambda: HistoryView.of(year), args.repeat)
        markdown, _ = cpu_ms(lambda: render_markdown(HistoryView.of(year)), args.repeat)
        year.close()
        size_kb = (root / "year.sqlite").stat().st_size / 1024
    listed = ", ".join(f"{r:.1f}" for r in read_rounds)
    rows = [
        f"| record one run ({document['counts']['cases']} cases, {len(view.groups)} failure group(s)) "
        f"| {record:.1f} ms | {', '.join(f'{r:.1f}' for r in record_rounds)} |",
        f"| report formats without the history | {without:.1f} ms | |",
        f"| report formats with the history | {with_history:.1f} ms | +{with_history - without:.1f} ms |",
        f"| read 365 nights x 20 groups ({size_kb:.0f} KB file) | {read:.1f} ms | {listed} |",
        f"| ... and render `conformance history --format md` | {markdown:.1f} ms | |",
    ]  # fmt: skip
    text = "\n".join([
        SECTION,
        "",
        f"Measured {when()} by `python bench/history/bench_history.py` on this machine "
        f"({machine()}): CPU time of this process, median of "
        f"{args.repeat} rounds after a warm-up. Load average before: {load_average()}.",
        "",
        "| what | CPU (median) | rounds / note |",
        "|---|---:|---|",
        *rows,
    ])  # fmt: skip
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
