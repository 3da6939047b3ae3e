"""``conformance history`` output (text, Markdown, JSON) and the lines summary.md gives each group."""

from __future__ import annotations

import functools
import json

import jinja2

from conformance import templating
from conformance.report.history import HistoryView
from conformance.report.history.store import PERCENTILES, ROUTES, Night
from conformance.report.markdown import cell, code


@functools.cache
def _environment() -> jinja2.Environment:
    environment = templating.environment("conformance.report.history", code=code, cell=cell)
    environment.globals.update(percent=percent, latency=latency, routes=ROUTES)
    return environment


def percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def latency(night: Night, route: str) -> str:
    stats = night.latency.get(route)
    return "/".join(f"{stats[p]:g}" for p in PERCENTILES) if stats else "-"


def render_markdown(view: HistoryView, brief: bool = False) -> str:
    """The history in Markdown; ``brief``: one line per group, for summary.md."""
    return _environment().get_template("history.md.j2").render(view=view, brief=brief).strip() + "\n"


def render_json(view: HistoryView) -> str:
    return json.dumps(view.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_text(view: HistoryView) -> str:
    """For a terminal: the groups, one line each, then the nights newest first."""
    lines = [f"history {view.location}: {view.total_nights} night(s) recorded, the last {len(view.nights)} shown"]
    if view.groups:
        lines.append(f"failure groups ({len(view.failing)} failing in the newest night):")
    lines += [f"  {g.check}: {g.cause}\n    {g.line()}" for g in view.groups]
    if view.nights and not view.groups:
        lines.append("no failure group in these nights")
    if view.nights:
        lines.append("nights:")
    for night in reversed(view.nights):
        routes = ", ".join(f"{route} {latency(night, route)} ms" for route in ROUTES if route in night.latency)
        lines.append(
            f"  {night.recorded_at:%Y-%m-%d %H:%M} {night.verdict:<11} {night.run_id}: "
            f"{night.counts.get('cases', 0)} cases, pass rate {percent(night.pass_rate)}, "
            f"{len(night.groups)} group(s) failing" + (f"; p50/p95/p99 {routes}" if routes else "")
        )
    return "\n".join(lines) + "\n"
