"""The parity report: differences grouped (same route, same kind of difference), judged against the known
ones, written as ``parity.json`` (tools), ``parity.md`` (the CI job summary) and ``parity.html`` (people).

Everything written passes through the run's redaction (a :class:`~conformance.record.cassettes.redaction.Redactor`
for the emulator's credentials and the environment's), like every other report.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from conformance import templating
from conformance.parity.compare import KINDS, Difference
from conformance.parity.engine import ParityResult
from conformance.parity.known import KnownDifference
from conformance.record.atomic import write_atomic
from conformance.record.scrubbing import scrub
from conformance.report.markdown import cell, code

PARITY_FORMAT = 1
FILES = ("parity.json", "parity.md", "parity.html")
EXAMPLES = 5  # occurrences listed per group; the count covers them all


def document(result: ParityResult, known: tuple[KnownDifference, ...], today: date,
             known_source: str) -> dict[str, Any]:  # fmt: skip
    """The parity document: every group with its occurrences and its decision, and the known entries' use."""
    grouped: dict[tuple[str, ...], list[Difference]] = {}
    for difference in result.differences:
        grouped.setdefault(difference.key, []).append(difference)
    used: set[int] = set()
    groups = []
    for (route, kind, subject, vendor, emulator), found in grouped.items():
        matching = [i for i, entry in enumerate(known) if entry.matches(route, kind, subject)]
        used.update(matching)
        live = [known[i] for i in matching if known[i].expires >= today]
        expired = [known[i] for i in matching if known[i].expires < today]
        accepted = max(live, key=lambda e: e.expires) if live else None
        groups.append({
            "route": route, "kind": kind, "description": KINDS[kind], "subject": subject, "vendor": vendor,
            "emulator": emulator, "occurrences": len(found), "cases": len({d.case for d in found}),
            "status": "accepted" if accepted else ("expired" if expired else "differs"),
            "known": (accepted or (max(expired, key=lambda e: e.expires) if expired else None)),
            "examples": [{"case": d.case, "cassette": d.cassette, "interaction": d.interaction, "detail": d.detail}
                         for d in found[:EXAMPLES]],
        })  # fmt: skip
    for group in groups:
        group["known"] = group["known"].to_json() if group["known"] else None
    groups.sort(key=lambda g: (g["status"] == "accepted", g["route"], g["kind"], g["subject"]))
    differing = [g for g in groups if g["status"] != "accepted"]
    verdict = "empty" if not result.compared else ("differs" if differing else "matches")
    return {
        "format": PARITY_FORMAT,
        "verdict": verdict,
        "recording": result.recording,
        "emulator": {"base_url": result.emulator_url, "aliases": result.aliases},
        "known_file": known_source,
        "counts": {
            "cases": result.cases,
            "compared": result.compared,
            "skipped": len(result.skipped),
            "interactions": result.interactions,
            "differences": len(result.differences),
            "groups": len(groups),
            "differing_groups": len(differing),
            "accepted_groups": len(groups) - len(differing),
        },
        "groups": groups,
        "unused_known": [
            {**entry.to_json(), "expired": entry.expires < today} for i, entry in enumerate(known) if i not in used
        ],
        "skipped": [{"case": s.case, "reason": s.reason} for s in result.skipped],
        "duration_s": round(result.duration_s, 3),
    }


def exit_code(doc: dict[str, Any]) -> int:
    """0 when the emulator matches (every difference accepted), 1 when it differs or nothing was compared."""
    return 0 if doc["verdict"] == "matches" else 1


def write_reports(doc: dict[str, Any], directory: Path, redact: Callable[[str], str]) -> list[Path]:
    """parity.json, then parity.md and parity.html rendered from it; everything redacted first."""
    doc = scrub(doc, redact)
    written = []
    for name, text in (("parity.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n"),
                       ("parity.md", render_markdown(doc)), ("parity.html", render_html(doc))):  # fmt: skip
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return templating.environment("conformance.parity", autoescape=autoescape, keep_trailing_newline=True, cell=cell,
                                  code=code)  # fmt: skip


def render_markdown(doc: dict[str, Any]) -> str:
    return _environment(False).get_template("parity.md.j2").render(doc=doc, counts=doc["counts"])


def render_html(doc: dict[str, Any]) -> str:
    return _environment(True).get_template("parity.html.j2").render(doc=doc, counts=doc["counts"])
