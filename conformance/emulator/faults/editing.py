"""Small edits of a reply's body that many faults share: a value found by dotted path, changed or removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.emulator.faults.registry import Reply


def locate(body: Any, path: str) -> tuple[Any, Any] | None:
    """(container, key) of a dotted path such as ``participants.0.conversationId``, or None."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        node = child(node, part)
        if node is None:
            return None
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None


def child(node: Any, part: str) -> Any:
    """The member or item ``part`` of ``node`` (a name, or an index as digits), or None."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def other_type(value: Any) -> Any:
    """A value of a different JSON type than ``value``."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, str):
        return 12345
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return {"items": value}
    if isinstance(value, dict):
        return [value]
    return 0  # null


def altered(value: Any) -> Any:
    """A value of the same JSON type that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value + "-altered"
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, list):
        return [*value, value[-1]] if value else ["altered"]
    if isinstance(value, dict):
        return {**value, "altered": True}
    return "altered"  # null


def edit_at(reply: Reply, path: str, replace: Callable[[Any], Any] | None) -> bool:
    """Replace the value at dotted ``path`` with ``replace(value)``, or delete it (None); False if absent."""
    found = locate(reply.body, path)
    if found is None:
        return False
    container, key = found
    if replace is None:
        del container[key]
    else:
        container[key] = replace(container[key])
    return True


def participants_of(reply: Reply) -> list[Any] | None:
    """The reply's participants array, or None when it has none."""
    found = reply.body.get("participants") if isinstance(reply.body, dict) else None
    return found if isinstance(found, list) else None
