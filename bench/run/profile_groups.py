"""Where the run process's time goes: groups py-spy's raw stacks (``py-spy record -f raw --threads --idle``) by stage.

    py-spy record -r 250 --threads --idle -f raw -o run.raw -- conformance run --seed 1 --max-examples 2000
    python bench/run/profile_groups.py run.raw [--requests N]

Each sample is put in the first group (in the order below) one of its frames belongs to; per-request costs are
sampled seconds divided by the run's requests. The innermost frames give the top functions ("self" time).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (group, frame pattern): the first group whose pattern matches any frame of a sample takes the sample. Each pattern
# knows the stage folders (55ef841 on) and the flat tree before them (bbdaa34 and earlier), so the two profile alike.
GROUPS = [
    ("reporting", re.compile(r"write_outputs|conformance/reports?/|write_document")),
    ("filing", re.compile(r"conformance/record/|conformance/cassettes/|conformance/(sinks|stream|results)\.py")),
    ("judging", re.compile(r"_verdict|run_checks|\bjudge \(|conformance/judge/|conformance/(checks/|drift\.py)")),
    ("drawing hand-off", re.compile(r"conformance/(plan/)?(planner|drawing|generation)\.py")),
    ("sending/waiting", re.compile(r"conformance/send/|conformance/(client|connection)\.py|Future\.result|_send ")),
    ("start-up", re.compile(r"_find_and_load|open_target|plan_for|load_contract")),
]
IDLE = re.compile(r"\b(wait|select|poll|recv_into|readinto|acquire|accept|_wait_for_tstate_lock|sleep)\b")


def frame_name(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path)
    parser.add_argument("--rate", type=float, default=250.0, help="py-spy's sampling rate (-r)")
    parser.add_argument("--requests", type=int, default=0, help="the run's requests, for per-request costs")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    per_thread: dict[str, Counter[str]] = {}
    own: Counter[str] = Counter()
    for line in args.raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        thread = (
            "main"
            if any("(conformance:" in f for f in frames[:2])
            else ("sender" if any("_send" in f or "Connection" in f for f in frames) else "other thread")
        )
        if "thread (" in frames[0]:  # --threads puts the thread first
            frames = frames[1:]
        if not frames:  # a sample of a thread with no Python frame yet
            continue
        group = next((name for name, pattern in GROUPS if any(pattern.search(f) for f in frames)), "other")
        idle = bool(IDLE.search(frames[-1]))
        per_thread.setdefault(thread, Counter())[f"{group}{' (idle)' if idle else ''}"] += int(count)
        own[frame_name(frames[-1])] += int(count)
    for thread, groups in per_thread.items():
        total = sum(groups.values())
        print(f"\n{thread} thread: {total / args.rate:.2f} s sampled")
        for group, samples in groups.most_common():
            seconds = samples / args.rate
            each = f"  {seconds / args.requests * 1e6:7.1f} us/request" if args.requests else ""
            print(f"  {group:28} {seconds:7.2f} s {100 * samples / total:5.1f}%{each}")
    print(f"\ntop {args.top} functions by own time (all threads, idle frames included):")
    for name, samples in own.most_common(args.top):
        print(f"  {samples / args.rate:7.2f} s  {name}")


if __name__ == "__main__":
    main()
