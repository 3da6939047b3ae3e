"""Read the vendor's reference page (scraped text, the format of ``create-conversation.page.txt``) into facts.

A property is a line ``<name><type>`` followed by ``required`` or ``Optional``; enum values are glued together
on the line after ``Possible values:``; the documented statuses are one line of glued three-digit codes. The
docs tests read the docs of record with it, and `conformance contract diff` reads any page in this format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

TABLE_HEADER = "Property nameTypeRequiredPIIDescriptionChild properties"
PAGE_TYPES = ("array[object]", "array[string]", "string<date-time>", "enum<string>", "string", "object", "boolean",
              "integer", "number")  # fmt: skip


class PageFormatError(ValueError):
    """The text is not a reference page in the expected format; the message says what is missing."""


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


def is_page(text: str) -> bool:
    return TABLE_HEADER in text


def parse_page(text: str) -> Page:
    """The page's request and 201 tables and its statuses; the code sample and the response example when the
    page has them. Raises :class:`PageFormatError`."""
    lines = [line.strip() for line in text.splitlines()]
    tables = [i for i, line in enumerate(lines) if line == TABLE_HEADER]
    if len(tables) != 2:
        raise PageFormatError(f"expected a request and a 201 table, found {len(tables)}")
    page = Page()
    page.request = _properties(lines[tables[0] + 1 : tables[1]])
    example_start = next((i for i, line in enumerate(lines) if line.startswith("Create a new ConversationLink")),
                         len(lines))  # fmt: skip
    page.response_201 = _properties(lines[tables[1] + 1 : example_start])
    status_line = next((line for line in lines[tables[0] : tables[1]] if re.fullmatch(r"(\d{3})+", line)), None)
    if status_line is None:
        raise PageFormatError("no line of documented statuses between the request and the 201 tables")
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
            if entry.endswith("Possible values:") and j + 1 < len(block):
                prop.enum_glued = block[j + 1]
            if entry.startswith("Max items:"):
                prop.max_items = int(entry.split(":")[1])
    return found


def _request_sample(lines: list[str]) -> dict | None:
    code = "\n".join(line for line in lines if not line.isdigit())
    call = re.search(r"\.create\(\{(?P<body>.*?)\}\)", code, re.S)
    if call is None:
        return None
    return {key: json.loads(value) for key, value in re.findall(r"(\w+):\s*(\"[^\"]*\")", call["body"])}


def _response_example(lines: list[str]) -> dict | None:
    if "Note about this response" not in lines:
        return None
    start = lines.index("Note about this response")
    body = "\n".join(line for line in lines[start + 1 :] if not line.isdigit())
    try:
        return json.loads(body)
    except ValueError:
        return None
