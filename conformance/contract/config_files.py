"""Configuration files checked against their JSON Schema in ``schemas/``: the first problem as one line naming the
file, the line (TOML) and the key.

The gate policy, the parity known differences, the emulator's config file and a recording's ``run.json`` all go
through :func:`problem`.
It validates with the report commands' compiled reader (``contract/schema_reader.py``), not jsonschema: the gate
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

from conformance.contract.schema_reader import Validate, compile_schema, first_problem
from conformance.contract.schemas import schemas_dir

GATE_POLICY = "gate-policy.schema.json"
PARITY_KNOWN = "parity-known.schema.json"
EMULATOR_CONFIG = "emulator-config.schema.json"
RUN_RECORD = "run-record.schema.json"  # a recording's run.json: written by the run, but read back like a config

_REQUIRED = re.compile(r"^'(?P<name>.*)' is a required property$")
_UNKNOWN = "False schema does not allow it"  # the reader's word for a key additionalProperties: false refuses


@functools.cache
def _compiled(name: str) -> tuple[dict[str, Any], Validate]:
    schema = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return schema, compile_schema(schema)


def schema(name: str) -> dict[str, Any]:
    """The schema document ``schemas/<name>``."""
    return _compiled(name)[0]


def problem(data: Any, name: str, path: Path, toml: str | None = None) -> str | None:
    """The first way ``data`` (read from ``path``) breaks the schema ``schemas/<name>``, as one line: ``FILE line N:
    KEY must be ..., got VALUE``; None when it holds. ``toml``: the file's text when it is TOML (its dates are read
    as ISO text, and the line is found in it)."""
    root, validate = _compiled(name)
    if toml is not None:
        data = as_json(data)  # a JSON file holds nothing to convert, and a large run.json would pay for the copy
    found = first_problem(validate, data, in_document_order=True)
    if found is None:
        return None
    steps, message = found
    line = toml_line(toml, steps) if toml is not None else None
    return f"{path}{f' line {line}' if line else ''}: {_said(root, data, steps, message)}"


def _said(root: dict[str, Any], data: Any, steps: list[str | int], message: str) -> str:
    """The problem in the file's own terms: the key's dotted path and what it must be."""
    if message == _UNKNOWN:
        where, parent, _value = _walk(root, data, steps[:-1])
        known = ", ".join(parent.get("properties", ()))
        return f"{_prefix(where)}unknown key {steps[-1]!r} (known: {known})"
    required = _REQUIRED.match(message)
    if required:
        return f"{_prefix(_walk(root, data, steps)[0])}missing {required['name']!r}"
    where, node, value = _walk(root, data, steps)
    if "x-expected" not in node:
        return f"{_prefix(where)}{message}"
    return f"{where} must be {node['x-expected']}, got {value!r}"


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _walk(root: dict[str, Any], data: Any, steps: list[str | int]) -> tuple[str, dict[str, Any], Any]:
    """Down ``steps``: the path as the file's reader says it (``known_issues[0].check``; an item whose schema is
    ``x-named-by`` a member carries its name: ``cases[3] (valid/0001): kind``), the schema node describing the
    value there (local ``$ref`` followed), and the value."""
    where, node, value, named = "", _resolved(root, root), data, False
    for step in steps:
        if isinstance(step, int):
            node = _resolved(root, node.get("items", {}))
            value = value[step]
            where += f"[{step}]"
            name = value.get(node["x-named-by"]) if "x-named-by" in node and isinstance(value, dict) else None
            named = isinstance(name, str)
            where += f" ({name})" if named else ""
        else:
            node = _resolved(root, node.get("properties", {}).get(step, node.get("additionalProperties", {})))
            value = value[step]
            where += (": " if named else ".") + step if where else step
            named = False
    return where, node, value


def _resolved(root: dict[str, Any], node: Any) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node if isinstance(node, dict) else {}


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
