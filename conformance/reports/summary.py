"""summary.md: short enough for a CI step summary."""

from __future__ import annotations

from conformance.reports.document import (
    Document,
    drift_warnings,
    failures_by_check,
    other_warnings,
    reproduce_command,
)
from conformance.reports.markdown import block, cell, code, table

SHOWN_PER_CHECK = 3
SHOWN_FAILURES = 15
CURL_LIMIT = 2000
LISTED_DRIFT = 30


def render_summary(document: Document) -> str:
    """The Markdown summary of a results document."""
    counts = document["counts"]
    verdict = "✅ PASSED" if document["verdict"] == "passed" else "❌ FAILED"
    lines = [
        f"## Conformance {verdict}: {document['target']}",
        "",
        f"{counts['cases']} cases, {counts['requests']} requests against {code(document['base_url'])}: "
        f"**{counts['failures']} failures**, {counts['warnings']} warnings, {counts['inconclusive']} inconclusive"
        + (f", {counts['not_run']} not run" if counts["not_run"] else "")
        + (" (**interrupted**)" if document["interrupted"] else "")
        + ".",
        "",
        f"Seed **{document['seed']}**, run `{document['run_id']}`. Reproduce: {code(reproduce_command(document))}",
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
    lines += _failures(document)
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


def _bold(value: int) -> str:
    return f"**{value}**" if value else "0"


def _failures(document: Document) -> list[str]:
    grouped = failures_by_check(document)
    if not grouped:
        return []
    lines = ["", "### Failures"]
    shown = 0
    for check, failures in grouped.items():
        lines += ["", f"#### {code(check)}: {len(failures)} failure(s)"]
        for failure in failures[:SHOWN_PER_CHECK]:
            if shown >= SHOWN_FAILURES:
                break
            shown += 1
            lines += ["", f"- {code(failure['case'])} (seed {failure['seed']}): {cell(failure['message'][:500])}"]
            if failure.get("cassette"):
                lines[-1] += f" [cassette {code(failure['cassette'])} #{failure['interaction']}]"
            curl = failure.get("curl")
            if curl and len(curl) <= CURL_LIMIT:
                lines += ["", block(curl, "sh")]
            elif curl:
                lines += ["", f"  (the curl line is {len(curl)} characters: see results.json or report.html)"]
        if len(failures) > SHOWN_PER_CHECK:
            lines += ["", f"- … {len(failures) - SHOWN_PER_CHECK} more for this check in report.html"]
    return lines


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
