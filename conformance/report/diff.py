"""``conformance diff OLD NEW``: what changed between two runs, and whether NEW regressed.

NEW regressed when a check that did not fail in OLD fails now, when a check fails in a case group
where it did not fail before, or when a documented response field path seen in OLD is gone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.judge.drift import DRIFT_CHECKS
from conformance.report.cassettes import Observed, cassette_dir, read_cassettes
from conformance.report.document import Document, case_group, headline, load_results
from conformance.report.markdown import cell, code, table

LATENCY_STATS = ("mean", "p50", "p95", "p99", "max")
COUNTS = ("cases", "requests", "failures", "warnings", "inconclusive", "not_run")
DRIFT_KINDS = tuple(DRIFT_CHECKS.values())


@dataclass
class Run:
    """One side of the comparison."""

    location: str
    document: Document
    cassettes: Observed | None = None

    @property
    def fields(self) -> set[str]:
        return set(self.document["observed_fields"]) | (self.cassettes.fields if self.cassettes else set())


@dataclass
class RunDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    newly_failing: list[dict[str, Any]] = field(default_factory=list)
    newly_passing: list[dict[str, Any]] = field(default_factory=list)
    still_failing: list[dict[str, Any]] = field(default_factory=list)
    new_failures: list[dict[str, Any]] = field(default_factory=list)  # (check, case group) pairs
    resolved_failures: list[dict[str, Any]] = field(default_factory=list)
    drift_added: dict[str, list[str]] = field(default_factory=dict)
    drift_gone: dict[str, list[str]] = field(default_factory=dict)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    documented_fields_removed: list[str] = field(default_factory=list)
    headers_added: list[str] | None = None  # only when both runs have cassettes
    headers_removed: list[str] | None = None
    counts: dict[str, list[int]] = field(default_factory=dict)
    status_codes: dict[str, list[int]] = field(default_factory=dict)
    latency_ms: dict[str, list[float | None]] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    @property
    def state(self) -> str:
        """The diff in a few words. Not regressing is no pass: a NEW run that still fails says so."""
        if self.regressed:
            return "regressed"
        verdict = self.new["headline"]
        if verdict == "PASSED":
            return "no regression"
        if verdict == "FAILED":
            improved = self.newly_passing or self.resolved_failures
            return "improved, still failing" if improved else "no change, still failing"
        return f"no regression, but NEW is {verdict}"

    def to_json(self) -> dict[str, Any]:
        return {"regressed": self.regressed, "state": self.state, **asdict(self)}


def load_run(location: Path) -> Run:
    """A report directory (or results.json) and its cassettes when present."""
    document = load_results(location)
    cassettes = cassette_dir(location, document)
    return Run(str(location), document, read_cassettes(cassettes) if cassettes else None)


def diff_runs(old: Run, new: Run) -> RunDiff:
    """Compare two runs; ``regressions`` says why NEW is worse, if it is."""
    a, b = old.document, new.document
    result = RunDiff(old=_meta(old), new=_meta(new))
    if a["seed"] != b["seed"] or a["max_examples"] != b["max_examples"]:
        result.notes.append(
            f"the runs sent different requests (seed {a['seed']} vs {b['seed']}, max-examples "
            f"{a['max_examples']} vs {b['max_examples']}): some differences may come from "
            "generation, not from the target"
        )
    if a["target"] != b["target"]:
        result.notes.append(f"different targets: {a['target']} vs {b['target']}")
    _checks(a, b, result)
    _failures(a, b, result)
    _drift_and_fields(old, new, result)
    result.counts = {name: [a["counts"][name], b["counts"][name]] for name in COUNTS}
    codes = sorted(a["status_codes"].keys() | b["status_codes"].keys())
    result.status_codes = {c: [a["status_codes"].get(c, 0), b["status_codes"].get(c, 0)] for c in codes}
    result.latency_ms = {s: [a["latency_ms"].get(s), b["latency_ms"].get(s)] for s in ("count", *LATENCY_STATS)}
    return result


def _meta(run: Run) -> dict[str, Any]:
    doc = run.document
    meta = {key: doc[key] for key in ("run_id", "target", "seed", "verdict", "started_at")}
    meta["headline"] = headline(doc)
    meta["location"] = run.location
    meta["cassettes"] = str(run.cassettes.directory) if run.cassettes else None
    return meta


def _checks(a: Document, b: Document, result: RunDiff) -> None:
    for name in [*b["checks"], *(n for n in a["checks"] if n not in b["checks"])]:
        before, after = a["checks"].get(name), b["checks"].get(name)
        failed_before = before["failed"] if before else 0
        failed_after = after["failed"] if after else 0
        ran_before = bool(before and (before["passed"] or before["failed"] or before["warned"]))
        if failed_after and not failed_before:
            previously = "passed" if ran_before else "not run"
            result.newly_failing.append({"check": name, "failed": failed_after, "previously": previously})
            result.regressions.append(f"check {name} fails in NEW ({failed_after}x); in OLD it {previously}")
        elif failed_before and not failed_after and after and after["passed"]:
            result.newly_passing.append({"check": name, "failed_before": failed_before, "passed": after["passed"]})
        elif failed_before and failed_after:
            result.still_failing.append({"check": name, "failed_before": failed_before, "failed": failed_after})


def _failure_groups(document: Document) -> dict[tuple[str, str], tuple[dict[str, Any], list[str]]]:
    """(check, case group) -> its first failure and every failing case (the other failures are not kept)."""
    grouped: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}
    for failure in document["failures"]:
        grouped.setdefault((failure["check"], case_group(failure["case"])), (failure, []))[1].append(failure["case"])
    return grouped


def _failures(a: Document, b: Document, result: RunDiff) -> None:
    before, after = _failure_groups(a), _failure_groups(b)
    newly_failing = {item["check"] for item in result.newly_failing}
    for (check, group), (first, cases) in after.items():
        if (check, group) in before:
            continue
        result.new_failures.append(
            {"check": check, "group": group, "cases": cases, "message": first["message"], "curl": first["curl"]}
        )
        if check not in newly_failing:  # already counted as a newly failing check
            result.regressions.append(f"check {check} now also fails in case group {group}")
    for (check, group), (_first, cases) in before.items():
        if (check, group) not in after:
            result.resolved_failures.append({"check": check, "group": group, "cases": cases})


def _drift_and_fields(old: Run, new: Run, result: RunDiff) -> None:
    a, b = old.document["undocumented"], new.document["undocumented"]
    for kind in DRIFT_KINDS:
        added = sorted(set(b[kind]) - set(a[kind]))
        gone = sorted(set(a[kind]) - set(b[kind]))
        if added:
            result.drift_added[kind] = added
        if gone:
            result.drift_gone[kind] = gone
    before, after = old.fields, new.fields
    undocumented = set(a["fields"]) | set(b["fields"])
    result.fields_added = sorted(after - before)
    result.fields_removed = sorted(before - after)
    result.documented_fields_removed = [
        path for path in result.fields_removed if not any(_within(path, u) for u in undocumented)
    ]
    for path in result.documented_fields_removed:
        result.regressions.append(f"documented response field {path} was seen in OLD and is gone in NEW")
    if old.cassettes and new.cassettes:
        result.headers_added = sorted(new.cassettes.headers - old.cassettes.headers)
        result.headers_removed = sorted(old.cassettes.headers - new.cassettes.headers)


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


# --- output ------------------------------------------------------------------------------------


def render_json(result: RunDiff) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(result: RunDiff) -> str:
    """The diff for people: regressions first, then everything that moved."""
    old, new = result.old, result.new
    verdict = {"regressed": "❌ REGRESSED", "no regression": "✅ no regression"}.get(result.state, f"❌ {result.state}")
    lines = [
        f"## Conformance diff: {verdict}",
        "",
        f"OLD {code(old['run_id'])} ({old['target']}, seed {old['seed']}, {old['verdict']}) → "
        f"NEW {code(new['run_id'])} ({new['target']}, seed {new['seed']}, {new['verdict']})",
    ]
    lines += [f"\n> note: {note}" for note in result.notes]
    if result.regressions:
        lines += ["", "### Regressions", ""] + [f"- {cell(reason)}" for reason in result.regressions]
    lines += _section(
        "Newly failing checks",
        ["check", "failures", "in OLD"],
        [[code(i["check"]), i["failed"], i["previously"]] for i in result.newly_failing],
    )
    lines += _section(
        "Newly passing checks",
        ["check", "failures in OLD", "passed in NEW"],
        [[code(i["check"]), i["failed_before"], i["passed"]] for i in result.newly_passing],
    )
    lines += _section(
        "Still failing",
        ["check", "failures in OLD", "failures in NEW"],
        [[code(i["check"]), i["failed_before"], i["failed"]] for i in result.still_failing],
    )
    lines += _section(
        "New failures",
        ["check", "case group", "cases", "first message"],
        [[code(i["check"]), code(i["group"]), len(i["cases"]), i["message"][:200]] for i in result.new_failures],
    )
    lines += _section(
        "Resolved failures",
        ["check", "case group", "cases"],
        [[code(i["check"]), code(i["group"]), len(i["cases"])] for i in result.resolved_failures],
    )
    drift_rows = [
        [f"undocumented {kind.replace('_', ' ')}", "new", ", ".join(code(v) for v in values)]
        for kind, values in result.drift_added.items()
    ]
    drift_rows += [
        [f"undocumented {kind.replace('_', ' ')}", "no longer seen", ", ".join(code(v) for v in values)]
        for kind, values in result.drift_gone.items()
    ]
    lines += _section("Drift", ["what", "change", "values"], drift_rows)
    field_rows = [["added", ", ".join(code(p) for p in result.fields_added)]] if result.fields_added else []
    if result.fields_removed:
        field_rows.append(["removed", ", ".join(code(p) for p in result.fields_removed)])
    if result.headers_added:
        field_rows.append(["response headers added (cassettes)", ", ".join(code(h) for h in result.headers_added)])
    if result.headers_removed:
        field_rows.append(["response headers removed (cassettes)", ", ".join(code(h) for h in result.headers_removed)])
    lines += _section("Response field paths observed", ["change", "paths"], field_rows)
    lines += ["", "### Counts", "", table(["", "OLD", "NEW"], [[n, *v] for n, v in result.counts.items()])]
    lines += [
        "",
        "### Status codes",
        "",
        table(
            ["status", "OLD", "NEW"],
            [
                [status, _share(v[0], result.status_codes, 0), _share(v[1], result.status_codes, 1)]
                for status, v in result.status_codes.items()
            ],
        ),
    ]
    lines += [
        "",
        "### Latency (ms)",
        "",
        table(
            ["", "OLD", "NEW", "change"],
            [
                [stat, _num(v[0]), _num(v[1]), _change(v[0], v[1]) if stat != "count" else ""]
                for stat, v in result.latency_ms.items()
            ],
        ),
    ]
    return "\n".join(lines) + "\n"


def _section(title: str, header: list[str], rows: list[list[Any]]) -> list[str]:
    return ["", f"### {title}", "", table(header, rows)] if rows else []


def _share(count: int, codes: dict[str, list[int]], side: int) -> str:
    total = sum(v[side] for v in codes.values())
    return f"{count} ({100 * count / total:.1f}%)" if total else str(count)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    delta = after - before
    percent = f" ({100 * delta / before:+.0f}%)" if before else ""
    return f"{delta:+.2f}{percent}"
