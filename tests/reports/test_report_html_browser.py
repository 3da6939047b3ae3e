"""report.html opened in a real headless browser: what a person sees is what results.json says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
)


def browse(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium on a local file with a throw-away profile and no network."""
    assert CHROMIUM is not None
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)


def test_the_rendered_page_shows_verdict_chart_failures_and_drift(faulty_dir: Path, tmp_path: Path) -> None:
    document = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    dom = browse(faulty_dir / "report.html", tmp_path / "profile", "--dump-dom").stdout
    assert re.search(r'<h1 id="verdict">FAILED</h1>', dom)
    chart = re.search(r'<svg id="chart-checks".*?</svg>', dom, re.S)
    assert chart, "the per-check chart is not in the rendered DOM"
    assert chart.group(0).count('class="check-bar"') == len(document["checks"])
    failing = {name for name, row in document["checks"].items() if row["failed"]}
    drawn = set(re.findall(r'data-check="([a-z_]+)">\s*<title>[^<]*</title>(?:(?!</g>).)*class="segment failed"',
                           chart.group(0), re.S))  # fmt: skip
    assert drawn == failing and failing
    assert dom.count('<article class="failure"') == document["counts"]["failures"]
    for failure in document["failures"]:
        assert failure["case"] in dom
    assert re.search(r'<svg id="chart-status"', dom) and re.search(r'<svg id="chart-latency"', dom)
    assert f">{document['latency_ms']['p95']} ms<" in dom
    assert "<li>metadata</li>" in dom


def test_a_passing_run_renders_passed_and_no_failures(clean_dir: Path, tmp_path: Path) -> None:
    dom = browse(clean_dir / "report.html", tmp_path / "profile", "--dump-dom").stdout
    assert '<h1 id="verdict">PASSED</h1>' in dom
    assert 'id="no-failures"' in dom and 'class="segment failed"' not in dom


def test_the_digest_is_the_first_thing_on_the_page(faulty_dir: Path, tmp_path: Path) -> None:
    """Right under the verdict: what is failing, grouped, with the offending member marked in the response."""
    document = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    dom = browse(faulty_dir / "report.html", tmp_path / "profile", "--dump-dom").stdout
    body = dom[dom.index("<body") :]
    first_tags = re.findall(r"<(header|section|nav|main|div|h1|h2|article)\b[^>]*>", body)
    assert first_tags[:4] == ["header", "div", "h1", "main"]  # the verdict banner, then main
    main = body[body.index("<main>") :]
    assert re.match(r'<main>\s*<section id="digest" class="digest">\s*<h2>What is failing: ', main)
    assert main.index('id="digest"') < main.index('id="counts"') < main.index('id="chart-checks"')
    groups = re.findall(r'<article class="group" id="group-\d+" data-check="([a-z_]+)"', main)
    assert groups and set(groups) == {f["check"] for f in document["failures"]}
    assert "<mark>" in main[: main.index('id="counts"')]  # a response with its offending member highlighted
