"""The request's surface, walked from ``schemas/``: every member at every depth, and how to reach it.

One walk feeds every family of generated cases (wrong types, dropped required members, enum
near misses, both sides of every ``maxItems``, string edges), so a constraint added to the
schemas is exercised without an edit here. Locations read like ``participants[].addresses[].channel``;
``[]`` steps into an array's items.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.contract.schemas import SCHEMA_FILES, Contract

REMOVE = object()  # placed at a location: the member is dropped rather than set


@dataclass(frozen=True)
class Site:
    """One place in the request body the schemas say something about."""

    location: str  # "" for the body itself
    node: dict[str, Any]  # the subschema, $ref followed
    required: bool  # a required member, or an array item (an item cannot be absent)

    @property
    def json_type(self) -> str | None:
        kind = self.node.get("type")
        return kind if isinstance(kind, str) else None

    @property
    def references(self) -> str | None:
        """What existing thing the member names (``x-references``: ``configuration``), or None."""
        return self.node.get("x-references")

    @property
    def is_free_string(self) -> bool:
        """A string the schemas leave free (no enum, no pattern, naming nothing): any text is valid and kept."""
        return (self.json_type == "string" and "enum" not in self.node and "pattern" not in self.node
                and self.references is None)  # fmt: skip


def request_sites(contract: Contract) -> tuple[Site, ...]:
    """Every site of the create request, parents before children (walked once per contract: placing a value
    looks its site up, and the drawing child places one per case)."""
    sites = contract.derived.get("request_sites")
    if sites is None:
        sites = contract.derived["request_sites"] = tuple(
            _walk(contract, contract.schema("request"), SCHEMA_FILES["request"], "", True)
        )
    return sites


def _walk(contract: Contract, node: dict[str, Any], base: str, location: str, required: bool) -> Iterator[Site]:
    node, base = contract.follow(node, base)
    yield Site(location, node, required)
    if node.get("type") == "object":
        needed = set(node.get("required", []))
        for name, sub in node.get("properties", {}).items():
            yield from _walk(contract, sub, base, join(location, name), name in needed)
    elif node.get("type") == "array" and "items" in node:
        yield from _walk(contract, node["items"], base, f"{location}[]", True)


def join(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name


def minimal(contract: Contract, node: dict[str, Any]) -> Any:
    """The smallest value valid against ``node``: required members only, first enum member, empty arrays."""
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        if "x-address-forms" in node:  # an address: the channel's own form, as the docs describe it
            channel = contract.enum("address", "channel")[0]
            return {"channel": channel, "address": node["x-address-forms"][channel]["example"]}
        value = {}
        for name in node.get("required", []):
            sub, _ = contract.follow(node["properties"][name], SCHEMA_FILES["request"])
            value[name] = minimal(contract, sub)
        return value
    if kind == "array":
        return []
    if kind == "string":
        return (node.get("examples") or ["x"])[0]
    return {"boolean": False, "integer": 0, "number": 0}.get(kind)  # type: ignore[arg-type]


def place(contract: Contract, body: dict[str, Any], location: str, value: Any, item: int = 0) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at ``location`` (missing containers made minimal and valid).

    At each item step (``participants[]``, ``participants[].name`` inside it) item number ``item`` is
    used, the array padded with minimal valid items up to it; so a rule broken at ``item`` 2 sits after
    two valid siblings (an API that checks only the first item lets it through). ``value`` at an item
    location replaces that item. ``REMOVE`` drops the member instead.
    """
    result = copy.deepcopy(body)
    parts = location.split(".")
    container: Any = result
    walked = ""
    for part in parts[:-1]:
        walked = join(walked, part)
        container = _step(contract, container, part, walked, item)
    last = parts[-1]
    if last.endswith("[]"):
        name = last[:-2]
        array = container.get(name)
        if not isinstance(array, list):
            array = container[name] = []
        padding = minimal(contract, site_node(contract, join(walked, last)))
        del array[item:]
        array.extend(copy.deepcopy(padding) for _ in range(item - len(array)))
        if value is not REMOVE:
            array.append(value)
    elif value is REMOVE:
        container.pop(last, None)
    else:
        container[last] = value
    return result


def _step(contract: Contract, container: dict[str, Any], part: str, walked: str, item: int) -> Any:
    if not part.endswith("[]"):
        if not isinstance(container.get(part), dict):
            container[part] = {}
        return container[part]
    name = part[:-2]
    items = container.get(name)
    if not isinstance(items, list):
        items = container[name] = []
    padding = minimal(contract, site_node(contract, walked))
    while len(items) <= item:
        items.append(copy.deepcopy(padding))
    if not isinstance(items[item], dict):
        items[item] = copy.deepcopy(padding)
    return items[item]


def site_node(contract: Contract, location: str) -> dict[str, Any]:
    """The subschema at ``location``."""
    nodes = contract.derived.get("site_nodes")
    if nodes is None:
        nodes = contract.derived["site_nodes"] = {site.location: site.node for site in request_sites(contract)}
    return nodes[location]
