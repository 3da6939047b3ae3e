"""Faults of the wire: the body's bytes, its media type and the headers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from conformance.emulator.faults.registry import JSON, Param, Reply, Stage, fault, header_field, one_of
from conformance.vendor import CONVERSATION_ID_PREFIX

_CUT_OFF = f'{{"id": "{CONVERSATION_ID_PREFIX}'.encode()  # a body that stops mid-string
_DECOY = f'{{"id":"{CONVERSATION_ID_PREFIX}decoy",'.encode()  # an id member before the real one
_WIRE_DEPARTURES: dict[str, Callable[[bytes], bytes]] = {
    "bom": lambda text: b"\xef\xbb\xbf" + text,
    "nan": lambda text: b'{"score":NaN,' + text[1:],
    "utf16": lambda text: text.decode().encode("utf-16"),
    "repeated_name": lambda text: _DECOY + text[1:],
}


@fault("transform", on="any")
def wrong_content_type(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Label the response ``text/plain`` (body unchanged)."""
    reply.content_type = "text/plain"
    return True


@fault("transform", on="any")
def invalid_json(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Send a body that is not parseable JSON (cut off mid-object)."""
    reply.raw = _CUT_OFF
    return True


@fault("transform", params={"name": Param(str, "X-Emulator-Extra"), "value": Param(str, "1")}, on="any",
       check=header_field("name", "value"))  # fmt: skip
def extra_header(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Add an undocumented response header (default ``X-Emulator-Extra: 1``)."""
    reply.headers[p["name"]] = p["value"]
    return True


@fault("transform", params={"mode": Param(str, "bom")}, check=one_of("mode", (*_WIRE_DEPARTURES, "charset")))
def wire_departure(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Write a success body that Python reads but RFC 8259 does not allow: ``mode`` ``bom`` (a byte-order mark
    first), ``nan`` (a NaN member), ``utf16`` (UTF-16), ``repeated_name`` (a decoy id before the real one), or
    ``charset`` (labelled ``charset=iso-8859-1``)."""
    if not isinstance(reply.body, dict) or not reply.body:
        return False
    if p["mode"] == "charset":
        reply.content_type = f"{JSON}; charset=iso-8859-1"
        return True
    text = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
    reply.raw = _WIRE_DEPARTURES[p["mode"]](text)
    return True


@fault("switch", routes=("create",), stage=Stage.CONTENT_TYPE)
def any_content_type(p: Mapping[str, Any]) -> bool:
    """Not a deviation the docs decide: read a JSON body whatever its Content-Type says (or without one)."""
    return True
