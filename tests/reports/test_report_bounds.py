"""Reports of a run of any length stay readable and are built in bounded memory: report.html counts what it
cannot list (results.json and results.jsonl keep everything), junit.xml stays complete, and nothing holds
every case at once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml

from conformance.record.stream import STREAM_FILE, ResultsWriter
from conformance.report import write_from_stream
from conformance.report.digest import LISTED_FAILURES, _shares
from conformance.report.html import CASE_ROWS, LISTED_CASES

CHECKS = {"no_server_error": ["fail", "No 500."], "request_echo": ["fail", "Echo."]}
# Failing cases per group (check, cause): one big group, two small ones, 1,500 failures in all.
GROUPS = {"big": 1300, "middle": 150, "small": 50}


def header(cases: int) -> dict[str, Any]:
    return {"run_id": "long", "target": "emulator", "base_url": "http://127.0.0.1:9", "seed": 1, "max_examples": cases,
            "shard": None, "credential_forms": ["api_key"], "started_at": "2026-11-24T10:00:00Z", "check_names": CHECKS,
            "cassette_dir": None, "time_budget_s": None, "policy": {}}  # fmt: skip


def record(index: int, outcome: str, group: str | None = None) -> dict[str, Any]:
    family = ("valid", "invalid/name.type", "auth/create/none", "not_found")[index % 4]
    case_id = f"{family}/{index:06d}"
    case = {"id": case_id, "kind": family.split("/")[0], "auth": "valid", "credentials": "api_key", "method": "POST",
            "description": f"case {index}", "expected_status": 201, "status": 500 if group else 201,
            "outcome": outcome, "reason": "still 429 after 3 attempts" if outcome == "inconclusive" else None,
            "elapsed_ms": 1.5, "fetched_elapsed_ms": None, "passed_checks": [] if group else ["no_server_error"],
            "failed_checks": ["request_echo" if group == "small" else "no_server_error"] if group else [],
            "warned_checks": [], "cassette": None, "interaction": None}  # fmt: skip
    failures = []
    if group:
        body = json.dumps({"configurationId": "conv_configuration_x", "name": "n" * 200})
        message = f"name sent {index}, got nothing" if group == "small" else f"got 500 ({group})"
        failures.append({"check": case["failed_checks"][0], "severity": "fail", "message": message, "case": case_id,
                         "case_description": case["description"], "seed": 1, "curl": f"curl --data '{body}'",
                         "request": {"method": "POST", "url": "http://127.0.0.1:9/v2/Conversations", "headers": {},
                                     "auth": "valid", "credentials": "api_key", "body": body},
                         "response": {"status": 500 if group != "small" else 201, "headers": {}, "body": "{}",
                                      "elapsed_ms": 1.5},
                         "cassette": None, "interaction": None})  # fmt: skip
        if group == "middle":  # another expected status, so another cause: its own group
            case["expected_status"] = 400
    inconclusive = {"case": case_id, "reason": case["reason"], "curl": None} if outcome == "inconclusive" else None
    return {"case": case, "failures": failures, "warnings": [], "inconclusive": inconclusive,
            "created": None if group or outcome != "passed" else f"conv_{index:026d}",
            "answered": [[case["status"], 1.5]], "observed": [], "undocumented": {}, "requests": 1}  # fmt: skip


def long_run(directory: Path, passing: int) -> Path:
    """A stream of ``passing`` passed cases, 1,500 failing ones (three groups) and 1,200 inconclusive ones."""
    plan = [("failed", name) for name, count in GROUPS.items() for _ in range(count)]
    plan += [("inconclusive", None)] * 1200 + [("passed", None)] * passing
    plan = plan[::2] + plan[1::2]  # interleaved, as a run's families are
    writer = ResultsWriter(directory / STREAM_FILE, header(len(plan)))
    for index, (outcome, group) in enumerate(plan):
        writer.case(record(index, outcome, group))
    writer.end({"finished_at": "2026-11-24T10:10:00Z", "duration_s": 600.0, "interrupted": False,
                "requests": len(plan), "stopped": None})  # fmt: skip
    return directory


@pytest.fixture(scope="module")
def long_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = long_run(tmp_path_factory.mktemp("long"), passing=4000)
    write_from_stream(directory)
    return directory


def test_report_html_counts_what_it_cannot_list_and_lists_every_failure_up_to_the_cap(long_report: Path) -> None:
    page = (long_report / "report.html").read_text(encoding="utf-8")
    document = json.loads((long_report / "results.json").read_text(encoding="utf-8"))
    assert document["counts"]["cases"] == 6700 > CASE_ROWS and len(document["failures"]) == 1500  # all kept there
    # Failures: LISTED_FAILURES cards, each group its share (the small ones whole), the rest counted.
    cards = re.findall(r'<article class="failure" id="failure-(\d+)" data-check="(\w+)"', page)
    assert len(cards) == LISTED_FAILURES
    by_check = {check: sum(1 for _, c in cards if c == check) for check in CHECKS}
    assert by_check["request_echo"] == GROUPS["small"]
    assert "1000 of the 1500 failures are shown whole" in page and "results.jsonl" in page
    assert re.search(r"<h3 id=\"failures-\d\">.*got 500: 1300 failure\(s\)</h3>", page)
    shown = {int(index) for index, _ in cards}
    assert all(f"failure-{index}" in page for index in shown)  # every listed card is where its links point
    # Cases: per family, then the ones that did not pass, LISTED_CASES of them, the rest counted.
    assert 'id="case-families"' in page and '<td class="mono">valid</td>' in page
    rows = re.search(r'<table id="case-rows">(.*?)</table>', page, re.S)
    assert rows and rows.group(1).count("<tr><td") == LISTED_CASES
    assert f"{1500 + 1200 - LISTED_CASES} more in <code>results.json</code>" in page
    inconclusive = re.search(r'<section id="inconclusive">(.*?)</section>', page, re.S)
    assert inconclusive and inconclusive.group(1).count("<tr><td") == LISTED_CASES and "200 more" in page
    assert "conv_0" not in page  # created conversations: counted, listed in results.json
    assert len(page) < 2_500_000


def test_report_html_does_not_grow_with_the_run(long_report: Path, tmp_path: Path) -> None:
    longer = long_run(tmp_path, passing=12000)  # three times the passing cases
    write_from_stream(longer)
    size, longer_size = (long_report / "report.html").stat().st_size, (longer / "report.html").stat().st_size
    assert abs(longer_size - size) < size * 0.02, (size, longer_size)


def test_junit_stays_complete_for_a_long_run(long_report: Path) -> None:
    xml = JUnitXml.fromfile(str(long_report / "junit.xml"))
    assert xml.skipped == 1200  # every unjudged case is a test case of its own
    failing = [case for suite in xml for case in suite if case.result and case.result[0]._tag == "failure"]
    assert failing and all("failing case(s)" in case.result[0].text for case in failing)
    assert sum(int(case.result[0].text.split()[0]) for case in failing) == 1500  # counted, every one
    assert any("more in results.json" in case.result[0].text for case in failing)


PEAK = """
import resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_report_bounds import long_run
from conformance.report import write_from_stream
document = write_from_stream(long_run(Path(sys.argv[1]), int(sys.argv[2])))
kinds = (type(document[key]).__name__ for key in ("cases", "failures"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, *kinds)
"""


def test_building_the_reports_holds_no_list_of_every_case(tmp_path: Path) -> None:
    """The document's lists are views of the stream, and ten times the cases take about the same memory (what
    grows is totals: created ids, latencies). Held whole, 18,000 more cases took some 20 MB more."""
    peaks = []
    for passing in (2000, 20000):
        done = subprocess.run([sys.executable, "-c", PEAK, str(tmp_path / str(passing)), str(passing),
                               str(Path(__file__).parent)], capture_output=True, text=True, check=True)  # fmt: skip
        peak, *kinds = done.stdout.split()
        assert kinds == ["Records", "Records"]
        peaks.append(int(peak) // 1024)  # kB -> MB
    assert peaks[1] - peaks[0] < 10, peaks


def test_each_group_keeps_its_share_of_the_listed_failures() -> None:
    assert _shares({"a": 5, "b": 5}, 100) == {"a": 5, "b": 5}  # room for all
    assert _shares({"big": 1300, "middle": 150, "small": 50}, 1000) == {"small": 50, "middle": 150, "big": 800}
    assert _shares({"a": 600, "b": 600}, 1000) == {"a": 500, "b": 500}
    assert _shares({str(i): 10 for i in range(5)}, 3) == {str(i): 1 for i in range(5)}  # one each, at least


def test_a_short_run_lists_every_case_as_before(faulty_dir: Path) -> None:
    page = (faulty_dir / "report.html").read_text(encoding="utf-8")
    document = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    assert document["counts"]["cases"] <= CASE_ROWS and 'id="case-families"' not in page
    assert all(f'<tr><td class="mono">{case["id"]}</td>' in page for case in document["cases"])
    assert page.count('<article class="failure"') == len(document["failures"]) and "failures-unlisted" not in page
