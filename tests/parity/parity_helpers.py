"""Helpers for the parity tests: record a small run against an emulator (faults on or off), run parity on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformance import vendor
from conformance.cli import cli
from conformance.emulator.server import EmulatorServer

BASELINE = Path(__file__).resolve().parents[2] / "cassettes" / "baseline"
CREDENTIAL_ENV = (*vendor.TARGET_VARIABLES, "CI")
EMULATOR_ENV = {"TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "emulator_api_secret",
                # the emulator's second account, so the recording has cross-account cases to re-send as it
                "CONFORMANCE_SECOND_API_KEY": "SK" + "5ec0" * 8,
                "CONFORMANCE_SECOND_API_SECRET": "emulator_second_api_secret",
                "CONFORMANCE_SECOND_CONFIGURATION_ID": "conv_configuration_" + "0" * 20 + "second"}  # fmt: skip


def conformance(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``conformance ARGS`` in-process, with no credential from the caller's environment."""
    result = CliRunner().invoke(cli, list(args), env={**dict.fromkeys(CREDENTIAL_ENV), "CI": "1", **(env or {})})
    return result.exit_code, result.output


def record(server: EmulatorServer, directory: Path, seed: int = 3) -> Path:
    """A small recording made the way the nightly makes one (``--target live``, PII pseudonymised), of ``server``."""
    code, output = conformance(
        "run", "--target", "live", "--base-url", server.url, "--configuration-id", server.configuration_id,
        "--rate", "10000", "--max-requests", "100000", "--seed", str(seed), "--max-examples", "3",
        "--report-dir", str(directory / "reports"), "--cassette-dir", str(directory / "cassettes"),
        env=EMULATOR_ENV,
    )  # fmt: skip
    assert code in (0, 1), output
    return directory / "cassettes"


def parity(recording: Path, report_dir: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    return conformance("parity", str(recording), "--report-dir", str(report_dir), *extra, env=env)


def parity_json(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "parity.json").read_text(encoding="utf-8"))


def groups(report_dir: Path) -> set[tuple[str, str, str, str, str]]:
    """Every group the report lists: (route, kind, subject, vendor, emulator)."""
    return {
        (g["route"], g["kind"], g["subject"], g["vendor"], g["emulator"]) for g in parity_json(report_dir)["groups"]
    }
