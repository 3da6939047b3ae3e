"""`conformance history` reads a history and imports nothing heavy, like the report commands."""

from __future__ import annotations

import json
from pathlib import Path

from test_report_imports import conformance

from conformance.report.history import open_history, record_run


def test_the_history_command_imports_nothing_heavy(faulty_dir: Path, tmp_path: Path) -> None:
    store = open_history(tmp_path / "h.sqlite")
    try:
        record_run(store, json.loads((faulty_dir / "results.json").read_text(encoding="utf-8")))
    finally:
        store.close()
    code, output, imported = conformance("history", "--history", tmp_path / "h.sqlite", "--format", "md")
    assert code == 0 and "| new |" in output, output
    assert imported == [], imported
