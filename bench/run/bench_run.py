"""Benchmark: how fast is a conformance run, beside a plain `schemathesis run` of the same contract?

Both tools run as subprocesses against one emulator process on 127.0.0.1 with the same number of
examples, so neither shares a GIL with the server. Requests per second = requests sent / wall time
of the whole command (start-up, generation and checking included). Also times the default
`conformance run` against its own embedded emulator (the main job), which must stay under 60 s.

    python bench/run/bench_run.py [--examples 100] [--repeat 3] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for results_md
from results_md import write_section

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECTION = "## Conformance run"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([BIN / "conformance", "emulator", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("emulator did not start")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    # cwd: schemathesis leaves a .schemathesis/ folder wherever it runs.
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=tempfile.gettempdir())
    return time.perf_counter() - started, done


def conformance_run(url: str, examples: int, env: dict[str, str], workdir: Path) -> tuple[float, int]:
    report = workdir / "conformance"
    seconds, done = timed([str(BIN / "conformance"), "run", "--target", "live", "--base-url", url, "--seed", "1",
                           "--max-examples", str(examples), "--rate", "1000000", "--max-requests", "1000000",
                           "--report-dir", str(report)], env)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"conformance run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, json.loads((report / "results.json").read_text())["counts"]["requests"]


def schemathesis_run(
    url: str, examples: int, env: dict[str, str], workdir: Path, user: str, password: str
) -> tuple[float, int]:
    har = workdir / "schemathesis.har"
    seconds, done = timed([str(BIN / "schemathesis"), "run", str(ROOT / "schemas" / "openapi.yaml"), "--url", url,
                           "--max-examples", str(examples), "--seed", "1", "--workers", "1", "--auth",
                           f"{user}:{password}", "--report", "har", "--report-har-path", str(har),
                           "--no-color"], env)  # fmt: skip
    if not har.exists():
        raise SystemExit(f"schemathesis wrote no HAR ({done.returncode}):\n{done.stdout[-2000:]}")
    return seconds, len(json.loads(har.read_text())["log"]["entries"])


def default_run(workdir: Path, env: dict[str, str]) -> tuple[float, int]:
    report = workdir / "default"
    seconds, done = timed([str(BIN / "conformance"), "run", "--seed", "1", "--report-dir", str(report)], env)
    if done.returncode != 0:
        raise SystemExit(f"default conformance run failed:\n{done.stdout}\n{done.stderr}")
    return seconds, json.loads((report / "results.json").read_text())["counts"]["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"replace the '{SECTION}' section of bench/RESULTS.md")
    args = parser.parse_args()

    user, password = "SK" + "b" * 32, "bench-secret"
    env = {**os.environ, "TWILIO_API_KEY": user, "TWILIO_API_SECRET": password, "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
           "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_bench", "CI": "1"}  # fmt: skip
    rows: dict[str, list[tuple[float, int]]] = {"conformance run": [], "schemathesis run": [], "default run": []}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator = start_emulator(port, env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                rows["conformance run"].append(conformance_run(url, args.examples, env, Path(tmp)))
                rows["schemathesis run"].append(schemathesis_run(url, args.examples, env, Path(tmp), user, password))
                rows["default run"].append(default_run(Path(tmp), {**os.environ, "CI": "1"}))
    finally:
        emulator.terminate()
        emulator.wait(10)

    lines = [SECTION, "",
             f"`python bench/run/bench_run.py --examples {args.examples} --repeat {args.repeat}` on "
             f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"median of {args.repeat}.",
             "Wall time is the whole command (start-up, generation, sending, checking, writing reports).", "",
             "| what | requests | wall time (s) | requests/s |", "|---|---|---|---|"]  # fmt: skip
    for name, samples in rows.items():
        seconds = statistics.median(s for s, _ in samples)
        requests = statistics.median(r for _, r in samples)
        lines.append(f"| {name} | {requests:.0f} | {seconds:.2f} | {requests / seconds:.0f} |")
    ours = statistics.median(r / s for s, r in rows["conformance run"])
    theirs = statistics.median(r / s for s, r in rows["schemathesis run"])
    lines += ["", f"conformance run / schemathesis run throughput: {ours / theirs:.2f}x", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
