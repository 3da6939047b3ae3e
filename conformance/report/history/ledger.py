"""The coverage ledger: when each case family was last judged, over every recorded night.

A budget-limited run with a history reads it to rotate its plan (``conformance.plan.cases.CasePlan``): the families
judged longest ago, or never, go first. ``conformance history --coverage`` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC

from conformance.report.history.store import Night


def coverage_ledger(nights: Sequence[Night]) -> dict[str, str | None]:
    """Every case family any night planned -> when it was last judged (the night's start, ISO, UTC; None: never),
    the stalest first. The time, not only the day: two runs on one day still rotate."""
    last: dict[str, str | None] = {}
    for night in nights:  # oldest first: a later night wins
        when = night.recorded_at.astimezone(UTC).isoformat()
        for name, judged in night.families.items():
            last[name] = when if judged else last.get(name)
    return dict(sorted(last.items(), key=lambda item: (item[1] or "", item[0])))


def rotation_ledger(nights: Sequence[Night]) -> dict[str, str]:
    """What a plan rotates by: the judged families and when, each time followed by the night's place in the history
    (``...+00:00 #000004``) so that nights started within one second still sort in the order they ran (a family
    missing from it was never judged)."""
    last: dict[str, str] = {}
    for number, night in enumerate(nights, 1):  # oldest first: a later night wins
        when = f"{night.recorded_at.astimezone(UTC).isoformat()} #{number:06d}"
        last.update((name, when) for name, judged in night.families.items() if judged)
    return dict(sorted(last.items(), key=lambda item: (item[1], item[0])))


def render_coverage(location: str, ledger: dict[str, str | None], output_format: str) -> str:
    """The ledger as text, Markdown or JSON: each family and when it was last judged, never-judged ones first."""
    never = [name for name, when in ledger.items() if when is None]
    shown = {name: "never" if when is None else f"{when[:10]} {when[11:16]}" for name, when in ledger.items()}
    if output_format == "json":
        return json.dumps({"history": location, "families": len(ledger), "never_judged": never,
                           "last_judged": ledger}, indent=2, ensure_ascii=False) + "\n"  # fmt: skip
    if output_format == "md":
        lines = ["## Coverage across nights", "", f"{len(ledger)} case families, {len(never)} never judged.", "",
                 "| Case family | Last judged |", "|---|---|"]  # fmt: skip
        lines += [f"| `{name}` | {when} |" for name, when in shown.items()]
        return "\n".join(lines) + "\n"
    lines = [f"coverage {location}: {len(ledger)} case families, {len(never)} never judged (stalest first)"]
    lines += [f"  {when:<16}  {name}" for name, when in shown.items()]
    return "\n".join(lines) + "\n"
