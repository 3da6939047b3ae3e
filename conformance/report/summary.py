"""summary.md: short enough for a CI step summary."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from conformance import templating
from conformance.judge.coverage import named
from conformance.report.digest import DIGEST_GROUPS, Digest, around, build_digest, explained, highlighted
from conformance.report.document import (
    Document,
    case_counts,
    drift_warnings,
    headline,
    other_warnings,
    reproduce_case_command,
    reproduce_command,
    run_target,
)
from conformance.report.markdown import block, cell, code, table

if TYPE_CHECKING:
    from conformance.report.history import HistoryView

CURL_LIMIT = 2000
LISTED_DRIFT = 30
DIGEST_CASES = 10
MD_CONTEXT = 6  # lines of a response shown either side of the offending member
MD_LINE = 200  # characters of one response line in summary.md


@functools.cache
def _environment() -> jinja2.Environment:
    return templating.environment("conformance.report", code=code, cell=cell, block=block, explained=explained,
                                  highlight=highlighted, marked=marked)  # fmt: skip


def marked(lines: list[tuple[str, bool]]) -> str:
    """Highlighted lines as a diff block's body: the offending member's lines start with ``-`` (shown red).

    Long bodies keep the lines around the offending member (or their start): a summary is read on one screen.
    """
    out = []
    for line, hit in around(lines, MD_CONTEXT):
        text = line if len(line) <= MD_LINE else line[:MD_LINE] + f"… ({len(line)} characters)"
        out.append(("- " if hit else "  ") + text)
    return "\n".join(out)


def render_digest(document: Document, baseline: Document | None = None, digest: Digest | None = None,
                  report_dir: Path | str = "DIR") -> str:  # fmt: skip
    """The digest in Markdown: what is failing, grouped, most serious first; each example with the line that
    reproduces it from ``report_dir``."""
    template = _environment().get_template("digest.md.j2")
    digest = digest if digest is not None else build_digest(document, baseline)
    limits = {"shown_groups": DIGEST_GROUPS, "shown_cases": DIGEST_CASES, "curl_limit": CURL_LIMIT}
    return template.render(digest=digest, counts=document["counts"], target=run_target(document),
                           resend=functools.partial(reproduce_case_command, report_dir),
                           report_dir=str(report_dir), **limits).strip()  # fmt: skip


def render_summary(document: Document, baseline: Document | None = None, digest: Digest | None = None,
                   trends: HistoryView | None = None, report_dir: Path | str = "DIR") -> str:  # fmt: skip
    """The Markdown summary of a results document, the digest first (then each group across nights)."""
    counts = document["counts"]
    verdict = {"PASSED": "✅ PASSED", "FAILED": "❌ FAILED"}.get(headline(document), f"⚠️ {headline(document)}")
    lines = [
        f"## Conformance {verdict}: {document['target']}",
        "",
        f"{case_counts(document)}, against {code(document['base_url'])} with {counts['requests']} requests "
        f"(**{counts['failures']} failed checks**, {counts['warnings']} warnings)"
        + (" (**interrupted**)" if document["interrupted"] else "")
        + ".",
        "",
        f"Seed **{document['seed']}**, run `{document['run_id']}`. Reproduce: {code(reproduce_command(document))}",
        *_coverage(document),
        "",
        render_digest(document, baseline, digest, report_dir),
        *_across_nights(trends),
        *_confirmation(document),
        "",
        "### Checks",
        "",
        table(
            ["check", "severity", "passed", "failed", "warned"],
            [
                [code(name), row["severity"], row["passed"], _bold(row["failed"]), row["warned"]]
                for name, row in document["checks"].items()
                if row["passed"] or row["failed"] or row["warned"]
            ],
        ),
    ]
    unexercised = [
        name for name, row in document["checks"].items() if not (row["passed"] or row["failed"] or row["warned"])
    ]
    if unexercised:
        lines += ["", "Not exercised by any case: " + ", ".join(code(name) for name in unexercised) + "."]
    lines += _drift(document)
    latency = document["latency_ms"]
    if latency["count"]:
        lines += [
            "",
            f"Latency over {latency['count']} exchanges: p50 {latency['p50']} ms, p95 {latency['p95']} ms, "
            f"p99 {latency['p99']} ms, max {latency['max']} ms.",
        ]
    lines += ["", "Full detail: `report.html`, `results.json`, `junit.xml` beside this file.", ""]
    return "\n".join(lines)


def _across_nights(trends: HistoryView | None) -> list[str]:
    """One line per failure group from the history: "persistent: failing 5 nights, since 2026-12-02"."""
    if trends is None:
        return []
    from conformance.report.history.render import render_markdown

    return ["", render_markdown(trends, brief=True).strip()]


def _coverage(document: Document) -> list[str]:
    """The case families no case of which was judged (why the run is not PASSED when nothing failed)."""
    coverage = document.get("coverage")
    if not coverage or not coverage["unjudged"]:
        return []
    missed = coverage["unjudged"]
    return ["", f"**{len(missed)} of {coverage['families']} case families not judged** (no case of theirs passed or "
            f"failed): {named([code(name) for name in missed], LISTED_DRIFT)}."]  # fmt: skip


def _confirmation(document: Document) -> list[str]:
    """Each failure group's representative, re-sent before the verdict: confirmed or intermittent."""
    groups = document.get("confirmation") or []
    if not groups:
        return []
    rows = [[code(g["check"]), cell(g["cause"]), code(g["case"]), f"{g['failed']} of {g['resent']}", g["status"]]
            for g in groups]  # fmt: skip
    return ["", "### Confirmation (each group's example re-sent)", "",
            table(["check", "cause", "case", "failed again", "status"], rows)]  # fmt: skip


def _bold(value: int) -> str:
    return f"**{value}**" if value else "0"


def _drift(document: Document) -> list[str]:
    undocumented = document["undocumented"]
    drift = drift_warnings(document)
    lines: list[str] = []
    if drift or any(undocumented.values()):
        lines += ["", "### Drift warnings (what the docs do not name)", ""]
        for kind, label in (("fields", "fields"), ("enum_values", "enum values"), ("headers", "headers")):
            values = undocumented[kind]
            if values:
                listed = ", ".join(code(v) for v in values[:LISTED_DRIFT])
                more = f" and {len(values) - LISTED_DRIFT} more" if len(values) > LISTED_DRIFT else ""
                lines.append(f"- undocumented {label}: {listed}{more}")
        lines.append(f"- {sum(w['occurrences'] for w in drift)} drift warning(s) in {len(drift)} distinct message(s)")
    others = other_warnings(document)
    if others:
        lines += ["", "### Other warnings", ""]
        for warning in others[:10]:
            lines.append(f"- {code(warning['check'])} x{warning['occurrences']}: {cell(warning['message'][:300])}")
    return lines
