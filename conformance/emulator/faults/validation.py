"""Faults of validation: the request's rules bent (more, or less, than the contract allows).

Hooks of one stage run in the order defined here: the ``request`` hooks see the body as the ones above them left it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from conformance.emulator.exceptions import InternalError, InvalidParameter
from conformance.emulator.faults.registry import Param, Stage, fault, one_of
from conformance.emulator.rules import strip_nulls

if TYPE_CHECKING:
    from conformance.emulator.models import Backend

# --- when the contract refuses the body ---


@fault("switch", routes=("create",), stage=Stage.INVALID)
def first_item_only(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Validate only the first item of every array: a rule broken in a later participant or address gets 201."""

    def first_only(value: Any) -> Any:
        if isinstance(value, list):
            return [first_only(item) for item in value[:1]]
        if isinstance(value, dict):
            return {key: first_only(item) for key, item in value.items()}
        return value

    try:
        backend.validate(first_only(body))
    except InvalidParameter:
        return False
    return True


@fault("switch", routes=("create",), stage=Stage.INVALID)
def accept_invalid(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Turn schema validation off: an invalid create body gets 201 (well-typed parts are kept)."""
    return True


# --- on the parsed body, before it is judged ---


@fault("switch", routes=("create",), stage=Stage.REQUEST)
def lenient_enums(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Accept enum values in another letter case or padded with whitespace (normalised before validation)."""
    if isinstance(body, dict) and isinstance(body.get("participants"), list):
        for participant in body["participants"]:
            if not isinstance(participant, dict):
                continue
            if isinstance(participant.get("type"), str):
                participant["type"] = participant["type"].strip().upper()
            addresses = participant.get("addresses")
            for address in addresses if isinstance(addresses, list) else []:
                if isinstance(address, dict) and isinstance(address.get("channel"), str):
                    address["channel"] = address["channel"].strip().upper()
    return True


@fault("switch", routes=("create",), stage=Stage.REQUEST)
def refuse_null(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Not a deviation the docs decide: refuse (400) a body giving an optional member as explicit null, at any depth,
    where the emulator takes null as absent."""
    if strip_nulls(body) != body:
        raise InvalidParameter("Invalid parameter: null is not a value for an optional member")
    return False


@fault("switch", params={"mode": Param(str, "normalise")}, routes=("create",), stage=Stage.REQUEST,
       check=one_of("mode", ("normalise", "crash")))  # fmt: skip
def loose_references(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Look configurationId up loosely: ``normalise`` trims whitespace and invisible marks, folds letter case and
    drops combining marks first (a near miss of a real id gets 201); ``crash`` answers 500 for an id that is not
    plain printable ASCII or is longer than 64 characters."""
    wanted = body.get("configurationId") if isinstance(body, dict) else None
    if p["mode"] == "crash":
        if isinstance(wanted, str) and (not wanted.isascii() or not wanted.isprintable() or len(wanted) > 64):
            raise InternalError()
        return False
    if isinstance(wanted, str):
        match = next((c.id for c in backend.configurations() if _loose(c.id) == _loose(wanted)), None)
        if match is not None:
            body["configurationId"] = match
    return True


def _loose(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return kept.strip().casefold()


@fault("switch", params={"direction": Param(str, "refuse_at_limit")}, routes=("create",), stage=Stage.REQUEST,
       check=one_of("direction", ("refuse_at_limit", "accept_past_limit")))  # fmt: skip
def max_items_off_by_one(p: Mapping[str, Any], backend: Backend, body: Any) -> bool:
    """Get an array limit wrong by one: ``refuse_at_limit`` refuses exactly maxItems, ``accept_past_limit``
    accepts maxItems + 1 (dropping the extra item)."""
    limits = backend.array_limits()
    for path, size in _array_sizes(body):
        if p["direction"] == "refuse_at_limit" and limits.get(path) == size:
            raise InvalidParameter(f"Invalid parameter {path}: at most {size - 1} items")
        if p["direction"] == "accept_past_limit" and limits.get(path) is not None and size == limits[path] + 1:
            parent = body if path == "participants" else body["configuration"]
            del parent[path.rpartition(".")[2]][-1]
    return True


def _array_sizes(body: Any) -> list[tuple[str, int]]:
    """(path, length) of the arrays a create body can bound: participants and the intelligence ids."""
    if not isinstance(body, dict):
        return []
    sizes = []
    if isinstance(body.get("participants"), list):
        sizes.append(("participants", len(body["participants"])))
    configuration = body.get("configuration")
    if isinstance(configuration, dict) and isinstance(configuration.get("intelligenceConfigurationIds"), list):
        sizes.append(("configuration.intelligenceConfigurationIds", len(configuration["intelligenceConfigurationIds"])))
    return sizes
