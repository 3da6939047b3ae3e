"""The nightly workflow runs parity on that night's live recording and publishes it in the job summary."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_nightly_runs_parity_on_the_live_recording_into_the_summary() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    names = [step.get("name", "") for step in steps]
    parity = next(step for step in steps if "conformance parity" in step.get("run", ""))
    assert names.index(parity["name"]) > names.index("Keep the cassettes beside the report")
    assert '"$REPORT_DIR/cassettes"' in parity["run"] and "parity.md" in parity["run"]
    assert "GITHUB_STEP_SUMMARY" in parity["run"]
    assert not any("secrets." in str(value) for value in (parity.get("env") or {}).values())  # parity needs none
    verdict = next(step for step in steps if step.get("name") == "Verdict")
    assert "PARITY_CODE" in verdict["run"]
