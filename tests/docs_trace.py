"""Compare the contract in schemas/ with the docs of record; every difference is a string."""

from __future__ import annotations

import re
from typing import Any

from docs_page import Page, PageProperty, TableRow

from conformance.contract.schemas import Contract

# Which schema node each table of child-properties.md documents (labels are the docs' own).
CHILD_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "- Every error response has a JSON body": ("error", ()),
    "Request body": ("request", ()),
    "`configuration` (request)": ("request", ("configuration",)),
    "`participants[]` (request)": ("request", ("participants", "items")),
    "Address": ("address", ()),
    "201 response: Conversation": ("conversation", ()),
    "`configuration` (response)": ("configuration", ()),
    "Participant (response)": ("participant", ()),
}

PAGE_TYPE_CHECKS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "object": {"type": "object"},
    "array[object]": {"type": "array"},
    "enum<string>": {"type": "string"},
    "string<date-time>": {"type": "string", "format": "date-time"},
}


def _types(node: dict[str, Any]) -> set[str]:
    declared = node.get("type")
    return set(declared) if isinstance(declared, list) else {declared}


def page_mismatches(contract: Contract, page: Page) -> list[str]:
    problems: list[str] = []
    problems += _page_table(contract, "request", page.request)
    problems += _page_table(contract, "conversation", page.response_201)
    return problems


def _page_table(contract: Contract, schema: str, properties: list[PageProperty]) -> list[str]:
    problems = []
    root = contract.node(schema)
    for prop in properties:
        where = f"{schema}.{prop.name}"
        if prop.name not in root.get("properties", {}):
            problems.append(f"{where}: on the page, missing from the schema")
            continue
        node = contract.node(schema, prop.name)
        expected = PAGE_TYPE_CHECKS[prop.type]
        if expected["type"] not in _types(node):
            problems.append(f"{where}: page says {prop.type}, schema says {node.get('type')}")
        if "format" in expected and node.get("format") != expected["format"]:
            problems.append(f"{where}: page says {prop.type}, schema format is {node.get('format')}")
        if prop.type == "array[object]" and contract_item_type(contract, schema, prop.name) != "object":
            problems.append(f"{where}: page says array of objects")
        if prop.required and prop.name not in root.get("required", []):
            problems.append(f"{where}: the page marks it required, the schema does not")
        if prop.enum_glued is not None and "".join(node.get("enum", [])) != prop.enum_glued:
            problems.append(f"{where}: page enum {prop.enum_glued!r} != schema enum {node.get('enum')}")
        if prop.max_items is not None and node.get("maxItems") != prop.max_items:
            problems.append(f"{where}: page says max items {prop.max_items}, schema {node.get('maxItems')}")
    return problems


def contract_item_type(contract: Contract, schema: str, prop: str) -> str | None:
    return contract.node(schema, prop, "items").get("type")


def child_mismatches(
    contract: Contract, tables: dict[str, list[TableRow]], required: dict[str, list[str]]
) -> list[str]:
    problems: list[str] = []
    covered = set()
    for label, rows in tables.items():
        key = next((k for k in CHILD_TABLES if label.startswith(k)), None)
        if key is None:
            continue
        covered.add(key)
        schema, path = CHILD_TABLES[key]
        parent = contract.node(schema, *path)
        required_here = next((names for lab, names in required.items() if lab.startswith(key)), None)
        if required_here is not None and sorted(parent.get("required", [])) != sorted(required_here):
            problems.append(f"{key}: docs require {required_here}, schema requires {parent.get('required', [])}")
        for row in rows:
            for name in row.names:
                problems += _child_row(contract, schema, path, parent, name, row)
    problems += [f"{key}: table not found in child-properties.md" for key in CHILD_TABLES if key not in covered]
    return problems


