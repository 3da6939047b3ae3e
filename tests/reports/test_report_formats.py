"""junit.xml, summary.md and report.html say what results.json says, for passing and failing runs."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from junitparser import Failure, JUnitXml, Skipped

from conformance.report.document import case_group
from conformance.report.html import COPY_SCRIPT, COPY_SCRIPT_HASH, render_html
from conformance.report.junit import render_junit
from conformance.report.summary import render_summary


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def load(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def expected_testcases(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(group, check) for every check that judged at least one case of the group."""
    return {(case_group(c["id"]), check) for c in document["cases"]
            for check in c["passed_checks"] + c["failed_checks"] + c["warned_checks"]}  # fmt: skip


def junit_outcomes(path: Path) -> dict[tuple[str, str], list[Any]]:
    xml = JUnitXml.fromfile(str(path))
    return {(suite.name, case.name): list(case.result) for suite in xml for case in suite}


def test_junit_has_one_testcase_per_check_and_group_and_passes_a_clean_run(clean_dir: Path) -> None:
    document = load(clean_dir)
    outcomes = junit_outcomes(clean_dir / "junit.xml")
    assert set(outcomes) == expected_testcases(document)
    assert not any(outcomes.values())
    xml = JUnitXml.fromfile(str(clean_dir / "junit.xml"))
    assert xml.failures == 0 and xml.tests == len(outcomes)
    suite = next(iter(xml))
    assert {p.name: p.value for p in suite.properties()}["seed"] == str(document["seed"])


def test_junit_fails_exactly_the_failing_checks_with_their_messages(faulty_dir: Path) -> None:
    document = load(faulty_dir)
    outcomes = junit_outcomes(faulty_dir / "junit.xml")
    failed = {key: results[0] for key, results in outcomes.items() if results and isinstance(results[0], Failure)}
    wanted = {(case_group(f["case"]), f["check"]): f for f in document["failures"]}
    assert set(failed) == set(wanted) and wanted
    for key, failure in failed.items():
        assert failure.message == wanted[key]["message"][:1000]
        assert wanted[key]["case"] in failure.text and wanted[key]["curl"] in failure.text
    assert JUnitXml.fromfile(str(faulty_dir / "junit.xml")).failures == len(wanted)


def test_junit_stays_parseable_with_control_characters_and_skips_unjudged_cases(faulty_dir: Path,
                                                                                tmp_path: Path) -> None:  # fmt: skip
    document = copy.deepcopy(load(faulty_dir))
    document["failures"][0]["message"] = "name sent 'a\x00b\x1b[31m' & <tag>, got \ud800 nothing"
    document["cases"][-1].update(outcome="inconclusive", reason="still 429 after 3 attempts",
                                 passed_checks=[], failed_checks=[], warned_checks=[])  # fmt: skip
    path = tmp_path / "junit.xml"
    path.write_text(render_junit(document), encoding="utf-8", errors="surrogatepass")
    outcomes = junit_outcomes(path)
    messages = [r[0].message for r in outcomes.values() if r and isinstance(r[0], Failure)]
    assert any("& <tag>" in m for m in messages)
    skipped = [r[0] for r in outcomes.values() if r and isinstance(r[0], Skipped)]
    assert [s.message for s in skipped] == ["still 429 after 3 attempts"]


def test_summary_has_verdict_counts_failures_with_curl_and_seed_and_drift(faulty_dir: Path, clean_dir: Path) -> None:
    document = load(faulty_dir)
    summary = (faulty_dir / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Conformance ❌ FAILED")
    assert f"Seed **{document['seed']}**" in summary
    for failure in document["failures"]:
        assert failure["curl"] in summary and failure["case"] in summary
    for name, row in document["checks"].items():
        if row["failed"]:
            assert re.search(rf"\| `{name}` \| fail \| {row['passed']} \| \*\*{row['failed']}\*\* \|", summary)
    assert "`metadata`" in summary and "`status=ARCHIVED`" in summary and "`x-emulator-extra`" in summary
    assert len(summary) < 20_000
    clean = (clean_dir / "summary.md").read_text(encoding="utf-8")
    assert clean.startswith("## Conformance ✅ PASSED") and "### Failures" not in clean and "curl" not in clean


def test_summary_stays_short_with_many_failures(faulty_dir: Path) -> None:
    document = copy.deepcopy(load(faulty_dir))
    document["failures"] = [dict(document["failures"][0], case=f"valid/{i:04d}") for i in range(500)]
    summary = render_summary(document)
    assert summary.count("curl -sS") <= 8 and re.search(r"and 4\d\d more in report\.html", summary)  # one example
    assert len(summary) < 20_000


def test_html_escapes_what_came_from_the_target_and_loads_nothing(faulty_dir: Path) -> None:
    document = copy.deepcopy(load(faulty_dir))
    document["failures"][0]["message"] = '<script>alert("x")</script>'
    document["failures"][0]["response"]["body"] = '{"name": "<img src=x onerror=alert(1)>"}'
    page = render_html(document)
    # One script, the copy buttons', and the CSP allows exactly it (its hash): nothing that came from the target runs.
    assert page.count("<script") == 1 and f"<script>{COPY_SCRIPT}</script>" in page and "<img" not in page
    assert f"script-src '{COPY_SCRIPT_HASH}'" in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    tags = Tags()
    tags.feed(page)
    assert not {"img", "link", "iframe", "object", "embed"} & {tag for tag, _attrs in tags.seen}
    links = [value for _tag, attrs in tags.seen for name, value in attrs if name in ("src", "href", "action")]
    assert links and all(value and value.startswith("#") for value in links)  # only in-page anchors
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_html_lists_every_failure_with_curl_seed_cassette_and_drift(faulty_dir: Path) -> None:
    document = load(faulty_dir)
    page = (faulty_dir / "report.html").read_text(encoding="utf-8")
    assert page.count('<article class="failure"') == document["counts"]["failures"]
    for failure in document["failures"]:
        assert f'data-case="{failure["case"]}"' in page
    assert page.count('<pre class="curl">') == document["counts"]["failures"]
    assert f'<dd class="mono" id="seed">{document["seed"]}</dd>' in page
    assert page.count('<g class="check-bar"') == len(document["checks"])
    assert "<li>metadata</li>" in page and "<li>status=ARCHIVED</li>" in page
    assert "not recorded" in page  # no cassettes in this run, and the page says so
