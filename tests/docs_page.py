"""Read the vendor's docs of record (never copied into the project) into plain facts.

The page is scraped text: a property is a line ``<name><type>`` followed by ``required``
or ``Optional``; enum values are glued together on the line after ``Possible values:``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS_ENV = "CONFORMANCE_DOCS_DIR"
PAGE = "create-conversation.page.txt"
CHILD_PROPERTIES = "child-properties.md"
TABLE_HEADER = "Property nameTypeRequiredPIIDescriptionChild properties"
PAGE_TYPES = ("array[object]", "array[string]", "string<date-time>", "enum<string>", "string", "object", "boolean",
              "integer", "number")  # fmt: skip


def docs_dir() -> Path:
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"
    return Path(os.environ.get(DOCS_ENV, default)).resolve()


def require_docs() -> Path:
    """The docs folder, or skip the calling test with the reason."""
    directory = docs_dir()
    if not (directory / PAGE).is_file():
        pytest.skip(f"vendor docs not found at {directory} (set {DOCS_ENV} to the folder holding {PAGE})")
    return directory


@dataclass
class PageProperty:
    name: str
    type: str
    required: bool
    enum_glued: str | None = None  # "ACTIVEINACTIVECLOSED"
    max_items: int | None = None


@dataclass
class Page:
    request: list[PageProperty] = field(default_factory=list)
    response_201: list[PageProperty] = field(default_factory=list)
    documented_statuses: list[int] = field(default_factory=list)
    response_example: dict | None = None
    request_sample: dict | None = None


_PROPERTY_LINE = re.compile(rf"^(?P<name>[a-zA-Z][a-zA-Z0-9]*?)(?P<type>{'|'.join(map(re.escape, PAGE_TYPES))})$")


def parse_page(text: str) -> Page:
    lines = [line.strip() for line in text.splitlines()]
    tables = [i for i, line in enumerate(lines) if line == TABLE_HEADER]
    assert len(tables) == 2, f"expected a request and a 201 table, found {len(tables)}"
    page = Page()
    page.request = _properties(lines[tables[0] + 1 : tables[1]])
    example_start = next(i for i, line in enumerate(lines) if line.startswith("Create a new ConversationLink"))
    page.response_201 = _properties(lines[tables[1] + 1 : example_start])
    status_line = next(line for line in lines[tables[0] : tables[1]] if re.fullmatch(r"(\d{3})+", line))
    page.documented_statuses = [int(status_line[i : i + 3]) for i in range(0, len(status_line), 3)]
    page.request_sample = _request_sample(lines[example_start:])
    page.response_example = _response_example(lines)
    return page


def _properties(lines: list[str]) -> list[PageProperty]:
    found: list[PageProperty] = []
    for i, line in enumerate(lines):
        match = _PROPERTY_LINE.match(line)
        if not match:
            continue
        following = [entry for entry in lines[i + 1 : i + 4] if entry]
        if not following or following[0] not in ("required", "Optional"):
            continue
        found.append(PageProperty(match["name"], match["type"], following[0] == "required"))
    for prop, nxt in zip(found, [*found[1:], None], strict=True):
        start = lines.index(f"{prop.name}{prop.type}")
        end = lines.index(f"{nxt.name}{nxt.type}") if nxt else len(lines)
        block = lines[start:end]
        for j, entry in enumerate(block):
            if entry.endswith("Possible values:"):
                prop.enum_glued = block[j + 1]
            if entry.startswith("Max items:"):
                prop.max_items = int(entry.split(":")[1])
    return found


def _request_sample(lines: list[str]) -> dict:
    code = "\n".join(line for line in lines if not line.isdigit())
    call = re.search(r"\.create\(\{(?P<body>.*?)\}\)", code, re.S)
    assert call, "no create({...}) call in the code sample"
    return {key: json.loads(value) for key, value in re.findall(r"(\w+):\s*(\"[^\"]*\")", call["body"])}


def _response_example(lines: list[str]) -> dict:
    start = lines.index("Note about this response")
    body = "\n".join(line for line in lines[start + 1 :] if not line.isdigit())
    return json.loads(body)


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
