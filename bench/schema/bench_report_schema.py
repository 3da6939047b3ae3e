"""Benchmark: the report commands' hand-compiled schema reader (``conformance.contract.schema_reader``) against
jsonschema
and jsonschema-rs, on real ``results.json`` documents: import time in a fresh interpreter (best of several, beyond
``conformance.contract.schemas``), and validation time per document once compiled (each command compiles once).

The documents come from two real runs against the embedded emulator: a small one and a larger one.

    python bench/schema/bench_report_schema.py [--imports 7] [--rounds 200] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for results_md
from results_md import load_average, machine, when, write_section  # noqa: E402

SECTION = "## Report schema reader"
BASE = "import conformance.contract.schemas"  # every report command loads it (it finds the schemas): not counted
IMPORTS = {  # what each reader adds to a report command's start, in a fresh interpreter
    "conformance.contract.schema_reader": f"{BASE}; import conformance.contract.schema_reader",
    "jsonschema": f"{BASE}; import jsonschema",
    "jsonschema_rs": f"{BASE}; import jsonschema_rs",
}
RUNS = {  # name -> extra `conformance run` options
    "20 examples": ["--max-examples", "20"],
    "300 examples": ["--max-examples", "300"],
}


def import_ms(statement: str, repeats: int) -> float:
    """Best wall time of ``statement`` in a fresh interpreter, minus that of ``BASE`` alone."""

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    baseline = min(once(BASE) for _ in range(repeats))
    return max(0.0, min(once(statement) for _ in range(repeats)) - baseline) * 1000


def documents(folder: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for name, options in RUNS.items():
        report = folder / name.replace(" ", "-")
        subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--seed", "3", "--deterministic",
                        "--report-dir", str(report), *options], capture_output=True, check=False)  # fmt: skip
        found[name] = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return found


def validators() -> dict[str, Callable[[Any], bool]]:
    import jsonschema
    import jsonschema_rs

    from conformance.contract.schema_reader import REPORT_SCHEMA, compile_schema
    from conformance.contract.schemas import schemas_dir

    schema = json.loads((schemas_dir() / REPORT_SCHEMA).read_text(encoding="utf-8"))
    light = compile_schema(schema)
    full = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    fast = jsonschema_rs.validator_for(schema, validate_formats=True)
    return {
        "conformance.contract.schema_reader": lambda document: not light(document, None),
        "jsonschema": full.is_valid,
        "jsonschema_rs": fast.is_valid,
    }


def per_document_ms(check: Callable[[Any], bool], document: Any, rounds: int, budget_s: float = 3.0) -> float:
    """Mean time of one validation: ``rounds`` of them, or fewer when they take more than ``budget_s``."""
    assert check(document), "a real report document must be valid"
    started = time.perf_counter()
    done = 0
    while done < rounds and (done < 3 or time.perf_counter() - started < budget_s):
        check(document)
        done += 1
    return (time.perf_counter() - started) / done * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=7, help="fresh interpreters per import measurement")
    parser.add_argument("--rounds", type=int, default=200, help="validations per document and reader")
    parser.add_argument("--no-write", action="store_true", help="print only, leave bench/RESULTS.md alone")
    args = parser.parse_args()

    load = load_average()
    imported = {name: import_ms(statement, args.imports) for name, statement in IMPORTS.items()}
    with tempfile.TemporaryDirectory() as folder:
        docs = documents(Path(folder))
    checks = validators()
    rows = ["| reader | import (ms) | " + " | ".join(f"validate: {n} (ms)" for n in docs) + " |",
            "|---|---:|" + "---:|" * len(docs)]  # fmt: skip
    costs = {}
    for name, check in checks.items():
        times = [per_document_ms(check, doc, args.rounds) for doc in docs.values()]
        costs[name] = imported[name] + times[-1]
        rows.append(f"| {name} | {imported[name]:.1f} | " + " | ".join(f"{t:.3f}" for t in times) + " |")
    sizes = ", ".join(f"{n}: {len(json.dumps(d)) // 1024} KiB" for n, d in docs.items())
    text = "\n".join([
        SECTION, "",
        f"Measured {when()} by `python bench/schema/bench_report_schema.py` on this machine ({machine()}). "
        f"Load average before: {load}. Import: best of {args.imports} fresh interpreters, minus the "
        f"same with `conformance.contract.schemas` alone (every report command loads it). Validate: mean of up to "
        f"{args.rounds} validations (at most 3 s each) of a real results.json once compiled ({sizes}).",
        "", *rows, "",
        "What one report command pays (import + one validation of the larger document): "
        + ", ".join(f"{name} {cost:.0f} ms" for name, cost in costs.items()) + ".",
    ])  # fmt: skip
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
