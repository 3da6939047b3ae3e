"""Latency statistics of a run's answered exchanges, as results.json keeps them."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

EDGES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)  # histogram buckets, in milliseconds


def latency_summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    edges = EDGES
    histogram = Counter(next((f"<={e}" for e in edges if s <= e), f">{edges[-1]}") for s in ordered)
    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 2),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": round(ordered[-1], 2),
        "histogram": {bucket: histogram.get(bucket, 0) for bucket in [*(f"<={e}" for e in edges), f">{edges[-1]}"]},
    }
