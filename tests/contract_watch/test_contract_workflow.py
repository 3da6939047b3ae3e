"""The nightly watches the published description, reports to the job summary, and never fails on it alone."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "nightly.yml"


def test_the_nightly_diffs_the_published_description_and_replays_tonights_recording_when_it_changed() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    [watch] = [step for step in steps if step.get("id") == "contract"]
    script = watch["run"]
    assert "twilio/twilio-oai/main/spec/json/twilio_conversations_v2.json" in watch["env"]["PUBLISHED"]
    assert 'conformance contract diff "$PUBLISHED" --format md' in script
    assert '--recording "$REPORT_DIR/cassettes"' in script and '[ "$code" = "1" ]' in script
    assert '>> "$GITHUB_STEP_SUMMARY"' in script
    # It opens the question; it does not decide it: never a failing exit, and the verdict ignores it.
    assert watch["if"] == "always()" and watch["continue-on-error"] is True
    assert script.rstrip().endswith("exit 0") and "set +e" in script
    verdict = next(step for step in steps if step.get("name") == "Verdict")
    assert "steps.contract" not in str(verdict)
    # Its output travels with the report artifact.
    upload = next(step for step in steps if step.get("name") == "Upload the report and cassettes")
    assert steps.index(watch) < steps.index(upload)
