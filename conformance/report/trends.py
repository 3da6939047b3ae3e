"""Geometry for report.html's history section: the strip of failure groups by night, the pass rate and the latency
per route across nights (inline SVG drawn by the template; no script, no network)."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.report.charts import OUTCOME_COLOURS
from conformance.report.history import HistoryView
from conformance.report.history.status import GroupHistory
from conformance.report.history.store import PERCENTILES, ROUTES

STRIP_GROUPS = 40  # rows of the strip; the table under it lists every group
PLOT_WIDTH = 400.0  # the x extent of the line charts, in SVG units
PLOT_HEIGHT = 100.0
PERCENTILE_COLOURS = {"p50": "#2e7d32", "p95": "#ed8f03", "p99": "#c62828"}
# A strip square: failing that night, judged and not failing, or a night without a verdict that did not report it.
NIGHT_COLOURS = {"failing": OUTCOME_COLOURS["failed"], "clear": "#dfe6ea", "unjudged": "#f3d9a4"}


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # "x,y x,y ..." for a <polyline>; nights without a value are skipped
    dots: tuple[tuple[float, float, str], ...]  # (x, y, label) per night with a value


@dataclass(frozen=True)
class Plot:
    title: str
    ceiling: float  # the value at the top of the plot
    unit: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Trends:
    view: HistoryView
    days: tuple[str, ...]  # one label per night of the window, oldest first
    pass_rate: Plot
    latency: tuple[Plot, ...]  # one per route that has answers

    @property
    def strip(self) -> list[GroupHistory]:
        """The groups drawn as rows (most pressing first)."""
        return self.view.groups[:STRIP_GROUPS]

    @property
    def colours(self) -> dict[str, str]:
        return NIGHT_COLOURS

    @property
    def plots(self) -> tuple[Plot, ...]:
        return (self.pass_rate, *self.latency)


def trends(view: HistoryView) -> Trends:
    nights = view.nights
    rates = [None if n.pass_rate is None else round(100 * n.pass_rate, 1) for n in nights]
    pass_rate = Plot("pass rate (judged cases)", 100.0, "%", (_line("pass rate", "#1565c0", rates, 100.0, "%"),))
    plots = []
    for route in ROUTES:
        series = {p: [n.latency.get(route, {}).get(p) for n in nights] for p in PERCENTILES}
        ceiling = max((v for values in series.values() for v in values if v is not None), default=None)
        if ceiling:
            lines = tuple(_line(p, PERCENTILE_COLOURS[p], series[p], ceiling, " ms") for p in PERCENTILES)
            plots.append(Plot(f"{route} latency", ceiling, "ms", lines))
    return Trends(view, tuple(n.day for n in nights), pass_rate, tuple(plots))


def x_of(index: int, count: int) -> float:
    """The x of night ``index`` of ``count``: spread over the plot, one night in the middle."""
    return round(PLOT_WIDTH / 2 if count == 1 else index * PLOT_WIDTH / (count - 1), 2)


def _line(name: str, colour: str, values: list[float | None], ceiling: float, unit: str) -> Line:
    dots = tuple(
        (x_of(i, len(values)), round(PLOT_HEIGHT - PLOT_HEIGHT * value / ceiling, 2), f"{value:g}{unit}")
        for i, value in enumerate(values)
        if value is not None
    )
    return Line(name, colour, " ".join(f"{x},{y}" for x, y, _label in dots), dots)
