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
    """A schema node with its ``$ref`` followed, and the shapes of its members and items once a response has reached
    them: the walk is every drift check's and every results line's, so per member it only looks things up. Built
    as responses reach it, so a part of the schema the walk cannot follow fails only where a response goes."""

    __slots__ = ("_base", "_contract", "_entries", "_items", "_members", "is_object", "node")

    def __init__(self, contract: Contract, node: dict[str, Any], base: str) -> None:
        self.node, self._contract, self._base = node, contract, base
        declared = node.get("type")
        self.is_object = "object" in (declared if isinstance(declared, list) else (declared,))
        self._members: dict[str, _Shape] = {}
        self._entries: _Shape | None = None
        self._items: _Shape | None = None

    def member(self, key: str) -> _Shape | None:
        """The shape of member ``key``; for a documented map (``metadata``) its entries'; None when undocumented."""
        shape = self._members.get(key)
        if shape is not None:
            return shape
        properties = self.node.get("properties", {})
        if key in properties:
            shape = self._members[key] = _shape(self._contract, properties[key], self._base)
            return shape
        entries = self.node.get("additionalProperties")  # a documented map: its keys are data, not remembered
        if not isinstance(entries, dict):
            return None
        if self._entries is None:
            self._entries = _shape(self._contract, entries, self._base)
        return self._entries

    def items(self) -> _Shape | None:
        if self._items is None and "items" in self.node:
            self._items = _shape(self._contract, self.node["items"], self._base)
        return self._items


def _shape(contract: Contract, node: dict[str, Any], base: str) -> _Shape:
    node, base = contract.follow(node, base)
    return _Shape(contract, node, base)


def _shape_of(contract: Contract, name: str) -> _Shape:
    key = f"members:{name}"
    shape = contract.derived.get(key)
    if shape is None:
        shape = contract.derived[key] = _shape(contract, contract.schema(name), SCHEMA_FILES[name])
    return shape


def _walk(shape: _Shape, value: Any, path: str, out: Walked) -> Walked:
    """Appends (path, value, node) of ``value`` and of every member inside it, in order, to ``out``.

    Appending rather than yielding: generators nested as deep as the body cost more than the walk itself."""
    out.append((path, value, shape.node))
    if isinstance(value, dict) and shape.is_object:
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            member = shape.member(key)
            if member is not None:
                _walk(member, item, where, out)
            else:
                out.append((where, item, _UNDOCUMENTED))
    elif isinstance(value, list) and value and "items" in shape.node:  # an empty list reaches no items
        items = shape.items()
        where = f"{path}[]"
        for item in value:
            _walk(items, item, where, out)  # type: ignore[arg-type]  # "items" in the node: never None
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
