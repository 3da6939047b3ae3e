"""A response walked beside the contract: every member path it has, the ones the docs do not name, and the
enum values they do not list.

Schemas only (no validation library, nothing of the checks), so the report commands can read field paths
out of cassettes; the drift checks use the same walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.contract.schemas import SCHEMA_FILES, Contract

Walked = list[tuple[str, Any, dict]]  # (path, value, the schema node that describes it) of every member, in order
_UNDOCUMENTED: dict[str, Any] = {"x-undocumented": True}  # the node of a member the schema does not name (read only)


def _walk(contract: Contract, node: dict[str, Any], base: str, value: Any, path: str, out: Walked) -> Walked:
    """Appends (path, value, node) of ``value`` and of every member inside it, in order, to ``out``.

    Appending rather than yielding: generators nested as deep as the body cost more than the walk itself."""
    node, base = contract.follow(node, base)
    out.append((path, value, node))
    if isinstance(value, dict) and "object" in _types(node):
        properties = node.get("properties", {})
        entries = node.get("additionalProperties")  # a documented map (``metadata``): its keys are data
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in properties:
                _walk(contract, properties[key], base, item, where, out)
            elif isinstance(entries, dict):
                _walk(contract, entries, base, item, where, out)
            else:
                out.append((where, item, _UNDOCUMENTED))
    elif isinstance(value, list) and "items" in node:
        for item in value:
            _walk(contract, node["items"], base, item, f"{path}[]", out)
    return out


def walk(contract: Contract, name: str, value: Any) -> Walked:
    """A response walked beside schema ``name`` once, for several readers (the drift checks share one walk)."""
    return _walk(contract, contract.schema(name), SCHEMA_FILES[name], value, "", [])


def undocumented_in(walked: Walked) -> Iterator[str]:
    for path, _value, node in walked:
        if node.get("x-undocumented"):
            yield path


def enum_drift_in(walked: Walked) -> Iterator[str]:
    for path, item, node in walked:
        if "enum" in node and isinstance(item, str) and item not in node["enum"]:
            yield f"{path}={item}"


def walk_undocumented(contract: Contract, name: str, value: Any) -> Iterator[str]:
    return undocumented_in(walk(contract, name, value))


def walk_enum_drift(contract: Contract, name: str, value: Any) -> Iterator[str]:
    return enum_drift_in(walk(contract, name, value))


def field_paths(contract: Contract, name: str, value: Any) -> Iterator[str]:
    """Every field path present in a response, documented or not (for run-to-run comparison)."""
    for path, _value, _node in walk(contract, name, value):
        if path:
            yield path


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    declared = node.get("type")
    return tuple(declared) if isinstance(declared, list) else (declared,)
