"""report.html opened in a real headless browser: what a person sees is what results.json says."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from report_helpers import RunFactory, write_report

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


def evaluate(page: Path, profile: Path, expression: str) -> Any:
    """Open ``page`` in headless chromium (a 1280x900 window) and return ``expression`` evaluated in it, through
    the DevTools protocol on a pipe (the page's own CSP allows no script of ours; the protocol needs none)."""
    assert CHROMIUM is not None
    chromium_reads, ours_to_chromium = os.pipe()
    ours_from_chromium, chromium_writes = os.pipe()
    # Chromium speaks on fds 3 (it reads) and 4 (it writes): move the pipe ends out of the way, then into place.
    reads, writes = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (chromium_reads, chromium_writes))
    os.close(chromium_reads)
    os.close(chromium_writes)

    def into_place() -> None:
        os.dup2(reads, 3)
        os.dup2(writes, 4)

    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=1280,900",
               "about:blank"]  # fmt: skip
    process = subprocess.Popen(command, pass_fds=(3, 4), preexec_fn=into_place, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(reads)
    os.close(writes)
    sending, receiving = os.fdopen(ours_to_chromium, "wb", buffering=0), os.fdopen(ours_from_chromium, "rb")
    pending, sent = b"", 0

    def call(method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        nonlocal pending, sent
        sent += 1
        message = {"id": sent, "method": method, "params": params or {}, **({"sessionId": session} if session else {})}
        sending.write(json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in pending:
                chunk = receiving.read1(65536)
                assert chunk, "chromium closed its end of the pipe"
                pending += chunk
            line, _, pending = pending.partition(b"\0")
            reply = json.loads(line)
            if reply.get("id") == sent:
                assert "error" not in reply, reply
                return reply["result"]

    try:
        target = call("Target.createTarget", {"url": page.resolve().as_uri()})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        loaded = "location.protocol === 'file:' && document.readyState === 'complete'"
        for _ in range(200):
            if call("Runtime.evaluate", {"expression": loaded, "returnByValue": True}, session)["result"].get("value"):
                break
            time.sleep(0.05)
        found = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        assert "exceptionDetails" not in found, found["exceptionDetails"]
        return found["result"].get("value")
    finally:
        with contextlib.suppress(AssertionError, OSError, ValueError):
            call("Browser.close")
        sending.close()
        receiving.close()
        process.wait(timeout=30)


# Where, in the first failure group, the characters the vendor changed first show; and the page's height with the
# long curl lines folded (as rendered) and unfolded (as they were shown before they could be folded).
MEASURE = """(() => {
  const group = document.querySelector('#group-1'), top = group.getBoundingClientRect().top;
  const at = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const index = node.textContent.indexOf('-altered');
      if (index >= 0) {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + 8);
        const box = range.getBoundingClientRect();
        if (box.height > 0) { return box.top - top; }
      }
    }
    return null;
  };
  const folded = document.documentElement.scrollHeight;
  const measured = {message: at(group.querySelector('.message')), response: at(group.querySelector('.response')),
                    pair: group.querySelector('.cols').getBoundingClientRect().top - top, folded: folded,
                    copies: document.querySelectorAll('.curl-box button.copy').length,
                    script: document.documentElement.dataset.copy || null,
                    closed: document.querySelectorAll('details.curl-fold:not([open])').length};
  document.querySelectorAll('details.curl-fold').forEach((d) => { d.open = true; });
  measured.unfolded = document.documentElement.scrollHeight;
  return measured;
})()"""


def test_a_long_changed_value_shows_its_difference_on_the_first_screen_of_its_group(
    make_run: RunFactory, tmp_path: Path
) -> None:
    """The vendor appends 8 characters to a 5,000-character participant name: the changed characters are on the
    group's first screen (its message and its response panel), the curl line is folded, and the page is shorter."""
    directory = tmp_path / "report"
    document = write_report(make_run((("append_to_names", None, {"longer_than": 1000}),)), directory)
    assert document["failures"] and all(f["case"].startswith("valid/strings/") for f in document["failures"])
    assert max(len(f["curl"]) for f in document["failures"]) > 20_000
    seen = evaluate(directory / "report.html", tmp_path / "profile", MEASURE)
    screen = 900
    assert seen["message"] is not None and seen["message"] < screen, seen
    assert seen["response"] is not None and seen["response"] < screen, seen
    assert seen["pair"] < screen  # the request and response start on the first screen, not ~5,000 px down
    assert seen["closed"] >= 1 and seen["copies"] >= seen["closed"]  # folded, each with its copy button
    assert seen["script"] == "ready"  # the page's CSP lets its one script (the copy buttons) run
    assert seen["folded"] + 3 * screen < seen["unfolded"], seen  # shorter than with the curl lines shown whole
