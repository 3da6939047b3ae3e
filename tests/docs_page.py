"""Read the vendor's docs of record (never copied into the project) into plain facts.

The page's parser lives in the package (`conformance contract diff` reads pages too); the child-properties
tables are read here, only the docs tests need them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.contract_watch.docs_page import Page, PageProperty, parse_page

__all__ = ["Page", "PageProperty", "parse_page"]  # the page parser, for the docs tests

DOCS_ENV = "CONFORMANCE_DOCS_DIR"
PAGE = "create-conversation.page.txt"
CHILD_PROPERTIES = "child-properties.md"


def docs_dir() -> Path:
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"
    return Path(os.environ.get(DOCS_ENV, default)).resolve()


def require_docs() -> Path:
    """The docs folder, or skip the calling test with the reason."""
    directory = docs_dir()
    if not (directory / PAGE).is_file():
        pytest.skip(f"vendor docs not found at {directory} (set {DOCS_ENV} to the folder holding {PAGE})")
    return directory


# --- child-properties.md: Markdown tables under labelled headings ------------------------


@dataclass
class TableRow:
    cells: dict[str, str]

    @property
    def names(self) -> list[str]:
        """A row may document several properties at once (``createdAt`, `updatedAt``)."""
        return (self.cells.get("property") or self.cells["field"]).strip("`").split("`, `")


def parse_child_tables(text: str) -> dict[str, list[TableRow]]:
    """Tables keyed by the heading or label line that introduces them."""
    tables: dict[str, list[TableRow]] = {}
    label = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if (
            line.startswith("#")
            or (line.strip().endswith(":") and not line.startswith("|"))
            or line.startswith("Participant (response)")
        ):
            label = line.strip("# ").strip()
        if line.startswith("|") and i + 1 < len(lines) and set(lines[i + 1].replace("|", "").strip()) <= set("- "):
            header = [cell.strip() for cell in line.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [cell.strip() for cell in lines[i].strip("|").split("|")]
                rows.append(TableRow(dict(zip(header, cells, strict=False))))
                i += 1
            tables[label] = rows
            continue
        i += 1
    return tables


def required_lists(text: str) -> dict[str, list[str]]:
    """``Required: `a`, `b`.`` sentences, keyed by the label of the table they belong to."""
    found: dict[str, list[str]] = {}
    label = ""
    for line in text.splitlines():
        if line.startswith("#") or line.startswith("Participant (response)"):
            label = line.strip("# ").strip()
        if "Required:" in line:
            names = re.findall(r"`([^`]+)`", line.split("Required:", 1)[1])
            found[label] = names
    return found
