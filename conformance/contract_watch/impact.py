"""What a changed contract would do to a recording: replay it against ``schemas/`` and against the alternative,
and compare the verdicts case by case. Replay is the only judge (no second checker): the same checks, the same
recorded order, two contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract.schemas import Contract
from conformance.kinds import CheckOutcome

NOTABLE = (CheckOutcome.FAILED.value, CheckOutcome.WARNED.value)


@dataclass(frozen=True)
class Verdict:
    """One check's failure or warning on one recorded case."""

    case_id: str
    check: str
    outcome: str  # failed | warned
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "check": self.check, "outcome": self.outcome, "message": self.message}


@dataclass
class Impact:
    recording: str
    cases: int
    appear: list[Verdict] = field(default_factory=list)  # fails or warns only under the source's contract
    disappear: list[Verdict] = field(default_factory=list)  # fails or warns only under schemas/

    def to_json(self) -> dict[str, Any]:
        return {"recording": self.recording, "cases": self.cases, "appear": [v.to_json() for v in self.appear],
                "disappear": [v.to_json() for v in self.disappear], "appear_groups": groups(self.appear),
                "disappear_groups": groups(self.disappear)}  # fmt: skip


def groups(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Verdicts with the same check, outcome and message as one entry listing its cases (what a reader scans)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for verdict in verdicts:
        found.setdefault((verdict.check, verdict.outcome, verdict.message), []).append(verdict.case_id)
    return [{"check": check, "outcome": outcome, "message": message, "cases": cases}
            for (check, outcome, message), cases in found.items()]  # fmt: skip


def impact(recording: Path, current: Contract, alternative: Contract) -> Impact:
    """Raises :class:`conformance.run.replay.ReplayError` for a recording it cannot read."""
    from conformance.run.replay import no_network, replay

    with no_network():
        judged = replay(recording, current)
        before, after = _verdicts(judged), _verdicts(replay(recording, alternative))
    result = Impact(str(recording), len(judged.cases))
    # A verdict whose message changed is both: the old one disappears, the new one appears.
    result.appear = sorted(after - before, key=_order)
    result.disappear = sorted(before - after, key=_order)
    return result


def _verdicts(run: Any) -> set[Verdict]:
    return {Verdict(case.case.id, check.check, check.outcome, check.message)
            for case in run.cases for check in case.checks if check.outcome in NOTABLE}  # fmt: skip


def _order(verdict: Verdict) -> tuple[str, str]:
    return verdict.case_id, verdict.check
