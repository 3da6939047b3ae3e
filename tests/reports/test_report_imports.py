"""The report commands read documents: they never import generation, the checks, validation or the HTTP stack.

Each command runs in a fresh interpreter (a test process has everything imported already) with a wrapper that,
at exit, says which of the heavy modules got loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import FAULTS, RunFactory

from conformance.record.results import case_record
from conformance.record.stream import STREAM_FILE, ResultsWriter

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("hypothesis", "jsonschema", "jsonschema_rs", "httpx", "starlette", "uvicorn", "conformance.judge.checks",
         "conformance.plan.generation", "conformance.plan.drawing")  # fmt: skip
MARK = "imported-heavy:"
WRAPPER = f"""
import atexit, json, sys
heavy = {HEAVY!r}
atexit.register(lambda: print({MARK!r}, json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr))
from conformance.cli import main
sys.argv = ["conformance", *sys.argv[1:]]
main()
"""


def conformance(*args: str | Path) -> tuple[int, str, list[str]]:
    """Run ``conformance ARGS`` in a fresh interpreter: (exit code, output, the heavy modules it imported)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)  # fmt: skip
    lines = done.stderr.splitlines()
    marked = [line for line in lines if line.startswith(MARK)]
    assert marked, done.stdout + done.stderr
    imported = json.loads(marked[-1].removeprefix(MARK))
    return done.returncode, done.stdout + "\n".join(line for line in lines if not line.startswith(MARK)), imported


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, make_run: RunFactory) -> dict[str, Path]:
    """A clean run from the command line (with its stream and cassettes) and a failing one (with a stream)."""
    root = tmp_path_factory.mktemp("imports")
    code, output, _imported = conformance("run", "--max-examples", "2", "--seed", "7", "--deterministic",
                                          "--report-dir", root / "clean",
                                          "--cassette-dir", root / "cassettes")  # fmt: skip
    assert code == 0, output
    failing = make_run(FAULTS)
    stream = ResultsWriter(root / "failing" / STREAM_FILE, failing.header())
    for case in failing.cases:
        stream.case(case_record(case, failing.seed))
    stream.end(failing.end())
    code, output, _imported = conformance("report", "build", root / "failing")
    assert code == 1, output
    return {"clean": root / "clean", "failing": root / "failing", "root": root}


COMMANDS = {  # each on real input: a failing run (digest, diff regressions, gate decisions), a clean baseline
    "gate": lambda r: ("gate", r["failing"], "--policy", r["root"] / "policy.toml"),
    "diff": lambda r: ("diff", r["clean"], r["failing"]),
    "report merge": lambda r: ("report", "merge", r["failing"], "--output", r["root"] / "merged"),
    "report render": lambda r: ("report", "render", r["failing"], "--baseline", r["clean"], "--output", r["root"]),
    "report build": lambda r: ("report", "build", r["failing"]),
    "report build --history": lambda r: ("report", "build", r["failing"], "--history", r["root"] / "h.sqlite"),
    "ticket": lambda r: ("ticket", r["failing"], "1", "--output", r["root"] / "tickets"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_report_commands_import_nothing_heavy(runs: dict[str, Path], command: str) -> None:
    (runs["root"] / "policy.toml").write_text(
        'max_warnings = 100\n[[known_issues]]\ncheck = "no_server_error"\nreason = "r"\nexpires = 2999-12-31\n',
        encoding="utf-8",
    )
    code, output, imported = conformance(*COMMANDS[command](runs))
    assert code in (0, 1), output  # 1: the failing run fails (gate, build) or regressed (diff)
    assert imported == [], f"conformance {command} imported {imported}"
    code, output, imported = conformance(*command.split(" --")[0].split(), "--help")
    assert code == 0 and imported == [], (output, imported)


def test_the_wrapper_sees_heavy_imports(runs: dict[str, Path]) -> None:
    """The check above can fail: a command that sends requests imports what sending needs."""
    replayed = runs["root"] / "replayed"
    shutil.rmtree(replayed, ignore_errors=True)
    code, output, imported = conformance("replay", runs["root"] / "cassettes", "--report-dir", replayed)
    assert code == 0, output
    assert {"conformance.judge.checks", "hypothesis"} <= set(imported), imported
