"""A response walked beside the contract: every member path it has, the ones the docs do not name, and the
enum values they do not list.

Schemas only (no validation library, nothing of the checks), so the report commands can read field paths
out of cassettes; the drift checks use the same walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.contract import SCHEMA_FILES, Contract


def _walk(contract: Contract, node: dict[str, Any], base: str, value: Any, path: str) -> list[tuple[str, Any, dict]]:
    """Every (path, value, schema node) of ``value``, in document order (one list: a response is walked several
    times per case, and a chain of nested generators cost several times the walk itself)."""
    walked: list[tuple[str, Any, dict]] = []
    _collect(contract, node, base, value, path, walked)
    return walked


def _collect(contract: Contract, node: dict[str, Any], base: str, value: Any, path: str,
             walked: list[tuple[str, Any, dict]]) -> None:  # fmt: skip
    if "$ref" in node:
        node, base = contract.follow(node, base)
    walked.append((path, value, node))
    if isinstance(value, dict):
        if "object" not in _types(node):
            return
        properties = node.get("properties", _NONE)
        entries = node.get("additionalProperties")  # a documented map (``metadata``): its keys are data
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in properties:
                _collect(contract, properties[key], base, item, where, walked)
            elif isinstance(entries, dict):
                _collect(contract, entries, base, item, where, walked)
            else:
                walked.append((where, item, _UNDOCUMENTED))
    elif isinstance(value, list) and "items" in node:
        items, where = node["items"], f"{path}[]"
        for item in value:
            _collect(contract, items, base, item, where, walked)


_NONE: dict[str, Any] = {}
_UNDOCUMENTED: dict[str, Any] = {"x-undocumented": True}


def walk_undocumented(contract: Contract, name: str, value: Any) -> Iterator[str]:
    for path, _value, node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if node.get("x-undocumented"):
            yield path


def walk_enum_drift(contract: Contract, name: str, value: Any) -> Iterator[str]:
    for path, item, node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if "enum" in node and isinstance(item, str) and item not in node["enum"]:
            yield f"{path}={item}"


def field_paths(contract: Contract, name: str, value: Any) -> Iterator[str]:
    """Every field path present in a response, documented or not (for run-to-run comparison)."""
    for path, _value, _node in _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, ""):
        if path:
            yield path


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    declared = node.get("type")
    return tuple(declared) if isinstance(declared, list) else (declared,)
