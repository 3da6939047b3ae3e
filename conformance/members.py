"""A response walked beside the contract: every member path it has, the ones the docs do not name, and the
enum values they do not list.

Schemas only (no validation library, nothing of the checks), so the report commands can read field paths
out of cassettes; the drift checks use the same walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.contract import SCHEMA_FILES, Contract


def _walk(
    contract: Contract, node: dict[str, Any], base: str, value: Any, path: str
) -> Iterator[tuple[str, Any, dict]]:
    node, base = contract.follow(node, base)
    yield path, value, node
    if isinstance(value, dict) and "object" in _types(node):
        properties = node.get("properties", {})
        entries = node.get("additionalProperties")  # a documented map (``metadata``): its keys are data
        for key, item in value.items():
            if key in properties:
                yield from _walk(contract, properties[key], base, item, f"{path}.{key}" if path else key)
            elif isinstance(entries, dict):
                yield from _walk(contract, entries, base, item, f"{path}.{key}" if path else key)
            else:
                yield f"{path}.{key}" if path else key, item, {"x-undocumented": True}
    elif isinstance(value, list) and "items" in node:
        for item in value:
            yield from _walk(contract, node["items"], base, item, f"{path}[]")


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
