"""Benchmark: reading a response body as the checks do (``conformance.send.jsontext``: orjson first, repeated names
counted) against Python's ``json.loads`` alone, CPU per body, on bodies the faithful emulator writes.

    python bench/jsontext/bench_jsontext.py [--bodies 20000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for results_md
from results_md import load_average, machine, when, write_section  # noqa: E402

from conformance.emulator.config import EmulatorSettings  # noqa: E402
from conformance.emulator.server import build_backend  # noqa: E402
from conformance.send import jsontext  # noqa: E402

SECTION = "## Strict JSON reading"


def bodies() -> dict[str, bytes]:
    """Conversations with no participants, two, and 50 (each on two channels), as the emulator encodes them."""
    backend = build_backend(EmulatorSettings())
    configuration = backend.default_configuration_id(backend.primary_account)

    def created(count: int) -> bytes:
        addresses = [{"channel": "SMS", "address": "+18005550100"}, {"channel": "CHAT", "address": "visitor"}]
        participants = [{"name": f"Member {i}", "type": "CUSTOMER", "profileId": f"mem_profile_{i}",
                         "addresses": addresses} for i in range(count)]  # fmt: skip
        request = {"configurationId": configuration, "name": "Support Chat", "participants": participants}
        return backend.create_conversation(backend.primary_account, request).to_json()

    return {"no participants": created(0), "2 participants": created(2), "50 participants": created(50)}


def strict(raw: bytes) -> None:
    value, read_strictly = jsontext.read(raw)
    if not read_strictly:
        jsontext.departures(raw)
    jsontext.repeated_names(raw, value)


def measure(read: Callable[[bytes], object], raw: bytes, count: int) -> float:
    """CPU microseconds per body."""
    started = time.process_time()
    for _ in range(count):
        read(raw)
    return (time.process_time() - started) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = load_average()
    rows = []
    for label, raw in bodies().items():
        lenient = statistics.median(measure(json.loads, raw, args.bodies) for _ in range(args.rounds))
        checked = statistics.median(measure(strict, raw, args.bodies) for _ in range(args.rounds))
        rows.append(f"| {label} | {len(raw):,} | {lenient:.1f} µs | {checked:.1f} µs |")
    text = "\n".join([
        SECTION, "",
        f"Measured {when()} by `python bench/jsontext/bench_jsontext.py` on this machine ({machine()}). "
        f"Load average before: {load}. {args.bodies:,} reads per round, "
        f"{args.rounds} rounds, the median.", "",
        "| body | bytes | `json.loads` | read strictly (orjson, then repeated names) |",
        "|---|---:|---:|---:|", *rows, "",
        "The checks read every response body this way (`conformance/send/jsontext.py`): orjson, which refuses a "
        "byte-order "
        "mark, NaN and a body that is not UTF-8, then the value written back out and compared with the body (equal "
        "for a compact body; otherwise `\":` counted in both). Python's reader runs again only on a body orjson "
        "refuses or whose counts disagree. The right column against the middle one is what the strictness costs.",
    ])  # fmt: skip
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
