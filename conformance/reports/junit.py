"""junit.xml: one test case per check and case group, for CI systems that read JUnit."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from conformance.reports.document import Document, case_group

# Characters XML 1.0 cannot carry at all (generated names may contain them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_LIMIT = 1000
LISTED_FAILURES = 20


@dataclass
class _Testcase:
    passed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    warned: int = 0


@dataclass
class _Group:
    testcases: dict[str, _Testcase] = field(default_factory=dict)  # by check name
    inconclusive: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: float = 0.0


def render_junit(document: Document) -> str:
    """The JUnit XML text for a results document."""
    groups = _group(document)
    root = ET.Element("testsuites", name=f"conformance {document['run_id']}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for name, group in groups.items():
        suite = ET.SubElement(root, "testsuite", name=name)
        _properties(suite, document)
        tests = failures = skipped = 0
        for check, outcome in group.testcases.items():
            tests += 1
            case = ET.SubElement(suite, "testcase", name=check, classname=f"conformance.{name}")
            if outcome.failures:
                failures += 1
                _failure(case, check, outcome.failures)
            elif outcome.warned:
                out = ET.SubElement(case, "system-out")
                out.text = _clean(f"warning: {outcome.warned} warned result(s); see summary.md / results.json")
        for item in group.inconclusive:
            tests += 1
            skipped += 1
            case = ET.SubElement(
                suite, "testcase", name=f"{item['outcome']} {item['case']}", classname=f"conformance.{name}"
            )
            ET.SubElement(case, "skipped", message=_clean(item["reason"] or item["outcome"]))
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{group.elapsed_ms / 1000:.3f}")
        totals["tests"] += tests
        totals["failures"] += failures
        totals["skipped"] += skipped
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", f"{document['duration_s']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _group(document: Document) -> dict[str, _Group]:
    """Case group -> its check outcomes (in registry order) and unjudged cases, in the order cases ran."""
    failures: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for failure in document["failures"]:
        failures[(failure["case"], failure["check"])].append(failure)
    groups: dict[str, _Group] = {}
    for case in document["cases"]:
        group = groups.setdefault(case_group(case["id"]), _Group())
        group.elapsed_ms += (case["elapsed_ms"] or 0.0) + (case["fetched_elapsed_ms"] or 0.0)
        if case["outcome"] in ("inconclusive", "not_run"):
            group.inconclusive.append({"case": case["id"], "outcome": case["outcome"], "reason": case["reason"]})
            continue
        for check in case["passed_checks"]:
            group.testcases.setdefault(check, _Testcase()).passed += 1
        for check in case["warned_checks"]:
            group.testcases.setdefault(check, _Testcase()).warned += 1
        for check in case["failed_checks"]:
            found = failures.get((case["id"], check)) or [{"case": case["id"], "message": "failed", "curl": None}]
            group.testcases.setdefault(check, _Testcase()).failures.extend(found)
    order = {name: i for i, name in enumerate(document["checks"])}
    for group in groups.values():
        group.testcases = dict(sorted(group.testcases.items(), key=lambda item: order.get(item[0], len(order))))
    return groups


def _failure(case: ET.Element, check: str, failures: list[dict[str, Any]]) -> None:
    first = failures[0]
    element = ET.SubElement(case, "failure", message=_clean(first["message"][:MESSAGE_LIMIT]), type=check)
    lines = [f"{len(failures)} failing case(s)"]
    for failure in failures[:LISTED_FAILURES]:
        lines.append(f"- {failure['case']}: {failure['message'][:MESSAGE_LIMIT]}")
        if failure.get("curl"):
            lines.append(f"  {failure['curl']}")
    if len(failures) > LISTED_FAILURES:
        lines.append(f"... and {len(failures) - LISTED_FAILURES} more in results.json")
    element.text = _clean("\n".join(lines))


def _properties(suite: ET.Element, document: Document) -> None:
    properties = ET.SubElement(suite, "properties")
    for name in ("run_id", "target", "base_url", "seed", "shard"):
        if document.get(name) is not None:
            ET.SubElement(properties, "property", name=name, value=_clean(str(document[name])))


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
