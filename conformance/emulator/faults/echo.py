"""Faults of echo: what the request sent comes back changed, reordered, deduplicated or dropped."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from conformance.emulator.faults.editing import altered, edit_at, participants_of
from conformance.emulator.faults.registry import Param, Reply, fault, one_of

_ECHOED_STRINGS = ("name", "profileId", "address", "channelId")
_STRING_MANGLERS: dict[str, Callable[[str, int], str]] = {
    "truncate": lambda text, length: text[:length],
    "strip": lambda text, _length: text.strip(),
    "nfc": lambda text, _length: unicodedata.normalize("NFC", text),
    "drop_astral": lambda text, _length: "".join("\ufffd" if ord(c) > 0xFFFF else c for c in text),
    "nfkc": lambda text, _length: unicodedata.normalize("NFKC", text),
    "drop_controls": lambda text, _length: "".join(c for c in text if unicodedata.category(c) != "Cc"),
}
_OWN_MEMBERS = ("id", "createdAt", "updatedAt")  # what two created participants never share


@fault("transform", params={"field": Param(str, "name")})
def not_echoed(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Alter the value at dotted path ``field`` so it no longer echoes the request."""
    return edit_at(reply, p["field"], altered)


@fault("transform")
def participants_reordered(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return the participants in reverse order (needs two or more)."""
    participants = participants_of(reply)
    if not participants or len(participants) < 2:
        return False
    participants.reverse()
    return True


@fault("transform")
def participants_dropped(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Leave the last participant out of the response."""
    participants = participants_of(reply)
    if not participants:
        return False
    participants.pop()
    return True


@fault(
    "transform",
    params={"mode": Param(str, "truncate"), "length": Param(int, 1000, minimum=0)},
    check=one_of("mode", tuple(_STRING_MANGLERS)),
)
def mangle_strings(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Store echoed strings (names, profile ids, addresses, channel ids, intelligence ids) changed: ``mode``
    ``truncate`` (to ``length`` characters), ``strip`` (whitespace), ``nfc`` (Unicode normalisation), ``drop_astral``
    (characters beyond the BMP become U+FFFD), ``nfkc`` (compatibility forms folded) or ``drop_controls`` (control
    characters removed)."""
    mangle = _STRING_MANGLERS[p["mode"]]
    changed = False

    def visit(node: Any) -> None:
        nonlocal changed
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if (isinstance(value, str) and key in _ECHOED_STRINGS) or key == "intelligenceConfigurationIds":
                    new = ([mangle(v, p["length"]) if isinstance(v, str) else v for v in value]
                           if isinstance(value, list) else mangle(value, p["length"]))  # fmt: skip
                    changed = changed or new != value
                    node[key] = new
                else:
                    visit(value)

    visit(reply.body)
    return changed


@fault("transform", routes=("fetch",))
def fetch_mismatch(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return a different name on fetch than the conversation was created with."""
    if not isinstance(reply.body, dict) or "name" not in reply.body:
        return False
    reply.body["name"] = altered(reply.body["name"])
    return True


@fault("transform", params={"field": Param(str, "configurationId")}, routes=("create",))
def every_other(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Alter ``field`` (a dotted path) in every other successful create, the first, third, fifth...: a violation
    that comes and goes, for telling intermittent failures from confirmed ones."""
    state["creates"] = state.get("creates", 0) + 1
    return state["creates"] % 2 == 1 and edit_at(reply, p["field"], altered)


@fault("transform", params={"suffix": Param(str, "-altered"), "longer_than": Param(int, 0)})
def append_to_names(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return every participant name longer than ``longer_than`` characters with ``suffix`` appended (a vendor
    that decorates what it stores)."""
    changed = False
    for participant in participants_of(reply) or []:
        name = participant.get("name") if isinstance(participant, dict) else None
        if isinstance(name, str) and len(name) > p["longer_than"]:
            participant["name"] = name + p["suffix"]
            changed = True
    return changed


@fault(
    "transform",
    params={"array": Param(str, "intelligenceConfigurationIds")},
    check=one_of("array", ("intelligenceConfigurationIds", "addresses", "participants")),
)
def dedupe_arrays(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Keep each item of an array once, as a set would: ``array`` ``intelligenceConfigurationIds``, ``addresses``
    (every participant's) or ``participants`` (those alike in everything but id and timestamps)."""
    if not isinstance(reply.body, dict):
        return False
    holders: list[dict[str, Any]] = []
    if p["array"] == "intelligenceConfigurationIds" and isinstance(reply.body.get("configuration"), dict):
        holders = [reply.body["configuration"]]
    elif p["array"] == "addresses":
        holders = [x for x in participants_of(reply) or () if isinstance(x, dict)]
    elif p["array"] == "participants":
        holders = [reply.body]
    changed = False
    for holder in holders:
        items = holder.get(p["array"])
        if not isinstance(items, list):
            continue
        kept: list[Any] = []
        seen: list[Any] = []
        for item in items:
            alike = {k: v for k, v in item.items() if k not in _OWN_MEMBERS} if isinstance(item, dict) else item
            if alike not in seen:
                seen.append(alike)
                kept.append(item)
        changed = changed or len(kept) != len(items)
        holder[p["array"]] = kept
    return changed
