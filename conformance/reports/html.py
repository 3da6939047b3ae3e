"""report.html: one self-contained page (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

from conformance.reports.charts import OUTCOME_COLOURS, check_bars, histogram_bars, status_bars
from conformance.reports.digest import DIGEST_GROUPS, build_digest, explained, highlighted
from conformance.reports.document import (
    DRIFT_CHECKS,
    Document,
    case_counts,
    headline,
    other_warnings,
    reproduce_command,
)


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pretty"] = pretty_body
    environment.filters["highlight"] = highlighted
    environment.filters["explained"] = explained
    return environment


def render_html(document: Document, baseline: Document | None = None) -> str:
    """The HTML report for a results document: the digest first (marked against ``baseline`` when given)."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document,
        headline=headline(document),
        case_counts=case_counts(document),
        digest=build_digest(document, baseline),
        shown_groups=DIGEST_GROUPS,
        counts=document["counts"],
        reproduce=reproduce_command(document),
        check_bars=check_bars(document["checks"]),
        colours=OUTCOME_COLOURS,
        status_bars=status_bars(document["status_codes"]),
        histogram=histogram_bars(document["latency_ms"].get("histogram", {})),
        latency=document["latency_ms"],
        drift_checks=DRIFT_CHECKS,
        drift=[w for w in document["warnings"] if w["check"] in DRIFT_CHECKS],
        other_warnings=other_warnings(document),
    )


def pretty_body(text: str | None) -> str:
    """A JSON body indented for reading; anything else as it came."""
    if not text:
        return ""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)
