"""Faults of the response's shape: a status, a member or a type other than the docs say."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from conformance.emulator.faults.editing import child, edit_at, locate, other_type, participants_of
from conformance.emulator.faults.registry import Param, Reply, fault, http_status, one_of

TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
_REQUIRED_MEMBERS = {"conversation": ("id", "accountId", "configurationId"),
                     "participant": ("id", "conversationId", "accountId")}  # fmt: skip


@fault(
    "transform",
    params={"status": Param(int, 200)},
    check=http_status("status"),
)
def wrong_status(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Send a success with HTTP status ``status`` (e.g. 200 instead of 201)."""
    reply.status = p["status"]
    return True


@fault("transform", params={"field": Param(str, "id")})
def missing_field(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Remove the field at dotted path ``field`` (e.g. ``participants.0.conversationId``)."""
    return edit_at(reply, p["field"], None)


@fault("transform", params={"field": Param(str, "id")})
def wrong_type(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Replace the value at dotted path ``field`` with a value of another JSON type."""
    return edit_at(reply, p["field"], other_type)


@fault("transform", params={"field": Param(str, "createdAt")})
def bad_timestamp(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Make the timestamp at ``field`` not RFC 3339 (no offset, space separator)."""
    found = locate(reply.body, p["field"])
    if found is None or not isinstance(found[0][found[1]], str):
        return False
    container, key = found
    container[key] = container[key].rstrip("Z").replace("T", " ")
    return True


@fault("transform")
def updated_before_created(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Set updatedAt one hour before createdAt."""
    created = reply.body.get("createdAt") if isinstance(reply.body, dict) else None
    try:
        instant = datetime.strptime(created, TIMESTAMP) if isinstance(created, str) else None
    except ValueError:
        instant = None
    if instant is None:
        return False
    reply.body["updatedAt"] = (instant - timedelta(hours=1)).strftime(TIMESTAMP)
    return True


@fault(
    "transform", params={"field": Param(str, "metadata"), "value": Param(object, {"emulator": "extra"}, nullable=True)}
)
def extra_field(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Add an undocumented field (dotted path ``field``, default ``metadata``) with ``value``."""
    parent, _, name = p["field"].rpartition(".")
    container = reply.body
    for part in parent.split(".") if parent else ():
        container = child(container, part)
    if not isinstance(container, dict):
        return False
    container[name] = copy.deepcopy(p["value"])
    return True


@fault("transform", params={"field": Param(str, "status"), "value": Param(str, "ARCHIVED")})
def unknown_enum(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Set the enum at ``field`` (default ``status``) to an undocumented value (default ``ARCHIVED``)."""
    found = locate(reply.body, p["field"])
    if found is None:
        return False
    container, key = found
    container[key] = p["value"]
    return True


@fault(
    "transform",
    params={"value": Param(str, "2023-07-01T12:00:00Z"), "scope": Param(str, "all")},
    check=one_of("scope", ("all", "conversation", "participants")),
)
def stale_timestamps(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Report createdAt and updatedAt as ``value`` (a well-formed instant long past) for ``scope``
    ``all``, ``conversation`` or ``participants``; order stays valid, only freshness is wrong."""
    if not isinstance(reply.body, dict):
        return False
    targets = [] if p["scope"] == "participants" else [reply.body]
    if p["scope"] != "conversation":
        targets += [x for x in participants_of(reply) or () if isinstance(x, dict)]
    for item in targets:
        item["createdAt"] = item["updatedAt"] = p["value"]
    return bool(targets)


@fault("transform")
def omit_optional(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Not a deviation: leave out every member the docs mark optional (conversation and participants), as the
    docs allow. The project's tests use it to prove no check demands an optional member."""
    if not isinstance(reply.body, dict):
        return False
    participants = participants_of(reply) or []
    reply.body = {k: v for k, v in reply.body.items() if k in _REQUIRED_MEMBERS["conversation"]}
    if len(participants) > 1:  # kept when there are several, so the one-to-one pairing is still exercised
        reply.body["participants"] = [{k: v for k, v in x.items() if k in _REQUIRED_MEMBERS["participant"]}
                                      for x in participants if isinstance(x, dict)]  # fmt: skip
    return True


@fault(
    "transform",
    params={"mode": Param(str, "participant_names")},
    check=one_of("mode", ("participant_names", "empty_names")),
)
def null_for_values(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer null where a value was sent: ``participant_names`` nulls every participant's name, ``empty_names``
    turns every empty name (conversation and participants) into null."""
    if not isinstance(reply.body, dict):
        return False
    changed = False
    for item in [reply.body, *(x for x in participants_of(reply) or () if isinstance(x, dict))]:
        if item is reply.body and p["mode"] == "participant_names":
            continue
        if isinstance(item.get("name"), str) and (p["mode"] == "participant_names" or item["name"] == ""):
            item["name"] = None
            changed = True
    return changed
