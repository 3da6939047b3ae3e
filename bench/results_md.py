"""bench/RESULTS.md: each benchmark owns one '## ' section and rewrites only that one."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section under ``heading`` (up to the next '## ' heading), or append it; keep the rest."""
    existing = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    body = text.rstrip() + "\n\n"
    updated = pattern.sub(lambda _: body, existing) if pattern.search(existing) else existing.rstrip() + "\n\n" + body
    results.write_text(updated.rstrip() + "\n", encoding="utf-8")


def when() -> str:
    """The moment a benchmark measured, as every section states it."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> str:
    """What it ran on, as every section states it: ``2 cores, Python 3.11.7``."""
    return f"{os.cpu_count()} cores, Python {platform.python_version()}"


def load_average() -> str:
    """The 1, 5 and 15-minute load averages before measuring: the machine is shared, so readers weigh the numbers."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
