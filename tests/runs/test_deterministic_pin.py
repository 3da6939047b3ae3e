"""A deterministic run's verdicts and cassettes are pinned: speed work (issue 25) must not change what a run
finds or records. ``--deterministic`` gives the emulator seeded ids and a controlled clock, so two runs of one
seed write byte-identical cassettes (checked here too); only timings (``elapsed_ms``, the run's start and end)
differ, and they are not part of a verdict.

When a change is meant to alter the verdicts or the cassettes (a new check, a new case family, a new recorded
field), regenerate the pin and commit it with the change:

    CONFORMANCE_DOCS_DIR=/work/shared/docs python tests/runs/test_deterministic_pin.py
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformance.cli import cli

PIN = Path(__file__).with_name("deterministic_pin.json")
SEED, EXAMPLES = 7, 5
REGENERATE = "intended? regenerate with: python tests/runs/test_deterministic_pin.py (and commit the pin)"


def deterministic_run(directory: Path) -> dict[str, Any]:
    """Run the pinned deterministic run into ``directory``; what it found and recorded, as the pin holds it."""
    # The emulator target's own credentials only: nothing from the shell that could change what is sent.
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith(("TWILIO_", "CONFORMANCE_"))}
    arguments = ["run", "--seed", str(SEED), "--deterministic", "--max-examples", str(EXAMPLES),
                 "--report-dir", str(directory / "report"), "--cassette-dir", str(directory / "cassettes")]  # fmt: skip
    result = CliRunner().invoke(cli, arguments, env={**env, "CI": "1"})
    assert result.exit_code == 0, result.output
    verdicts = {}
    for line in (directory / "report" / "results.jsonl").read_text().splitlines():
        record = json.loads(line).get("case")
        if record is None:
            continue
        case = record["case"]
        # One short line a case: a changed verdict shows as a readable diff; the checks' names are hashed.
        checks = json.dumps([case[key] for key in ("passed_checks", "failed_checks", "warned_checks", "reason")])
        where = f"{case['cassette']}#{case['interaction']}"
        digest = hashlib.sha256(checks.encode()).hexdigest()[:12]
        verdicts[case["id"]] = f"{case['outcome']} {case['status']} {where} {digest}"
    cassettes = directory / "cassettes"
    files = {str(path.relative_to(cassettes)): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(cassettes.rglob("*")) if path.is_file()}  # fmt: skip
    return {"seed": SEED, "max_examples": EXAMPLES, "verdicts": verdicts, "cassettes": files}


def test_a_deterministic_run_judges_and_records_as_pinned(tmp_path: Path) -> None:
    """One run (two would double the test's time): a failure that comes and goes means a deterministic run stopped
    being deterministic, not that the pin is stale."""
    first = deterministic_run(tmp_path)
    pinned = json.loads(PIN.read_text())
    changed = sorted(k for k in first["verdicts"].keys() | pinned["verdicts"].keys()
                     if first["verdicts"].get(k) != pinned["verdicts"].get(k))  # fmt: skip
    assert not changed, f"verdicts changed for {len(changed)} cases, e.g. {changed[:5]}; {REGENERATE}"
    recorded = sorted(k for k in first["cassettes"].keys() | pinned["cassettes"].keys()
                      if first["cassettes"].get(k) != pinned["cassettes"].get(k))  # fmt: skip
    assert not recorded, f"cassettes changed: {recorded[:10]}; {REGENERATE}"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        PIN.write_text(json.dumps(deterministic_run(Path(scratch)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PIN}", file=sys.stderr)
