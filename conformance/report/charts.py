"""Geometry for the inline SVG charts of report.html (the template draws; no JS, no network)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OUTCOME_COLOURS = {"passed": "#2e7d32", "warned": "#ed8f03", "failed": "#c62828"}
MIN_SEGMENT = 1.5  # % of a bar: a single failure among hundreds of passes stays visible


@dataclass(frozen=True)
class Segment:
    outcome: str
    count: int
    x: float  # % of the bar area
    width: float

    @property
    def colour(self) -> str:
        return OUTCOME_COLOURS[self.outcome]


@dataclass(frozen=True)
class CheckBar:
    name: str
    severity: str
    total: int
    segments: tuple[Segment, ...]


def check_bars(checks: dict[str, dict[str, Any]]) -> list[CheckBar]:
    """One 100% stacked bar per check: the mix of passed, warned and failed results."""
    bars = []
    for name, row in checks.items():
        counts = {outcome: row[outcome] for outcome in ("passed", "warned", "failed")}
        total = sum(counts.values())
        widths = {o: max(MIN_SEGMENT, 100 * c / total) if c else 0.0 for o, c in counts.items()} if total else {}
        scale = 100 / sum(widths.values()) if widths else 0
        segments, x = [], 0.0
        for outcome, width in widths.items():
            if width:
                segments.append(Segment(outcome, counts[outcome], round(x, 3), round(width * scale, 3)))
                x += width * scale
        bars.append(CheckBar(name, row["severity"], total, tuple(segments)))
    return bars


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    size: float  # % of the largest
    colour: str


def status_bars(status_codes: dict[str, int]) -> list[Bar]:
    """Exchanges per HTTP status, coloured by class."""
    largest = max(status_codes.values(), default=0) or 1
    colours = {"2": "#2e7d32", "3": "#546e7a", "4": "#1565c0", "5": "#c62828"}
    return [
        Bar(code, count, 100 * count / largest, colours.get(code[0], "#546e7a"))
        for code, count in sorted(status_codes.items())
    ]


def histogram_bars(histogram: dict[str, int]) -> list[Bar]:
    """Latency samples per bucket, trimmed of empty buckets at both ends."""
    items = list(histogram.items())
    used = [i for i, (_bucket, count) in enumerate(items) if count]
    if not used:
        return []
    largest = max(count for _bucket, count in items)
    return [Bar(bucket, count, 100 * count / largest, "#3949ab") for bucket, count in items[used[0] : used[-1] + 1]]
