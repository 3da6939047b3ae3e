"""Helpers for the cassette tests: run the CLI, record in-process, read what a run wrote."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from vcr.serializers import yamlserializer

from conformance import vendor
from conformance.cli import cli
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.server import EmulatorServer

BASELINE = Path(__file__).resolve().parents[2] / "cassettes" / "baseline"
CREDENTIAL_ENV = (*vendor.TARGET_VARIABLES, "CI")
# What the emulator accepts by default (the live target reads these; see conformance.emulator.models).
EMULATOR_ENV = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret",
                # and its second account, so recordings hold the cross-account cases too
                "CONFORMANCE_SECOND_API_KEY": "SK" + "5ec0" * 8,
                "CONFORMANCE_SECOND_API_SECRET": "emulator_second_api_secret",
                "CONFORMANCE_SECOND_CONFIGURATION_ID": "conv_configuration_" + "0" * 20 + "second"}  # fmt: skip


def conformance(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``conformance ARGS`` in-process: exit code and everything it printed."""
    result = CliRunner().invoke(cli, list(args), env={**dict.fromkeys(CREDENTIAL_ENV), "CI": "1", **(env or {})})
    return result.exit_code, result.output


def live_run(server: EmulatorServer, directory: Path, *extra: str, env: dict[str, str] | None = None,
             seed: int = 3, max_examples: int = 3) -> tuple[int, str]:  # fmt: skip
    """``conformance run --target live`` against ``server`` (so a test can switch faults on), into ``directory``."""
    return conformance(
        "run", "--target", "live", "--base-url", server.url, "--configuration-id", server.configuration_id,
        "--rate", "10000", "--max-requests", "100000", "--seed", str(seed), "--max-examples", str(max_examples),
        "--report-dir", str(directory / "reports"), "--cassette-dir", str(directory / "cassettes"), *extra,
        env={**EMULATOR_ENV, **(env or {})},
    )  # fmt: skip


def interactions(path: Path) -> list[dict[str, Any]]:
    """A cassette's interactions as vcrpy itself reads them."""
    return yamlserializer.deserialize(path.read_text(encoding="utf-8"))["interactions"]


def sidecar(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "run.json").read_text(encoding="utf-8"))


def results(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def files(*directories: Path) -> list[Path]:
    return sorted(p for d in directories for p in d.rglob("*") if p.is_file())


def written(*directories: Path) -> dict[str, str]:
    """Every file under ``directories`` as text (bytes that are not UTF-8 replaced), by path: what a leak scan reads."""
    return {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in files(*directories)}


@contextmanager
def emulator_holding(secrets: Mapping[str, str]) -> Iterator[EmulatorServer]:
    """An emulator that accepts exactly the credentials ``secrets`` sets (the live target's variables), so a
    ``live_run(..., env=secrets)`` sends real-looking secrets a test can then search every artifact for."""
    with EmulatorServer(EmulatorSettings().with_environment(secrets)) as server:
        yield server


def parse_all(paths: Iterable[Path]) -> None:
    """Every YAML and JSON file parses (a half-written file would not)."""
    for path in paths:
        if path.suffix in (".yaml", ".yml"):
            yaml.safe_load(path.read_text(encoding="utf-8"))
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def copy_baseline(destination: Path) -> Path:
    shutil.copytree(BASELINE, destination)
    return destination
