"""Configuration files checked against their JSON Schema in ``schemas/``: the first problem as one line naming the
file, the line (TOML) and the key.

The gate policy, the parity known differences and the emulator's config file all go through :func:`problem`.
It validates with the report commands' compiled reader (``conformance.reports.schema``), not jsonschema: the gate
reads its policy and must start without the validation libraries (``tests/reports/test_report_imports.py``), and
``bench/schema`` measures what that saves. ``tests/test_config_files.py`` holds the reader to jsonschema on
these schemas. What a schema cannot say (a check name the run knows, a date that exists) stays with the reader.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conformance.contract import schemas_dir
from conformance.reports.schema import Validate, compile_schema, first_problem

GATE_POLICY = "gate-policy.schema.json"
PARITY_KNOWN = "parity-known.schema.json"
EMULATOR_CONFIG = "emulator-config.schema.json"

_REQUIRED = re.compile(r"^'(?P<name>.*)' is a required property$")
_UNKNOWN = "False schema does not allow it"  # the reader's word for a key additionalProperties: false refuses


@functools.cache
def _compiled(name: str) -> tuple[dict[str, Any], Validate]:
    schema = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return schema, compile_schema(schema)


def schema(name: str) -> dict[str, Any]:
    """The schema document ``schemas/<name>``."""
    return _compiled(name)[0]


def problem(data: Any, name: str, path: Path, text: str | None = None) -> str | None:
    """The first way ``data`` (read from ``path``; ``text``: its TOML source, for a line number) breaks the schema
    ``schemas/<name>``, as one line: ``FILE line N: KEY must be ..., got VALUE``; None when it holds."""
    root, validate = _compiled(name)
    data = as_json(data)
    found = first_problem(validate, data)
    if found is None:
        return None
    steps, message = found
    line = toml_line(text, steps) if text is not None else None
    return f"{path}{f' line {line}' if line else ''}: {_said(root, data, steps, message)}"


def _said(root: dict[str, Any], data: Any, steps: list[str | int], message: str) -> str:
    """The problem in the file's own terms: the key's dotted path and what it must be."""
    if message == _UNKNOWN:
        parent = _node_at(root, steps[:-1])
        known = ", ".join(parent.get("properties", ()))
        return f"{_prefix(steps[:-1])}unknown key {steps[-1]!r} (known: {known})"
    required = _REQUIRED.match(message)
    if required:
        return f"{_prefix(steps)}missing {required['name']!r}"
    expected = _node_at(root, steps).get("x-expected")
    if expected is None:
        return f"{_prefix(steps)}{message}"
    return f"{_dotted(steps)} must be {expected}, got {_value_at(data, steps)!r}"


def _dotted(steps: list[str | int]) -> str:
    """``["known_issues", 0, "check"]`` -> ``known_issues[0].check``."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _prefix(steps: list[str | int]) -> str:
    return f"{_dotted(steps)}: " if steps else ""


def _node_at(root: dict[str, Any], steps: list[str | int]) -> dict[str, Any]:
    """The schema node that describes the value at ``steps`` (following local ``$ref``)."""
    node = _resolved(root, root)
    for step in steps:
        if isinstance(step, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(step, node.get("additionalProperties", {}))
        node = _resolved(root, node if isinstance(node, dict) else {})
    return node


def _resolved(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _value_at(data: Any, steps: list[str | int]) -> Any:
    for step in steps:
        data = data[step]
    return data


def as_json(value: Any) -> Any:
    """A TOML table as JSON would hold it: dates and times become their ISO text, so a schema can describe them."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def toml_line(text: str, steps: list[str | int]) -> int | None:
    """The line (1-based) of a TOML file where the value at ``steps`` is set: a top-level key, or a key of the n-th
    ``[[array]]`` table (the table's header when the problem is the table itself)."""
    if not steps:
        return None
    if len(steps) >= 2 and isinstance(steps[1], int):
        array, index = str(steps[0]), steps[1]
        key = str(steps[2]) if len(steps) > 2 else None
        return _line_in_table(text, array, index, key)
    return _line_in_table(text, None, None, str(steps[0]))


def _line_in_table(text: str, array: str | None, index: int | None, key: str | None) -> int | None:
    tables = 0
    current: int | None = None  # None: top level; -1: some other table
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if array is not None and re.match(rf"^\[\[\s*{re.escape(array)}\s*\]\]", stripped):
            current, tables = tables, tables + 1
            if key is None and index == current:
                return number
            continue
        if stripped.startswith("["):
            if array is None and key is not None and re.match(rf"^\[+\s*{re.escape(key)}\s*\]", stripped):
                return number
            current = -1
            continue
        if key is not None and current == index and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None
