"""The nightly workflow keeps its history between nights and lets the policy, not last night, decide red."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_ci_workflows import ROOT, WORKFLOWS, conformance_commands, steps

from conformance.report.gate import CheckNames, load_policy

NIGHTLY = WORKFLOWS / "nightly.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in steps(workflow) if s.get("name") == name)


def test_every_night_is_recorded_and_the_history_is_saved_red_or_green(workflow: dict[str, Any]) -> None:
    runs = [c for c in conformance_commands(workflow) if c[0] == "run"]
    assert runs and all("--history" in c for c in runs)
    restore, save = step(workflow, "Restore the history"), step(workflow, "Save the history")
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert save["if"].startswith("always()")  # a red night is remembered too (actions/cache alone saves on success)
    assert restore["with"]["path"] == save["with"]["path"] == str(Path(workflow["env"]["HISTORY"]).parent)
    assert restore["with"]["restore-keys"] == "conformance-history-"  # the newest night's history
    assert save["with"]["key"] == "conformance-history-${{ github.run_id }}-${{ github.run_attempt }}"  # a new key
    assert any(c[:1] == ["history"] and "md" in c for c in conformance_commands(workflow))


def test_the_gate_decides_with_the_nightly_policy(workflow: dict[str, Any]) -> None:
    gate = next(c for c in conformance_commands(workflow) if c[0] == "gate")
    assert "--policy" in gate
    policy = load_policy(ROOT / workflow["env"]["POLICY"], CheckNames(["no_server_error"]))
    assert policy.known_issues == () and policy.drift_blocks is False


@pytest.mark.parametrize(
    ("codes", "red"),
    [
        ({"RUN_CODE": "1", "GATE_CODE": "1", "DIFF_CODE": "0"}, True),  # still failing, not new: red all the same
        ({"RUN_CODE": "1", "GATE_CODE": "0", "DIFF_CODE": "0"}, False),  # failing, excused by a known issue
        ({"RUN_CODE": "0", "GATE_CODE": "0", "DIFF_CODE": "0"}, False),
        ({"RUN_CODE": "0", "GATE_CODE": "0", "DIFF_CODE": "1"}, True),  # a documented field is gone
        ({"RUN_CODE": "2", "GATE_CODE": "1"}, True),
        ({"RUN_CODE": "1", "GATE_CODE": ""}, True),  # no gate ran: no green
    ],
)
def test_the_verdict_is_red_on_any_unexcused_failure(workflow: dict[str, Any], codes: dict[str, str],
                                                     red: bool) -> None:  # fmt: skip
    script = step(workflow, "Verdict")["run"]
    env = {"PATH": "/usr/bin:/bin", "PARITY_CODE": "0", "DIFF_CODE": "", **codes}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert (done.returncode != 0) is red, done.stdout + done.stderr
