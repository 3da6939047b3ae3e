"""report.html: one self-contained page (inline CSS and SVG, no network; one inline script, the copy buttons).

Its size is bounded whatever the run's length: up to ``CASE_ROWS`` cases the page lists every case; past that it
counts them per family and lists the ones that did not simply pass (at most ``LISTED_CASES``, as for inconclusive
cases); failures are kept whole up to ``digest.LISTED_FAILURES``. The rest are counted, and results.json and
results.jsonl have every one. The page is written as it is rendered, never held whole.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from conformance import templating
from conformance.report.charts import OUTCOME_COLOURS, check_bars, histogram_bars, status_bars
from conformance.report.digest import DIGEST_GROUPS, Digest, around, build_digest, explained, highlighted
from conformance.report.document import (
    DRIFT_CHECKS,
    Document,
    case_counts,
    case_group,
    headline,
    other_warnings,
    reproduce_case_command,
    reproduce_command,
    run_target,
)

CURL_FOLD = 1500  # a curl line longer than this (several screen lines) is folded behind "show"; never cut
# The page's only script: the copy buttons. The CSP allows exactly this text (its hash), nothing else.
COPY_SCRIPT = (
    'document.documentElement.dataset.copy = "ready"; '  # the CSP let it run (a test reads this)
    'document.addEventListener("click", function (event) {'
    ' var button = event.target.closest("button.copy"); if (!button) { return; }'
    ' var line = button.parentElement.querySelector("pre.curl").textContent;'
    ' navigator.clipboard.writeText(line).then(function () { button.textContent = "copied"; }); });'
)
COPY_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(COPY_SCRIPT.encode()).digest()).decode()

if TYPE_CHECKING:
    from conformance.report.history import HistoryView
    from conformance.report.trends import Trends

CASE_ROWS = 2000  # a run of up to this many cases lists every one; a longer one counts them per family
LISTED_CASES = 1000  # in a longer run: the cases listed one by one (not passed, or warned), and inconclusive rows


@functools.cache
def _environment() -> jinja2.Environment:
    return templating.environment("conformance.report", autoescape=True, pretty=pretty_body, highlight=highlighted,
                                  explained=explained, around=around)  # fmt: skip


def render_html(document: Document, baseline: Document | None = None, digest: Digest | None = None) -> str:
    """The HTML report for a results document: the digest first (marked against ``baseline`` when given)."""
    return "".join(html_chunks(document, baseline, digest))


def html_chunks(document: Document, baseline: Document | None = None, digest: Digest | None = None,
                history: HistoryView | None = None, report_dir: Path | str = "DIR",
                overview: CaseOverview | None = None) -> Iterator[str]:  # fmt: skip
    """report.html as it is rendered, piece by piece (to be written as it comes); with the ``history`` as of this
    run, a section of the failure groups and the trends across nights; every failure shown carries the line that
    reproduces it from ``report_dir``. ``overview``: the document's cases already added up."""
    template = _environment().get_template("report.html.j2")
    counts = document["counts"]
    if counts["cases"] <= CASE_ROWS:  # a short run lists every case; a longer one counts them per family
        overview = None
    elif overview is None:
        overview = case_overview(document)
    return template.generate(
        doc=document,
        headline=headline(document),
        case_counts=case_counts(document),
        digest=digest if digest is not None else build_digest(document, baseline),
        shown_groups=DIGEST_GROUPS,
        counts=counts,
        reproduce=reproduce_command(document),
        resend=functools.partial(reproduce_case_command, report_dir),
        target=run_target(document),
        check_bars=check_bars(document["checks"]),
        colours=OUTCOME_COLOURS,
        status_bars=status_bars(document["status_codes"]),
        histogram=histogram_bars(document["latency_ms"].get("histogram", {})),
        latency=document["latency_ms"],
        drift_checks=DRIFT_CHECKS,
        drift=[w for w in document["warnings"] if w["check"] in DRIFT_CHECKS],
        other_warnings=other_warnings(document),
        overview=overview,
        inconclusive=list(itertools.islice(document["inconclusive"], LISTED_CASES)),
        listed_cases=LISTED_CASES,
        case_rows=CASE_ROWS,
        trends=_trends(history),
        curl_fold=CURL_FOLD,
        copy_script=COPY_SCRIPT,
        copy_script_hash=COPY_SCRIPT_HASH,
    )


def _trends(history: HistoryView | None) -> Trends | None:
    if history is None or not history.nights:
        return None
    from conformance.report.trends import trends

    return trends(history)


@dataclass
class CaseOverview:
    """A longer run's cases: counted per family, and the first of those that did not simply pass."""

    families: dict[str, Counter[str]] = field(default_factory=dict)  # family -> cases per outcome
    listed: list[dict[str, Any]] = field(default_factory=list)  # failed, warned, inconclusive or not run
    unlisted: int = 0  # more such cases, not listed

    def add(self, case: dict[str, Any]) -> None:
        self.families.setdefault(case_group(case["id"]), Counter())[case["outcome"]] += 1
        if case["outcome"] != "passed" or case["warned_checks"]:
            if len(self.listed) < LISTED_CASES:
                self.listed.append(case)
            else:
                self.unlisted += 1


def case_overview(document: Document) -> CaseOverview:
    """One pass over the cases (they may be a view of the stream), keeping counts and the first few cases."""
    overview = CaseOverview()
    for case in document["cases"]:
        overview.add(case)
    return overview


def pretty_body(text: str | None) -> str:
    """A JSON body indented for reading; anything else as it came."""
    if not text:
        return ""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)