def _child_row(contract: Contract, schema: str, path: tuple[str, ...], parent: dict[str, Any], name: str,
               row: TableRow) -> list[str]:  # fmt: skip
    where = ".".join((schema, *path, name))
    if name not in parent.get("properties", {}):
        return [f"{where}: documented, missing from the schema"]
    node = contract.node(schema, *path, name)
    doc_type = row.cells["type"]
    notes = " ".join(row.cells.get(col, "") for col in ("constraints", "notes", "meaning"))
    problems = []
    base = doc_type.split(" ")[0].rstrip(",")
    expected_types = {"string": {"string"}, "object": {"object"}, "array": {"array"}, "integer": {"integer"},
                      "boolean": {"boolean"}}[base]  # fmt: skip
    if "or null" in doc_type:
        expected_types = expected_types | {"null"}
    if _types(node) != expected_types:
        problems.append(f"{where}: docs say {doc_type!r}, schema type is {node.get('type')}")
    if "date-time" in doc_type and node.get("format") != "date-time":
        problems.append(f"{where}: docs say date-time, schema format is {node.get('format')}")
    if "required" in row.cells and (row.cells["required"] == "yes") != (name in parent.get("required", [])):
        problems.append(f"{where}: docs required={row.cells['required']}, schema disagrees")
    if "enum" in doc_type:
        values = re.findall(r"`([A-Z_]+)`", notes) or list(contract.enum("request", "participants", "items", name))
        if list(node.get("enum", [])) != values:
            problems.append(f"{where}: docs enum {values}, schema enum {node.get('enum')}")
    limit = re.search(r"at most (\d+)", doc_type + " " + notes)
    if base == "array" and limit and node.get("maxItems") != int(limit[1]):
        problems.append(f"{where}: docs say at most {limit[1]} items, schema maxItems {node.get('maxItems')}")
    limit = re.search(r"at most (\d+) chars", notes)
    if base == "string" and limit and node.get("maxLength") != int(limit[1]):
        problems.append(f"{where}: docs say at most {limit[1]} chars, schema maxLength {node.get('maxLength')}")
    pattern = re.search(r"pattern `([^`]+)`", notes)
    if pattern:
        target = node.get("properties", {}).get("serviceId", node) if base == "object" else node
        if target.get("pattern") != pattern[1]:
            problems.append(f"{where}: docs pattern {pattern[1]}, schema pattern {target.get('pattern')}")
    if (default := re.search(r"^default (\w+)", notes.strip())) and str(node.get("default")).lower() != default[1]:
        problems.append(f"{where}: docs default {default[1]}, schema default {node.get('default')}")
    if (items := re.search(r"items `\{(.*)\}`", notes)) is not None:
        problems += _inline_items(where, node.get("items", {}), items[1])
    if (inline := re.search(r"`\{(\w+)\}` required", notes)) and node.get("required") != [inline[1]]:
        problems.append(f"{where}: docs require {inline[1]}, schema requires {node.get('required')}")
    return problems


def _inline_items(where: str, items: dict[str, Any], text: str) -> list[str]:
    """Items written inline, e.g. ``url (string, uri, required), method (POST or GET, default POST)``."""
    problems = []
    for name, spec in re.findall(r"(\w+) \(([^)]*)\)", text):
        node = items.get("properties", {}).get(name)
        if node is None:
            problems.append(f"{where}[].{name}: documented, missing from the schema")
            continue
        if "required" in spec and name not in items.get("required", []):
            problems.append(f"{where}[].{name}: docs say required")
        if "uri" in spec.split(", ") and node.get("format") != "uri":
            problems.append(f"{where}[].{name}: docs say uri")
        if " or " in spec:
            values = spec.split(",")[0].split(" or ")
            if node.get("enum") != values:
                problems.append(f"{where}[].{name}: docs enum {values}, schema {node.get('enum')}")
        if (default := re.search(r"default (\w+)", spec)) and node.get("default") != default[1]:
            problems.append(f"{where}[].{name}: docs default {default[1]}, schema {node.get('default')}")
    return problems
