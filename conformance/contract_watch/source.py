"""What `contract diff` compares with: a published OpenAPI description (a file or an http(s) URL) or a reference
page in the docs' scraped format, read into a :class:`Shape`.

A URL is fetched with the run's own transport (``connection.py``: the same proxies and TLS settings). Anything
that cannot be read or is neither kind is a :class:`SourceError` whose message is one line.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.contract.schemas import CREATE_PATH, FETCH_PATH, Contract
from conformance.contract_watch.docs_page import Page, PageFormatError, is_page, parse_page
from conformance.contract_watch.shape import (
    Facts,
    Member,
    Scope,
    Shape,
    operation_name,
    read_contract,
    read_openapi,
    source_follower,
)

FETCH_TIMEOUT_S = 30.0
# The page's type column -> (JSON types, format)
PAGE_TYPES: dict[str, tuple[frozenset[str], str | None]] = {
    "string": (frozenset({"string"}), None),
    "enum<string>": (frozenset({"string"}), None),
    "string<date-time>": (frozenset({"string"}), "date-time"),
    "object": (frozenset({"object"}), None),
    "array[object]": (frozenset({"array"}), None),
    "array[string]": (frozenset({"array"}), None),
    "boolean": (frozenset({"boolean"}), None),
    "integer": (frozenset({"integer"}), None),
    "number": (frozenset({"number"}), None),
}
# What a page can say: its top-level members' presence, type, format, enum, maxItems, and requiredness in the
# request (it marks every response member "Optional", and has no notation for null, headers or security).
PAGE_SCOPE_FACTS = frozenset({"types", "format", "enum", "maxItems", "required:request"})


class SourceError(Exception):
    """The source cannot be read, or is neither an OpenAPI description nor a reference page."""


@dataclass
class Description:
    """A source, read: its shape, and what identifies it (printed, and recorded as provenance)."""

    location: str
    kind: str  # "openapi" | "page"
    shape: Shape
    document: dict[str, Any] | None  # the OpenAPI document (None for a page)
    identity: dict[str, Any] = field(default_factory=dict)  # version, sha256, read_at


def read_source(location: str, current: Contract) -> Description:
    """Read ``location`` (a path or an http(s) URL); raises :class:`SourceError`."""
    data = _fetch(location) if urllib.parse.urlsplit(location).scheme in ("http", "https") else _read(location)
    identity: dict[str, Any] = {"sha256": hashlib.sha256(data).hexdigest(),
                                "read_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{location}: not UTF-8 text") from None
    if is_page(text):
        try:
            page = parse_page(text)
        except PageFormatError as exc:
            raise SourceError(f"{location}: not a reference page this command can read ({exc})") from None
        return Description(location, "page", read_page(page, current), None, identity)
    document = _document(location, text)
    version = document.get("openapi") or document.get("swagger")
    if not isinstance(version, str) or not version.startswith("3."):
        raise SourceError(f"{location}: not an OpenAPI 3 description (openapi: {version!r})")
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    identity = {"openapi": version, "title": info.get("title"), "version": info.get("version"), **identity}
    try:
        shape = read_openapi(document, source_follower(document, location), location)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise SourceError(f"{location}: a reference or member it cannot follow ({type(exc).__name__}: {exc})") from None
    if not shape.statuses:
        raise SourceError(f"{location}: describes neither POST {CREATE_PATH} nor GET {FETCH_PATH}")
    return Description(location, "openapi", shape, document, identity)


def read_page(page: Page, current: Contract) -> Shape:
    """The create operation as a page documents it: its request and 201 tables (top level) and its statuses."""
    create = operation_name("post", CREATE_PATH)
    shape = Shape(current, scope=Scope(frozenset({create}), 1, PAGE_SCOPE_FACTS))
    shape.statuses[create] = frozenset(str(status) for status in page.documented_statuses)
    known = read_contract(current).bodies
    for place, properties in ((f"{create} request", page.request), (f"{create} 201", page.response_201)):
        body = {"": Member(Facts(frozenset({"object"}), False, False, None, {}), (), {"type": "object"}, "")}
        for prop in properties:
            types, fmt = PAGE_TYPES[prop.type]
            limits = {k: v for k, v in (("format", fmt), ("maxItems", prop.max_items)) if v is not None}
            enum = _split_enum(prop.enum_glued, known.get(place, {}).get(prop.name)) if prop.enum_glued else None
            node = {"type": sorted(types)[0], **limits, **({"enum": sorted(enum)} if enum else {})}
            facts = Facts(types, False, prop.required, enum, limits)
            body[prop.name] = Member(facts, (("properties", prop.name),), node, "")
        shape.bodies[place] = body
    return shape


def _split_enum(glued: str, current: Member | None) -> frozenset[str]:
    """The page glues enum values together (``ACTIVEINACTIVECLOSED``): split on the values the schemas know,
    longest first; what is left between them is one value the schemas do not know."""
    known = sorted(current.facts.enum or (), key=len, reverse=True) if current is not None else []
    values: set[str] = set()
    rest = ""
    i = 0
    while i < len(glued):
        match = next((v for v in known if glued.startswith(v, i)), None)
        if match is None:
            rest += glued[i]
            i += 1
            continue
        if rest:
            values.add(rest)
            rest = ""
        values.add(match)
        i += len(match)
    if rest:
        values.add(rest)
    return frozenset(values)


def _read(location: str) -> bytes:
    try:
        return Path(location).read_bytes()
    except OSError as exc:
        raise SourceError(f"{location}: {exc.strerror or exc}") from None


def _fetch(url: str) -> bytes:
    from conformance.send.connection import Connection, TransportError

    parts = urllib.parse.urlsplit(url)
    try:
        connection = Connection(f"{parts.scheme}://{parts.netloc}", timeout=FETCH_TIMEOUT_S)
    except ValueError as exc:
        raise SourceError(f"{url}: {exc}") from None
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        answer = connection.request("GET", path, connection.headers({}, b"", "GET"), b"")
    except TransportError as exc:
        raise SourceError(f"{url}: {exc}") from None
    finally:
        connection.close()
    if answer.status != 200:
        raise SourceError(f"{url}: HTTP {answer.status} {answer.reason}")
    return answer.body


def _document(location: str, text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SourceError(f"{location}: neither JSON, YAML nor a reference page ({_one_line(exc)})") from None
    if not isinstance(document, dict):
        raise SourceError(f"{location}: not an OpenAPI description (the document is not an object)")
    return document


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
