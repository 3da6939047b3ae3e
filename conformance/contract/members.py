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


class _Shape:
    """A schema node with its ``$ref`` followed and what the walk asks of it worked out once: the walk is every drift
    check's and every results line's, so per member it only looks things up."""

    __slots__ = ("entries", "items", "node", "object", "properties")

    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node
        declared = node.get("type")
        self.object = "object" in (declared if isinstance(declared, list) else (declared,))
        self.properties: dict[str, _Shape] = {}
        self.entries: _Shape | None = None  # a documented map (``metadata``): its keys are data
        self.items: _Shape | None = None


def _shape(contract: Contract, node: dict[str, Any], base: str, made: dict[int, _Shape]) -> _Shape:
    node, base = contract.follow(node, base)
    known = made.get(id(node))
    if known is not None:  # met again through another $ref (and a recursive schema ends here)
        return known
    shape = made[id(node)] = _Shape(node)
    if shape.object:
        shape.properties = {key: _shape(contract, sub, base, made) for key, sub in node.get("properties", {}).items()}
        if isinstance(node.get("additionalProperties"), dict):
            shape.entries = _shape(contract, node["additionalProperties"], base, made)
    if "items" in node:
        shape.items = _shape(contract, node["items"], base, made)
    return shape


def _shape_of(contract: Contract, name: str) -> _Shape:
    key = f"members:{name}"
    shape = contract.derived.get(key)
    if shape is None:
        shape = contract.derived[key] = _shape(contract, contract.schema(name), SCHEMA_FILES[name], {})
    return shape


def _walk(shape: _Shape, value: Any, path: str, out: Walked) -> Walked:
    """Appends (path, value, node) of ``value`` and of every member inside it, in order, to ``out``.

    Appending rather than yielding: generators nested as deep as the body cost more than the walk itself."""
    out.append((path, value, shape.node))
    if isinstance(value, dict) and shape.object:
        properties, entries = shape.properties, shape.entries
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            member = properties.get(key, entries)
            if member is not None:
                _walk(member, item, where, out)
            else:
                out.append((where, item, _UNDOCUMENTED))
    elif isinstance(value, list) and shape.items is not None:
        items = shape.items
        where = f"{path}[]"
        for item in value:
            _walk(items, item, where, out)
    return out


def walk(contract: Contract, name: str, value: Any) -> Walked:
    """A response walked beside schema ``name`` once, for several readers (the drift checks share one walk)."""
    return _walk(_shape_of(contract, name), value, "", [])


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
