"""Benchmark: a normal client's create latency while another client sends the worst 1 MiB bodies in a loop.

Starts the emulator with ``serve.py`` (uvicorn, one process, 127.0.0.1), then alternates two phases
in the same run: *quiet* (only the normal client: one keep-alive connection sending valid creates
back to back) and *under attack* (the same, while a second process sends the worst bodies from
``tests/emulator/hostile.py`` over its own connection, one after another, without pause). Reports
the normal client's p50/p99/max latency in each phase, how long each worst body took to answer, and
the server's RSS before, during and after. Writes ``bench/RESULTS.md`` (section "Emulator under
hostile bodies").

    python bench/emulator/under_attack.py [--rounds 3] [--seconds 5] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "bench" / "emulator")]
from results_md import load_average, machine, when, write_section  # noqa: E402
from run import BODY, Subject  # noqa: E402  (bench/emulator/run.py)

from tests.emulator.hostile import AUTH, worst_bodies  # noqa: E402

SECTION = "## Emulator under hostile bodies"
HEADERS = {"Content-Type": "application/json", "Authorization": AUTH}
GOALS = ("Goals (issue 10): the worst 1 MiB body answered within 200 ms; a normal request never delayed by more "
         "than 50 ms by it; memory returns afterwards. Issue 18: with the attacker running, a normal create's p99 "
         "at most 3x its quiet p99 and under 20 ms, both taken in the same run; the attacker's own throughput is "
         "the price.")  # fmt: skip


def _connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # loopback only


def normal_client(port: int, seconds: float) -> list[float]:
    """Valid creates back to back on one keep-alive connection; each one's latency in ms."""
    body = json.dumps(BODY).encode()
    connection = _connect(port)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        connection.request("POST", "/v2/Conversations", body, HEADERS)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 201:
            raise RuntimeError(f"normal create answered {response.status}")
    connection.close()
    return latencies


def attacker(port: int, stop: multiprocessing.synchronize.Event, results: multiprocessing.Queue) -> None:  # type: ignore[name-defined]
    """The worst bodies, one after another, until told to stop; reports (kind, status, ms) for each."""
    bodies = list(worst_bodies().items())
    connection = _connect(port)
    answered: list[tuple[str, int, float]] = []
    index = 0
    while not stop.is_set():
        kind, body = bodies[index % len(bodies)]
        index += 1
        start = time.perf_counter()
        connection.request("POST", "/v2/Conversations", body, HEADERS)
        response = connection.getresponse()
        response.read()
        answered.append((kind, response.status, (time.perf_counter() - start) * 1000))
    connection.close()
    results.put(answered)


def _warm_up_big_bodies(port: int) -> None:
    """One worst body before measuring, so the emulator's body worker (started by the first one) is up."""
    connection = _connect(port)
    connection.request("POST", "/v2/Conversations", next(iter(worst_bodies().values())), HEADERS)
    connection.getresponse().read()
    connection.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(rounds: int, seconds: float) -> dict[str, object]:
    subject = Subject("emulator")
    port = int(subject.url.rsplit(":", 1)[1])
    pid = subject.process.pid
    quiet: list[list[float]] = []
    attacked: list[list[float]] = []
    hostile: list[tuple[str, int, float]] = []
    try:
        normal_client(port, 1.0)  # warm-up
        _warm_up_big_bodies(port)
        rss_start = rss_mb(pid)
        rss_peak = rss_start
        for _ in range(rounds):
            quiet.append(normal_client(port, seconds))
            stop = multiprocessing.Event()
            results: multiprocessing.Queue = multiprocessing.Queue()
            process = multiprocessing.Process(target=attacker, args=(port, stop, results))
            process.start()
            time.sleep(0.5)  # let the first worst body arrive
            attacked.append(normal_client(port, seconds))
            rss_peak = max(rss_peak, rss_mb(pid))
            stop.set()
            hostile.extend(results.get(timeout=60))
            process.join(30)
        time.sleep(1.0)
        rss_end = rss_mb(pid)
    finally:
        subject.stop()
    return {"quiet": quiet, "attacked": attacked, "hostile": hostile,
            "rss": (rss_start, rss_peak, rss_end)}  # fmt: skip


