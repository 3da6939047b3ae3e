"""Shared by the report tests: the faults that make a run fail, and running the CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.record.results import RunResult
from conformance.report import write_all

SEED = 4242
Fault = tuple[str, int | None, dict[str, Any]]  # name, how many requests it changes (None: all), params
RunFactory = Callable[..., RunResult]  # the make_run fixture (conftest.py): a real run against the emulator

# Deviations that make several checks fail or warn: a 500, an unechoed name, drift of each kind.
FAULTS: tuple[Fault, ...] = (
    ("status_500", 1, {}),
    ("not_echoed", 2, {"field": "name"}),
    ("extra_field", None, {"field": "metadata", "value": {"tier": "gold"}}),
    ("unknown_enum", 1, {"field": "status", "value": "ARCHIVED"}),
    ("extra_header", 1, {}),  # X-Emulator-Extra: 1
)


def write_report(result: RunResult, directory: Path) -> dict[str, Any]:
    """Write every format for ``result`` into ``directory``; return the results.json document."""
    write_all(result, directory, ("s3cr3t-password",))
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def invoke(*args: str) -> tuple[int, str, str]:
    """Run a ``conformance`` command in-process: (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from conformance.cli import cli

    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_one_clear_line(code: int, stdout: str, stderr: str, *expected: str) -> None:
    """Exit 2, exactly one line on stderr mentioning ``expected``, no traceback."""
    assert code == 2, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stdout + stderr
    for text in expected:
        assert text in lines[0], lines[0]
