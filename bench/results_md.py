"""bench/RESULTS.md: each benchmark owns one '## ' section and rewrites only that one."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section under ``heading`` (up to the next '## ' heading), or append it; keep the rest."""
    existing = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    body = text.rstrip() + "\n\n"
    updated = pattern.sub(lambda _: body, existing) if pattern.search(existing) else existing.rstrip() + "\n\n" + body
    results.write_text(updated.rstrip() + "\n", encoding="utf-8")
