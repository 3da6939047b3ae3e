"""Benchmark: which engine finds what? `conformance run` beside `schemathesis run`, without and with our hooks.

One emulator process on 127.0.0.1; for each emulator fault (and none), the three runs go at it with the
same seed and the same number of examples, as subprocesses. A fault counts as found when the run fails,
or (conformance run) warns for drift; the hooked schemathesis run sets CONFORMANCE_DRIFT_FAILS=1 so its
drift shows. Then, from the faithful schemathesis run's HAR: how many of the request schema's documented
constraints its invalid bodies break, and how many of those bodies break exactly one.

    python bench/engines/bench_engines.py [--examples 25] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for results_md and the run bench
from results_md import write_section
from run.bench_run import BIN, ROOT, free_port, start_emulator, timed

from conformance.contract.schemas import load_contract
from conformance.contract.wire import WIRE_REQUEST_FILE
from conformance.plan.cases import violations

SECTION = "## schemathesis beside conformance run"
USER, PASSWORD, ACCOUNT = "SK" + "c" * 32, "bench-secret", "AC" + "c" * 32
CONFIGURATION = "conv_configuration_bench"
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("none", {}),
    ("status_500", {}),
    ("ignore_auth", {}),
    ("accept_invalid", {}),
    ("wrong_status", {}),
    ("missing_field", {"field": "id"}),
    ("wrong_type", {"field": "id"}),
    ("bad_timestamp", {}),
    ("wrong_content_type", {}),
    ("invalid_json", {}),
    ("error_body_wrong", {}),
    ("not_echoed", {"field": "name"}),
    ("participants_reordered", {}),
    ("participants_dropped", {}),
    ("participant_mismatch", {}),
    ("wrong_account", {}),
    ("duplicate_ids", {}),
    ("updated_before_created", {}),
    ("fetch_mismatch", {"route": "fetch"}),
    ("fetch_not_found", {"route": "fetch"}),
    ("extra_field", {}),
    ("unknown_enum", {}),
    ("extra_header", {}),
]


def conformance(url: str, examples: int, env: dict[str, str], work: Path) -> tuple[str, float, int]:
    report = work / "conformance"
    seconds, _ = timed([str(BIN / "conformance"), "run", "--target", "live", "--base-url", url, "--seed", "1",
                           "--max-examples", str(examples), "--rate", "1000000", "--max-requests", "1000000",
                           "--report-dir", str(report), "--cassette-dir", str(work / "cassettes")], env)  # fmt: skip
    results = json.loads((report / "results.json").read_text())
    failed = sorted({f["check"] for f in results["failures"]})
    warned = sorted({w["check"] for w in results["warnings"]} - set(failed))
    found = ", ".join(failed) or (f"warns: {', '.join(warned)}" if warned else "")
    return found, seconds, results["counts"]["requests"]


def schemathesis(url: str, examples: int, env: dict[str, str], work: Path, hooks: bool) -> tuple[str, float, int]:
    har = work / "st.har"
    har.unlink(missing_ok=True)
    if hooks:
        env = {**env, "SCHEMATHESIS_HOOKS": "conformance.schemathesis", "CONFORMANCE_DRIFT_FAILS": "1"}
    seconds, done = timed([str(BIN / "schemathesis"), "run", str(ROOT / "schemas" / "openapi.yaml"), "--url", url,
                           "--max-examples", str(examples), "--seed", "1", "--workers", "1", "--auth",
                           f"{USER}:{PASSWORD}", "--report", "har", "--report-har-path", str(har),
                           "--generation-database", "none", "--no-color"], env)  # fmt: skip
    summary = done.stdout.rsplit("SUMMARY", 1)[-1]
    failed = sorted(set(re.findall(r"❌ (?:ST\d+ )?(.+?): \d+$", summary, re.M)))
    failed = [re.sub(r"Custom check failed: `conformance_(\w+)`", r"\1 (ours)", f) for f in failed]
    return ", ".join(failed), seconds, len(json.loads(har.read_text())["log"]["entries"]) if har.exists() else 0


def constraint_coverage(har: Path) -> tuple[int, int, int, int, int]:
    """Our documented constraint sites its bodies break, of all; bodies sent; invalid bodies; invalid by one."""
    contract = load_contract()
    ours = {v.name for v in violations(contract, CONFIGURATION)}
    validator = contract.validator(WIRE_REQUEST_FILE)
    hit: set[str] = set()
    bodies = invalid = single = 0
    for entry in json.loads(har.read_text())["log"]["entries"]:
        request = entry["request"]
        if request["method"] != "POST" or "postData" not in request:
            continue
        bodies += 1
        try:
            body = json.loads(request["postData"].get("text") or "")
        except ValueError:
            invalid += 1
            continue
        errors = list(validator.iter_errors(body))
        invalid += bool(errors)
        single += len(errors) == 1
        for error in errors:
            path = "".join("[]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            path = path.replace(".[]", "[]")
            if error.validator == "required":
                path = f"{path}.{error.message.split(chr(39))[1]}".lstrip(".")
            hit.add(f"{path}.{error.validator}" if path else f"body.{error.validator}")
    return len(hit & ours), len(ours), bodies, invalid, single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--write", action="store_true", help=f"replace the '{SECTION}' section of bench/RESULTS.md")
    args = parser.parse_args()
    env = {**os.environ, "TWILIO_API_KEY": USER, "TWILIO_API_SECRET": PASSWORD, "TWILIO_ACCOUNT_SID": ACCOUNT,
           "CONFORMANCE_CONFIGURATION_ID": CONFIGURATION, "CI": "1"}  # fmt: skip
    env.pop("SCHEMATHESIS_HOOKS", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator = start_emulator(port, env)
    rows, totals = [], Counter()
    coverage = None
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            engines = {
                "conformance run": lambda: conformance(url, args.examples, env, work),
                "schemathesis": lambda: schemathesis(url, args.examples, env, work, False),
                "schemathesis + hooks": lambda: schemathesis(url, args.examples, env, work, True),
            }
            for fault, params in FAULTS:
                cells = []
                for name, run in engines.items():
                    httpx.post(f"{url}/__emulator__/reset")
                    if fault != "none":
                        route = params.get("route", "any")
                        fault_params = {k: v for k, v in params.items() if k != "route"}
                        added = httpx.post(f"{url}/__emulator__/faults",
                                           json={"fault": fault, "route": route, **fault_params})  # fmt: skip
                        added.raise_for_status()
                    found, seconds, requests = run()
                    totals[(name, "found")] += bool(found) and fault != "none"
                    totals[(name, "seconds")] += seconds
                    totals[(name, "requests")] += requests
                    cells.append(found or "-")
                    if fault == "none" and name == "schemathesis":
                        coverage = constraint_coverage(work / "st.har")
                rows.append((fault, cells))
                print(fault, cells, flush=True)
    finally:
        emulator.terminate()
        emulator.wait(10)

    runs = ("conformance run", "schemathesis", "schemathesis + hooks")  # the columns, in the order they ran
    lines = [SECTION, "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python bench/engines/bench_engines.py "
             f"--examples {args.examples}` on {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()} ({time.monotonic() - started:.0f} s in all). One emulator process; per "
             "fault, the same seed and examples for each run. A cell names what failed (`-`: nothing); "
             "`(ours)` is a check of `conformance.schemathesis`; the hooked run opts drift in as failures.", "",
             "| fault | " + " | ".join(runs) + " |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| `{fault}` | " + " | ".join(cells) + " |" for fault, cells in rows]
    faults = len(FAULTS) - 1
    lines += ["", "| run | faults found | requests (all rows) | wall time (all rows) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {totals[(name, 'found')]} / {faults} | {totals[(name, 'requests')]} | "
              f"{totals[(name, 'seconds')]:.0f} s |" for name in runs]  # fmt: skip
    if coverage is not None:
        hit, sites, bodies, invalid, single = coverage
        lines += ["", f"Negative generation (faithful schemathesis run, {bodies} create bodies): {invalid} break the "
                  f"request contract, {single} of them exactly one constraint; they reach {hit} of the {sites} "
                  "documented constraint sites `conformance run` breaks one at a time (every `required`, `type`, "
                  "`maxItems` and `enum` of the request schema), each case named after its site."]  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
