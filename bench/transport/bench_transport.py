"""Benchmark: the run's transport (``conformance.send.connection``, the standard library's http.client) against httpx,
CPU time per request in the sending process, one keep-alive connection each, against the emulator in its own
process (as a run uses it), the same valid create body. Rounds alternate between the two.

    python bench/transport/bench_transport.py [--requests 3000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for results_md
from results_md import write_section  # noqa: E402

from conformance.emulator.config import EmulatorSettings  # noqa: E402
from conformance.emulator.process import EmulatorProcess  # noqa: E402
from conformance.send.connection import Connection  # noqa: E402

SECTION = "## Transport"


def measure(send: Callable[[], bytes], count: int) -> tuple[float, float]:
    """(CPU ms per request in this process, wall ms per request)."""
    for _ in range(100):
        send()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        send()
    return (time.process_time() - cpu) / count * 1000, (time.perf_counter() - wall) / count * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with EmulatorProcess(EmulatorSettings()) as emulator:
        credentials = emulator.settings.credentials
        login = f"{credentials.api_key}:{credentials.api_secret}".encode()
        headers = {"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(login).decode()}
        body = json.dumps({"configurationId": emulator.settings.configuration_id}).encode()
        time.sleep(1.5)  # the child's start-up
        client = httpx.Client(base_url=emulator.url, timeout=30.0)
        connection = Connection(emulator.url)
        wire = connection.headers(headers, body, "POST")
        subjects: dict[str, Callable[[], bytes]] = {
            "httpx 0.28 (`httpx.Client`)": lambda: client.post("/v2/Conversations", content=body, headers=headers)
            .content,
            "http.client (`conformance.send.connection`)": lambda: connection.request("POST", "/v2/Conversations", wire,
                                                                                 body).body,
        }  # fmt: skip
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in subjects}
        for _ in range(args.rounds):
            for name, send in subjects.items():
                results[name].append(measure(send, args.requests))
        client.close()
        connection.close()
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/transport/bench_transport.py` on this "
        f"machine ({os.cpu_count()} cores, Python {platform.python_version()}). Load average before: {load}. "
        f"{args.requests:,} valid creates per round, one keep-alive connection, the emulator in its own process; "
        f"{args.rounds} rounds, alternating; the median round.",
        "",
        "| transport | CPU per request in the sender | wall per request |",
        "|---|---:|---:|",
    ]
    for name, rounds in results.items():
        cpu = statistics.median(r[0] for r in rounds)
        wall = statistics.median(r[1] for r in rounds)
        lines.append(f"| {name} | {cpu:.3f} ms | {wall:.3f} ms |")
    lines += ["", "A run's own process is its critical path, so the CPU it spends per request is what limits a run."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