def render(result: dict[str, object], rounds: int, seconds: float, load_before: str) -> str:
    quiet: list[list[float]] = result["quiet"]  # type: ignore[assignment]
    attacked: list[list[float]] = result["attacked"]  # type: ignore[assignment]
    hostile: list[tuple[str, int, float]] = result["hostile"]  # type: ignore[assignment]
    rss_start, rss_peak, rss_end = result["rss"]  # type: ignore[misc]
    lines = [
        SECTION,
        "",
        f"Measured {when()} by `python bench/emulator/under_attack.py` on this machine "
        f"({machine()}, the emulator under uvicorn + uvloop + "
        f"httptools, one process, 127.0.0.1). {rounds} rounds of {seconds:g} s per phase, phases alternating in "
        "one run. The normal client sends valid creates back to back on one keep-alive connection; the attacker "
        f"(another process, its own connection) sends the {len(worst_bodies())} worst bodies of "
        "`tests/emulator/hostile.py` in turn, without pause. Load average before the run: "
        f"{load_before} (the machine is shared).",
        "",
        "| phase | normal creates | p50 | p99 | max | creates/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, phase in (("quiet", quiet), ("under attack", attacked)):
        values = [v for r in phase for v in r]
        rate = len(values) / (len(phase) * seconds)
        lines.append(f"| {name} | {len(values):,} | {statistics.median(values):.2f} ms | "
                     f"{percentile(values, 0.99):.2f} ms | {max(values):.2f} ms | {rate:,.0f} |")  # fmt: skip
    lines += ["", "| worst body (1 MiB) | answer | sent | p50 | max |", "|---|---:|---:|---:|---:|"]
    kinds: dict[str, list[tuple[int, float]]] = {}
    for kind, status, ms in hostile:
        kinds.setdefault(kind, []).append((status, ms))
    for kind, answers in sorted(kinds.items(), key=lambda item: -max(ms for _, ms in item[1])):
        statuses = "/".join(sorted({str(status) for status, _ in answers}))
        times = [ms for _, ms in answers]
        median, slowest = statistics.median(times), max(times)
        lines.append(f"| {kind} | {statuses} | {len(times)} | {median:.1f} ms | {slowest:.1f} ms |")
    times = [ms for _, _, ms in hostile]
    quiet_all = [v for r in quiet for v in r]
    attacked_all = [v for r in attacked for v in r]
    p99_delay = percentile(attacked_all, 0.99) - percentile(quiet_all, 0.99)
    p99_ratio = percentile(attacked_all, 0.99) / percentile(quiet_all, 0.99)
    lines += [
        "",
        f"Worst bodies, all kinds together (each time includes its 1 MiB upload over loopback): p50 "
        f"{statistics.median(times):.0f} ms, p99 {percentile(times, 0.99):.0f} ms, max {max(times):.0f} ms; "
        f"{sum(1 for _, status, _ in hostile if status >= 500)} of {len(hostile)} answers were a 5xx. A normal "
        f"create's p99 was {p99_delay:+.1f} ms from the quiet phase's ({p99_ratio:.2f}x), its max "
        f"{max(attacked_all):.0f} ms against "
        f"{max(quiet_all):.0f} ms quiet (the maxima carry the shared machine's scheduling noise). Server RSS "
        f"{rss_start:.0f} MB before, {rss_peak:.0f} MB at the peak seen, {rss_end:.0f} MB a second after the last "
        "round (the plateau does not grow from round to round; Python keeps the freed arenas).",
        "",
        "How: a body of 64 KiB or more is parsed and validated in one worker process (`conformance/emulator/"
        "body_worker.py`, fed through a pipe by one thread) at CPU niceness 10, so it never holds the serving "
        "process's GIL (a thread did: json parsing keeps it) and, when the cores are contended, the serving "
        "process runs first; big bodies queue for the "
        "worker one at a time and pay for it in their own latency. The worker sends back only what a create stores. "
        "Objects and arrays are counted before parsing (more than 10,000 is a 400) and the nesting is measured "
        "on the text; null members are dropped by the decoder; an invalid body's 400 is chosen from at most 100 "
        "violations, found with the compiled validator skipping the valid halves of each array, with messages "
        "that do not print the whole value.",
        "",
        GOALS,
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = parser.parse_args()
    load_before = load_average()
    result = run(args.rounds, args.seconds)
    text = render(result, args.rounds, args.seconds, load_before)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    hostile: list[tuple[str, int, float]] = result["hostile"]  # type: ignore[assignment]
    return 1 if any(status >= 500 for _, status, _ in hostile) else 0


if __name__ == "__main__":
    sys.exit(main())
