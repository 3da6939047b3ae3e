"""junit.xml: one test case per check and case group, for CI systems that read JUnit.

Complete for any run (every group, every check, every unjudged case), written a test suite at a time; a test
case keeps the first ``LISTED_FAILURES`` of its failures and counts the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.kinds import UNJUDGED
from conformance.report.document import Document, case_group, reproduce_case_command

# Characters XML 1.0 cannot carry at all (generated names may contain them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_LIMIT = 1000
LISTED_FAILURES = 20


@dataclass
class _Testcase:
    passed: int = 0
    failed: int = 0  # failing results, listed or not
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first LISTED_FAILURES of them
    warned: int = 0
    flagged: int = 0  # cases that failed it (each has its failure in a results document)
    flagged_cases: list[str] = field(default_factory=list)  # the first of them, for a document without failures

    def failure(self, failure: dict[str, Any]) -> None:
        self.failed += 1
        if len(self.failures) < LISTED_FAILURES:
            self.failures.append(failure)


@dataclass
class _Group:
    testcases: dict[str, _Testcase] = field(default_factory=dict)  # by check name
    inconclusive: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: float = 0.0


def render_junit(document: Document, report_dir: Path | str = "DIR") -> str:
    """The JUnit XML text for a results document."""
    return "".join(junit_chunks(document, report_dir))


def junit_chunks(document: Document, report_dir: Path | str = "DIR", cases: CaseGroups | None = None) -> Iterator[str]:
    """junit.xml a test suite at a time (to be written as it comes); each failing case with the line that
    reproduces it from ``report_dir``. ``cases``: the document's cases already added up (used up here)."""
    groups = _group(document, cases)
    root = ET.Element("testsuites", name=f"conformance {document['run_id']}")
    suites = []
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for name, group in groups.items():
        tests = len(group.testcases) + len(group.inconclusive)
        failures = sum(1 for outcome in group.testcases.values() if outcome.failed)
        suites.append((name, group, tests, failures))
        totals["tests"] += tests
        totals["failures"] += failures
        totals["skipped"] += len(group.inconclusive)
    unearned = _unearned(document)
    if unearned is not None:
        totals["tests"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0" if unearned is None else "1")
    root.set("time", f"{document['duration_s']:.3f}")
    head = ET.tostring(root, encoding="unicode")
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    if not suites and unearned is None:
        yield head + "\n"
        return
    yield head.removesuffix(" />") + ">"
    if unearned is not None:  # first, so a CI test tab cannot read green while the run was not a pass
        verdict = ET.Element("testsuite", name="verdict", tests="1", failures="0", errors="1", skipped="0")
        case = ET.SubElement(verdict, "testcase", name="every case family judged", classname="conformance.verdict")
        ET.SubElement(case, "error", message=_clean(unearned), type=str(document.get("verdict", "")))
        ET.indent(verdict, level=1)
        yield "\n  " + ET.tostring(verdict, encoding="unicode")
    for name, group, tests, failures in suites:
        suite = _suite(document, name, group, tests, failures, report_dir)
        ET.indent(suite, level=1)
        yield "\n  " + ET.tostring(suite, encoding="unicode")
    yield "\n</testsuites>\n"


def _unearned(document: Document) -> str | None:
    """Why a run no check failed in is still no pass (INCOMPLETE, UNDECIDED, INTERRUPTED), or None."""
    verdict = document.get("verdict")
    if verdict in (None, "passed", "failed"):
        return None
    missed = (document.get("coverage") or {}).get("unjudged") or []
    named_families = f": {len(missed)} case families not judged ({', '.join(missed[:20])})" if missed else ""
    return f"{str(verdict).upper()}{named_families}"


def _suite(document: Document, name: str, group: _Group, tests: int, failures: int,
           report_dir: Path | str) -> ET.Element:  # fmt: skip
    suite = ET.Element("testsuite", name=name)
    _properties(suite, document)
    for check, outcome in group.testcases.items():
        case = ET.SubElement(suite, "testcase", name=check, classname=f"conformance.{name}")
        if outcome.failed:
            _failure(case, check, outcome, report_dir)
        elif outcome.warned:
            out = ET.SubElement(case, "system-out")
            out.text = _clean(f"warning: {outcome.warned} warned result(s); see summary.md / results.json")
    for item in group.inconclusive:
        label = f"{item['outcome']} {item['case']}"
        case = ET.SubElement(suite, "testcase", name=label, classname=f"conformance.{name}")
        ET.SubElement(case, "skipped", message=_clean(item["reason"] or item["outcome"]))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(len(group.inconclusive)))
    suite.set("time", f"{group.elapsed_ms / 1000:.3f}")
    return suite


class CaseGroups:
    """Case group -> its check outcomes and unjudged cases, in the order cases ran: added up a case at a time, so
    the pass that writes ``results.json`` can feed it (:class:`conformance.report.CasePass`)."""

    def __init__(self) -> None:
        self.groups: dict[str, _Group] = {}

    def add(self, case: dict[str, Any]) -> None:
        group = self.groups.setdefault(case_group(case["id"]), _Group())
        group.elapsed_ms += (case["elapsed_ms"] or 0.0) + (case["fetched_elapsed_ms"] or 0.0)
        if case["outcome"] in UNJUDGED:
            group.inconclusive.append({"case": case["id"], "outcome": case["outcome"], "reason": case["reason"]})
            return
        for check in case["passed_checks"]:
            group.testcases.setdefault(check, _Testcase()).passed += 1
        for check in case["warned_checks"]:
            group.testcases.setdefault(check, _Testcase()).warned += 1
        for check in case["failed_checks"]:
            outcome = group.testcases.setdefault(check, _Testcase())
            outcome.flagged += 1
            if len(outcome.flagged_cases) < LISTED_FAILURES:
                outcome.flagged_cases.append(case["id"])


def _group(document: Document, cases: CaseGroups | None = None) -> dict[str, _Group]:
    """Case group -> its check outcomes (in registry order) and unjudged cases, in the order cases ran.

    One pass over the cases (unless ``cases`` has had it), one over the failures (either may be a view of the
    stream): counts, and the first failures of each test case."""
    if cases is None:
        cases = CaseGroups()
        for case in document["cases"]:
            cases.add(case)
    groups = cases.groups
    for failure in document["failures"]:
        group = groups.get(case_group(failure["case"]))
        outcome = group.testcases.get(failure["check"]) if group else None
        if outcome is not None and outcome.flagged:
            outcome.failure(failure)
    for group in groups.values():
        for outcome in group.testcases.values():
            if outcome.flagged and not outcome.failed:  # failed, but the document has no failure for it
                outcome.failures = [{"case": case, "message": "failed", "curl": None} for case in outcome.flagged_cases]
                outcome.failed = outcome.flagged
            outcome.flagged_cases = []
    order = {name: i for i, name in enumerate(document["checks"])}
    for group in groups.values():
        group.testcases = dict(sorted(group.testcases.items(), key=lambda item: order.get(item[0], len(order))))
    return groups


def _failure(case: ET.Element, check: str, outcome: _Testcase, report_dir: Path | str) -> None:
    first = outcome.failures[0]
    element = ET.SubElement(case, "failure", message=_clean(first["message"][:MESSAGE_LIMIT]), type=check)
    lines = [f"{outcome.failed} failing case(s)"]
    for failure in outcome.failures:
        lines.append(f"- {failure['case']}: {failure['message'][:MESSAGE_LIMIT]}")
        lines.append(f"  {reproduce_case_command(report_dir, failure['case'])}")
        if failure.get("curl"):
            lines.append(f"  {failure['curl']}")
    if outcome.failed > len(outcome.failures):
        lines.append(f"... and {outcome.failed - len(outcome.failures)} more in results.json")
    element.text = _clean("\n".join(lines))


def _properties(suite: ET.Element, document: Document) -> None:
    properties = ET.SubElement(suite, "properties")
    for name in ("run_id", "target", "base_url", "seed", "shard"):
        if document.get(name) is not None:
            ET.SubElement(properties, "property", name=name, value=_clean(str(document[name])))


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
