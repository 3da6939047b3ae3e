"""Fault injection as data: a registry of named deviations from the contract.

Each fault is one small function registered with :func:`fault`; its docstring is its
one-line description. Kinds:

- ``respond``: answer instead of the emulator (e.g. a 500);
- ``switch``: turn off one rule (auth, validation) for a request that would break it;
- ``transform``: change an otherwise faithful reply (``on`` says which: success or error); one that
  ``sees_request`` also gets what arrived (:class:`Inbound`), to echo it;
- ``delay``: sleep before answering.

:class:`FaultInjector` holds the active faults: each applies to the next ``count`` requests
it actually changes (``None``: until cleared), on route ``create``, ``fetch`` or ``any``.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from conformance.auth_modes import REFUSED
from conformance.emulator.exceptions import EmulatorError, InternalError, NotFound, ServiceUnavailable, TooManyRequests
from conformance.kinds import CredentialForm

ROUTES = ("create", "fetch")
JSON = "application/json"
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(slots=True)
class Reply:
    """A response before it goes on the wire; faults act on this."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
    raw: bytes | None = None  # sent as-is instead of ``body`` when set

    @classmethod
    def error(cls, exc: EmulatorError) -> Reply:
        return cls(exc.status, exc.body(), dict(exc.headers))


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a fault that echoes the request sees of it: the request line and the headers, as they arrived."""

    method: str
    target: str  # path and query
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def text(self) -> str:
        return f"{self.method} {self.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers)


@dataclass(frozen=True)
class Param:
    """A fault parameter: its type and default (``None`` = optional, no default)."""

    type: type
    default: Any = None


Kind = Literal["respond", "switch", "transform", "delay"]


@dataclass(frozen=True)
class Fault:
    """One registered fault."""

    name: str
    doc: str
    kind: Kind
    func: Callable[..., Any]
    params: Mapping[str, Param]
    routes: tuple[str, ...]
    on: Literal["success", "error", "any"]
    sees_request: bool = False  # a transform called with the request too (see Inbound)

    def describe(self) -> dict[str, Any]:
        params = {name: {"type": p.type.__name__, "default": p.default} for name, p in self.params.items()}
        return {"doc": self.doc, "kind": self.kind, "routes": list(self.routes), "params": params}


FAULTS: dict[str, Fault] = {}


def fault(
    kind: Kind,
    *,
    params: Mapping[str, Param] | None = None,
    routes: tuple[str, ...] = ROUTES,
    on: Literal["success", "error", "any"] = "success",
    sees_request: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the fault named after it."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        doc = " ".join((func.__doc__ or "").split())
        FAULTS[func.__name__] = Fault(func.__name__, doc, kind, func, dict(params or {}), routes, on, sees_request)
        return func

    return register


# --- helpers for transforms ------------------------------------------------------------


def _locate(body: Any, path: str) -> tuple[Any, Any] | None:
    """(container, key) of a dotted path such as ``participants.0.conversationId``, or None."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        node = _child(node, part)
        if node is None:
            return None
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def _other_type(value: Any) -> Any:
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


def _altered(value: Any) -> Any:
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


def _edit_at(reply: Reply, path: str, replace: Callable[[Any], Any] | None) -> bool:
    """Replace the value at dotted ``path`` with ``replace(value)``, or delete it (None); False if absent."""
    found = _locate(reply.body, path)
    if found is None:
        return False
    container, key = found
    if replace is None:
        del container[key]
    else:
        container[key] = replace(container[key])
    return True


def _participants(reply: Reply) -> list[Any] | None:
    found = reply.body.get("participants") if isinstance(reply.body, dict) else None
    return found if isinstance(found, list) else None


# --- the faults ------------------------------------------------------------------------


@fault("respond", on="any")
def status_500(p: Mapping[str, Any]) -> Reply:
    """Answer 500 with the vendor error body."""
    return Reply.error(InternalError("Injected fault: internal server error"))


@fault("respond", params={"retry_after": Param(int)}, on="any")
def status_503(p: Mapping[str, Any]) -> Reply:
    """Answer 503 with the vendor error body (and Retry-After when ``retry_after`` is given)."""
    return Reply.error(ServiceUnavailable(p["retry_after"], "Injected fault: service unavailable"))


@fault("respond", params={"retry_after": Param(int, 1)}, on="any")
def rate_limit(p: Mapping[str, Any]) -> Reply:
    """Answer 429 with Retry-After (``retry_after`` seconds) and the vendor error body."""
    return Reply.error(TooManyRequests(p["retry_after"], "Injected fault: too many requests"))


@fault("respond", routes=("fetch",), on="any")
def fetch_not_found(p: Mapping[str, Any]) -> Reply:
    """Answer a fetch with 404 although the conversation exists."""
    return Reply.error(NotFound("Injected fault: the requested resource was not found"))


AUTH_FAILURES = ("any", *REFUSED)  # what ignore_auth may let in: every credentials mode that must get 401
CREDENTIAL_FORMS = ("any", *(str(form) for form in CredentialForm))  # a caller's username form, or any of them


@fault("switch", params={"mode": Param(str, "any"), "form": Param(str, "any")})
def ignore_auth(p: Mapping[str, Any]) -> None:
    """Accept requests whose credentials fail (as the primary account): every failure, or only ``mode``
    (none, malformed, bearer_credentials, wrong_secret, empty_secret, other_form_secret, secret_case,
    secret_suffix, username_case, stranger_real_secret, unknown_user) and only for username ``form``
    (api_key, account)."""


@fault("switch", routes=("create",))
def first_item_only(p: Mapping[str, Any]) -> None:
    """Validate only the first item of every array: a rule broken in a later participant or address gets 201."""


@fault("switch", routes=("create",))
def auth_after_validation(p: Mapping[str, Any]) -> None:
    """Judge the body (400) before the credentials, so an unauthenticated invalid request learns why it is invalid."""


@fault("switch", routes=("create",))
def lenient_enums(p: Mapping[str, Any]) -> None:
    """Accept enum values in another letter case or padded with whitespace (normalised before validation)."""


@fault("switch", params={"direction": Param(str, "refuse_at_limit")}, routes=("create",))
def max_items_off_by_one(p: Mapping[str, Any]) -> None:
    """Get an array limit wrong by one: ``refuse_at_limit`` refuses exactly maxItems, ``accept_past_limit``
    accepts maxItems + 1 (dropping the extra item)."""


@fault("switch", routes=("create",))
def accept_invalid(p: Mapping[str, Any]) -> None:
    """Turn schema validation off: an invalid create body gets 201 (well-typed parts are kept)."""


@fault("delay", params={"ms": Param(int, 200)}, on="any")
def slow(p: Mapping[str, Any]) -> float:
    """Wait ``ms`` milliseconds before answering."""
    return max(0, p["ms"]) / 1000


@fault("transform", params={"status": Param(int, 200)})
def wrong_status(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Send a success with HTTP status ``status`` (e.g. 200 instead of 201)."""
    reply.status = p["status"]
    return True


@fault("transform", params={"field": Param(str, "id")})
def missing_field(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Remove the field at dotted path ``field`` (e.g. ``participants.0.conversationId``)."""
    return _edit_at(reply, p["field"], None)


@fault("transform", params={"field": Param(str, "id")})
def wrong_type(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Replace the value at dotted path ``field`` with a value of another JSON type."""
    return _edit_at(reply, p["field"], _other_type)


@fault("transform", params={"field": Param(str, "name")})
def not_echoed(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Alter the value at dotted path ``field`` so it no longer echoes the request."""
    return _edit_at(reply, p["field"], _altered)


@fault("transform", params={"field": Param(str, "createdAt")})
def bad_timestamp(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Make the timestamp at ``field`` not RFC 3339 (no offset, space separator)."""
    found = _locate(reply.body, p["field"])
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


@fault("transform", on="any")
def wrong_content_type(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Label the response ``text/plain`` (body unchanged)."""
    reply.content_type = "text/plain"
    return True


@fault("transform", on="any")
def invalid_json(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Send a body that is not parseable JSON (cut off mid-object)."""
    reply.raw = b'{"id": "conv_conversation_'
    return True


@fault("transform", params={"field": Param(str, "metadata"), "value": Param(object, {"emulator": "extra"})})
def extra_field(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Add an undocumented field (dotted path ``field``, default ``metadata``) with ``value``."""
    parent, _, name = p["field"].rpartition(".")
    container = reply.body
    for part in parent.split(".") if parent else ():
        container = _child(container, part)
    if not isinstance(container, dict):
        return False
    container[name] = copy.deepcopy(p["value"])
    return True


@fault("transform", params={"field": Param(str, "status"), "value": Param(str, "ARCHIVED")})
def unknown_enum(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Set the enum at ``field`` (default ``status``) to an undocumented value (default ``ARCHIVED``)."""
    found = _locate(reply.body, p["field"])
    if found is None:
        return False
    container, key = found
    container[key] = p["value"]
    return True


@fault("transform", params={"name": Param(str, "X-Emulator-Extra"), "value": Param(str, "1")}, on="any")
def extra_header(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Add an undocumented response header (default ``X-Emulator-Extra: 1``)."""
    reply.headers[p["name"]] = p["value"]
    return True


@fault("transform", params={"account": Param(str, "AC" + "f" * 32)})
def wrong_account(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Report another account (``account``) as the owner of the conversation and its participants."""
    if not isinstance(reply.body, dict) or "accountId" not in reply.body:
        return False
    reply.body["accountId"] = p["account"]
    for participant in _participants(reply) or ():
        if isinstance(participant, dict) and "accountId" in participant:
            participant["accountId"] = p["account"]
    return True


@fault("transform", params={"field": Param(str, "conversationId"), "index": Param(int, 0)})
def participant_mismatch(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Make participant ``index``'s ``field`` (conversationId or accountId) differ from the conversation's."""
    participants = _participants(reply)
    if not participants or not 0 <= p["index"] < len(participants) or p["field"] not in participants[p["index"]]:
        return False
    participant = participants[p["index"]]
    participant[p["field"]] = _altered(participant[p["field"]])
    return True


@fault("transform")
def participants_reordered(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return the participants in reverse order (needs two or more)."""
    participants = _participants(reply)
    if not participants or len(participants) < 2:
        return False
    participants.reverse()
    return True


@fault("transform")
def participants_dropped(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Leave the last participant out of the response."""
    participants = _participants(reply)
    if not participants:
        return False
    participants.pop()
    return True


@fault("transform")
def duplicate_ids(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give every conversation the same id (the first one seen while the fault is on)."""
    if not isinstance(reply.body, dict) or not isinstance(reply.body.get("id"), str):
        return False
    sticky = state.setdefault("id", reply.body["id"])
    reply.body["id"] = sticky
    for participant in _participants(reply) or ():
        if isinstance(participant, dict) and "conversationId" in participant:
            participant["conversationId"] = sticky
    return True


@fault("transform", params={"mode": Param(str, "missing_more_info")}, on="error")
def error_body_wrong(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Break an error body: ``mode`` ``missing_more_info`` drops more_info, ``status_mismatch`` lies in status,
    ``more_info_not_link`` makes more_info plain text."""
    if not isinstance(reply.body, dict):
        return False
    if p["mode"] == "status_mismatch":
        reply.body["status"] = 200 if reply.status != 200 else 500
    elif p["mode"] == "more_info_not_link":
        reply.body["more_info"] = f"see error {reply.body.get('code')}"
    else:
        reply.body.pop("more_info", None)
    return True


@fault("transform", params={"status": Param(int, 401), "code": Param(int, 20001)}, on="error")
def error_code(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give errors of HTTP ``status`` the vendor code ``code`` (and the matching more_info)."""
    if reply.status != p["status"] or not isinstance(reply.body, dict):
        return False
    reply.body["code"] = p["code"]
    reply.body["more_info"] = f"https://www.twilio.com/docs/errors/{p['code']}"
    return True


@fault("transform", params={"status": Param(int, 200)}, routes=("fetch",), on="error")
def fetch_unknown(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer a fetch of an id that does not exist with ``status`` (default 200) and a made-up conversation."""
    if reply.status != 404:
        return False
    reply.status = p["status"]
    reply.body = {"id": "conv_conversation_unknown", "accountId": "AC" + "0" * 32,
                  "configurationId": "conv_configuration_unknown", "status": "ACTIVE"}  # fmt: skip
    return True


_ECHOED_STRINGS = ("name", "profileId", "address", "channelId")
_STRING_MANGLERS: dict[str, Callable[[str, int], str]] = {
    "truncate": lambda text, length: text[:length],
    "strip": lambda text, _length: text.strip(),
    "nfc": lambda text, _length: unicodedata.normalize("NFC", text),
    "drop_astral": lambda text, _length: "".join("\ufffd" if ord(c) > 0xFFFF else c for c in text),
    "nfkc": lambda text, _length: unicodedata.normalize("NFKC", text),
    "drop_controls": lambda text, _length: "".join(c for c in text if unicodedata.category(c) != "Cc"),
}


@fault("transform", params={"mode": Param(str, "truncate"), "length": Param(int, 1000)})
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


@fault("transform", params={"value": Param(str, "2023-07-01T12:00:00Z"), "scope": Param(str, "all")})
def stale_timestamps(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Report createdAt and updatedAt as ``value`` (a well-formed instant long past) for ``scope``
    ``all``, ``conversation`` or ``participants``; order stays valid, only freshness is wrong."""
    if not isinstance(reply.body, dict):
        return False
    targets = [] if p["scope"] == "participants" else [reply.body]
    if p["scope"] != "conversation":
        targets += [x for x in _participants(reply) or () if isinstance(x, dict)]
    for item in targets:
        item["createdAt"] = item["updatedAt"] = p["value"]
    return bool(targets)


_REQUIRED_MEMBERS = {"conversation": ("id", "accountId", "configurationId"),
                     "participant": ("id", "conversationId", "accountId")}  # fmt: skip


@fault("transform")
def omit_optional(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Not a deviation: leave out every member the docs mark optional (conversation and participants), as the
    docs allow. The project's tests use it to prove no check demands an optional member."""
    if not isinstance(reply.body, dict):
        return False
    participants = _participants(reply) or []
    reply.body = {k: v for k, v in reply.body.items() if k in _REQUIRED_MEMBERS["conversation"]}
    if len(participants) > 1:  # kept when there are several, so the one-to-one pairing is still exercised
        reply.body["participants"] = [{k: v for k, v in x.items() if k in _REQUIRED_MEMBERS["participant"]}
                                      for x in participants if isinstance(x, dict)]  # fmt: skip
    return True


@fault("transform", routes=("fetch",))
def fetch_mismatch(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return a different name on fetch than the conversation was created with."""
    if not isinstance(reply.body, dict) or "name" not in reply.body:
        return False
    reply.body["name"] = _altered(reply.body["name"])
    return True


@fault("transform", params={"field": Param(str, "configurationId")}, routes=("create",))
def every_other(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Alter ``field`` (a dotted path) in every other successful create, the first, third, fifth...: a violation
    that comes and goes, for telling intermittent failures from confirmed ones."""
    state["creates"] = state.get("creates", 0) + 1
    return state["creates"] % 2 == 1 and _edit_at(reply, p["field"], _altered)


@fault("transform", params={"suffix": Param(str, "-altered"), "longer_than": Param(int, 0)})
def append_to_names(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Return every participant name longer than ``longer_than`` characters with ``suffix`` appended (a vendor
    that decorates what it stores)."""
    changed = False
    for participant in _participants(reply) or []:
        name = participant.get("name") if isinstance(participant, dict) else None
        if isinstance(name, str) and len(name) > p["longer_than"]:
            participant["name"] = name + p["suffix"]
            changed = True
    return changed


@fault("transform", params={"padding": Param(int, 0)}, on="error", sees_request=True)
def echo_authorization(reply: Reply, p: Mapping[str, Any], state: dict[str, Any], request: Inbound) -> bool:
    """Quote the request's Authorization header in error bodies, as debug messages and some proxies do: in
    ``message`` (after ``padding`` characters of trace id, so a long message can be made), and in ``more_info``
    percent-encoded in the query with its credentials raw in the fragment."""
    header = request.header("authorization")
    if header is None or not isinstance(reply.body, dict):
        return False
    trace = f" trace {'0' * p['padding']}" if p["padding"] else ""
    reply.body["message"] = f"{reply.body.get('message', '')}{trace} (Authorization: {header})"
    if isinstance(reply.body.get("more_info"), str):
        credentials = header.partition(" ")[2]
        reply.body["more_info"] += f"?authorization={urllib.parse.quote(header, safe='')}#{credentials}"
    return True


_REQUEST_ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64": lambda text: base64.b64encode(text.encode("latin-1")).decode(),
    "base64url": lambda text: base64.urlsafe_b64encode(text.encode("latin-1")).decode().rstrip("="),
    "percent": lambda text: urllib.parse.quote(text, safe=""),
    "json": lambda text: json.dumps(text),
}


@fault("transform", params={"name": Param(str, "X-Echo-Request"), "encoding": Param(str, "base64")}, on="any",
       sees_request=True)  # fmt: skip
def echo_request(reply: Reply, p: Mapping[str, Any], state: dict[str, Any], request: Inbound) -> bool:
    """Copy the whole request (its line and every header, credentials included) into response header ``name``,
    encoded as ``encoding``: ``base64``, ``base64url`` (unpadded), ``percent`` or ``json``, as debugging proxies do."""
    reply.headers[p["name"]] = _REQUEST_ENCODINGS[p["encoding"]](request.text())
    return True


# --- detection, second round: ids at their edges, arrays as given, requests isolated, the wire read strictly ---


@fault("switch", params={"mode": Param(str, "normalise")}, routes=("create",))
def loose_references(p: Mapping[str, Any]) -> None:
    """Look configurationId up loosely: ``normalise`` trims whitespace and invisible marks, folds letter case and
    drops combining marks first (a near miss of a real id gets 201); ``crash`` answers 500 for an id that is not
    plain printable ASCII or is longer than 64 characters."""


@fault("switch", params={"mode": Param(str, "reject")}, routes=("fetch",))
def foreign_ids(p: Mapping[str, Any]) -> None:
    """Answer a fetch of an id that is not a conversation's (a participant's, a configuration's) with 400
    (``reject``) or 500 (``crash``) instead of 404."""


@fault("transform", params={"mode": Param(str, "participant_names")})
def null_for_values(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer null where a value was sent: ``participant_names`` nulls every participant's name, ``empty_names``
    turns every empty name (conversation and participants) into null."""
    if not isinstance(reply.body, dict):
        return False
    changed = False
    for item in [reply.body, *(x for x in _participants(reply) or () if isinstance(x, dict))]:
        if item is reply.body and p["mode"] == "participant_names":
            continue
        if isinstance(item.get("name"), str) and (p["mode"] == "participant_names" or item["name"] == ""):
            item["name"] = None
            changed = True
    return changed


@fault("transform", params={"array": Param(str, "intelligenceConfigurationIds")})
def dedupe_arrays(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Keep each item of an array once, as a set would: ``array`` ``intelligenceConfigurationIds``, ``addresses``
    (every participant's) or ``participants`` (those alike in everything but id and timestamps)."""
    if not isinstance(reply.body, dict):
        return False
    holders: list[dict[str, Any]] = []
    if p["array"] == "intelligenceConfigurationIds" and isinstance(reply.body.get("configuration"), dict):
        holders = [reply.body["configuration"]]
    elif p["array"] == "addresses":
        holders = [x for x in _participants(reply) or () if isinstance(x, dict)]
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


_OWN_MEMBERS = ("id", "createdAt", "updatedAt")  # what two created participants never share


@fault("transform")
def sticky_override(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Let an override stick: once a conversation showed another configuration than the first one seen, later
    conversations showing the first one show that override instead (as if it had been written to the store)."""
    configuration = reply.body.get("configuration") if isinstance(reply.body, dict) else None
    if not isinstance(configuration, dict):
        return False
    first = state.setdefault("first", copy.deepcopy(configuration))
    if configuration != first:
        state["last"] = copy.deepcopy(configuration)
        return False
    if "last" not in state:
        return False
    reply.body["configuration"] = copy.deepcopy(state["last"])
    return True


@fault("transform")
def leak_addresses(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give every participant with a profileId the first address any conversation returned (a cache keyed too
    loosely), when it does not carry it already."""
    participants = [x for x in _participants(reply) or () if isinstance(x, dict)]
    if "address" not in state:
        carried = [a for x in participants for a in x.get("addresses") or () if isinstance(a, dict)]
        if not carried:
            return False
        state["address"] = copy.deepcopy(carried[0])
        return False
    changed = False
    for participant in participants:
        addresses = participant.get("addresses")
        if participant.get("profileId") and state["address"] not in (addresses or []):
            participant["addresses"] = [*(addresses or []), copy.deepcopy(state["address"])]
            changed = True
    return changed


@fault("switch", routes=("create",))
def refuse_null(p: Mapping[str, Any]) -> None:
    """Not a deviation the docs decide: refuse (400) a body giving an optional member as explicit null, at any depth,
    where the emulator takes null as absent."""


@fault("switch", routes=("create",))
def any_content_type(p: Mapping[str, Any]) -> None:
    """Not a deviation the docs decide: read a JSON body whatever its Content-Type says (or without one)."""


@fault("transform")
def cached_name(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer a conversation created without a name with the last name any conversation had (a cache that
    outlives its request)."""
    if not isinstance(reply.body, dict):
        return False
    name = reply.body.get("name")
    if isinstance(name, str) and name:
        state["name"] = name
        return False
    if "name" not in state:
        return False
    reply.body["name"] = state["name"]
    return True


_WIRE_DEPARTURES: dict[str, Callable[[bytes], bytes]] = {
    "bom": lambda text: b"\xef\xbb\xbf" + text,
    "nan": lambda text: b'{"score":NaN,' + text[1:],
    "utf16": lambda text: text.decode().encode("utf-16"),
    "repeated_name": lambda text: b'{"id":"conv_conversation_decoy",' + text[1:],
}


@fault("transform", params={"mode": Param(str, "bom")})
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


# --- cross-account isolation: the second account reaching the first's data (the wire layer acts on these) ---


@fault("switch", params={"form": Param(str, "any")}, routes=("fetch",))
def cross_account_read(p: Mapping[str, Any]) -> None:
    """Answer a read of another account's conversation with that conversation, for a caller authenticated with
    credential form ``form`` (api_key, account) or any."""


@fault("switch", routes=("fetch",))
def cross_account_forbidden(p: Mapping[str, Any]) -> None:
    """Answer a read of another account's conversation with 403 (so a caller learns it exists), not 404."""


@fault("switch", routes=("fetch",))
def cross_account_message(p: Mapping[str, Any]) -> None:
    """Answer a read of another account's conversation with 404 and a message that says it exists elsewhere."""


@fault("switch", routes=("create",))
def cross_account_configuration(p: Mapping[str, Any]) -> None:
    """Create with another account's configurationId (the conversation is the caller's) instead of 404."""


@fault("switch")
def foreign_account_id(p: Mapping[str, Any]) -> None:
    """Give the conversations (and participants) of every account but the primary the primary's accountId."""


def with_account_id(body: Any, account_id: str) -> Any:
    """A conversation body whose accountId, and each participant's, is ``account_id`` (``foreign_account_id``)."""
    if isinstance(body, dict):
        body = {**body, "accountId": account_id}
        if isinstance(body.get("participants"), list):
            body["participants"] = [{**item, "accountId": account_id} if isinstance(item, dict) else item
                                    for item in body["participants"]]  # fmt: skip
    return body


# --- what the rule-bending switches do to a request (the wire layer calls these while they are on) ---


def normalise_enums(body: Any) -> Any:
    """Participant types and channels upper-cased and trimmed (what the ``lenient_enums`` fault accepts)."""
    if not isinstance(body, dict) or not isinstance(body.get("participants"), list):
        return body
    for participant in body["participants"]:
        if not isinstance(participant, dict):
            continue
        if isinstance(participant.get("type"), str):
            participant["type"] = participant["type"].strip().upper()
        addresses = participant.get("addresses")
        for address in addresses if isinstance(addresses, list) else []:
            if isinstance(address, dict) and isinstance(address.get("channel"), str):
                address["channel"] = address["channel"].strip().upper()
    return body


def array_sizes(body: Any) -> list[tuple[str, int]]:
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


def trim_arrays(body: Any, limits: dict[str, int]) -> Any:
    """Arrays one past their limit cut back to it (``max_items_off_by_one`` accepting maxItems + 1)."""
    for path, size in array_sizes(body):
        if limits.get(path) is not None and size == limits[path] + 1:
            parent = body if path == "participants" else body["configuration"]
            del parent[path.rpartition(".")[2]][-1]
    return body


def loosely_resolved(body: Any, known: list[str]) -> Any:
    """The body with a configurationId that loosely matches a known one replaced by it (``loose_references``)."""
    wanted = body.get("configurationId") if isinstance(body, dict) else None
    if isinstance(wanted, str):
        match = next((real for real in known if _loose(real) == _loose(wanted)), None)
        if match is not None:
            body["configurationId"] = match
    return body


def _loose(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return kept.strip().casefold()


def odd_reference(body: Any) -> bool:
    """Whether configurationId is one ``loose_references`` ``crash`` trips on: not plain ASCII, or over 64 long."""
    wanted = body.get("configurationId") if isinstance(body, dict) else None
    return isinstance(wanted, str) and (not wanted.isascii() or not wanted.isprintable() or len(wanted) > 64)


# --- the active set --------------------------------------------------------------------


def _one_of(param: str, allowed: tuple[str, ...]) -> Callable[[Mapping[str, Any]], str | None]:
    return lambda p: None if p[param] in allowed else f"{param} must be one of {', '.join(allowed)}"


FAULT_PARAM_CHECKS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "error_body_wrong": _one_of("mode", ("missing_more_info", "status_mismatch", "more_info_not_link")),
    "ignore_auth": lambda p: _one_of("mode", AUTH_FAILURES)(p) or _one_of("form", CREDENTIAL_FORMS)(p),
    "max_items_off_by_one": _one_of("direction", ("refuse_at_limit", "accept_past_limit")),
    "cross_account_read": _one_of("form", CREDENTIAL_FORMS),
    "mangle_strings": _one_of("mode", tuple(_STRING_MANGLERS)),
    "loose_references": _one_of("mode", ("normalise", "crash")),
    "foreign_ids": _one_of("mode", ("reject", "crash")),
    "null_for_values": _one_of("mode", ("participant_names", "empty_names")),
    "wire_departure": _one_of("mode", (*_WIRE_DEPARTURES, "charset")),
    "dedupe_arrays": _one_of("array", ("intelligenceConfigurationIds", "addresses", "participants")),
    "echo_request": _one_of("encoding", tuple(_REQUEST_ENCODINGS)),
    "stale_timestamps": _one_of("scope", ("all", "conversation", "participants")),
    "participant_mismatch": lambda p: None if p["field"] in ("conversationId", "accountId") else
    "field must be conversationId or accountId",
    "wrong_status": lambda p: None if 100 <= p["status"] <= 599 else "status must be an HTTP status (100-599)",
}  # fmt: skip


def _is_a(value: Any, expected: type) -> bool:
    if expected is object:
        return True
    if isinstance(value, bool) and expected is not bool:
        return False  # JSON true is not the integer 1
    return isinstance(value, expected)


class FaultError(ValueError):
    """A fault request that cannot be honoured (unknown name, bad parameter)."""


@dataclass
class ActiveFault:
    """A fault switched on, with what is left of its count."""

    id: int
    fault: Fault
    routes: tuple[str, ...]
    params: dict[str, Any]
    count: int | None
    remaining: int | None
    hits: int = 0
    state: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        route = "any" if len(self.routes) > 1 else self.routes[0]
        return {"id": self.id, "fault": self.fault.name, "route": route, "params": self.params,
                "count": self.count, "remaining": self.remaining, "hits": self.hits}  # fmt: skip


class FaultInjector:
    """The faults currently switched on. Thread-safe; cheap to test for emptiness."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[ActiveFault] = []
        self._next_id = 1

    def __bool__(self) -> bool:
        return bool(self._active)

    def inject(self, name: str, /, count: int | None = None, route: str = "any", **params: Any) -> ActiveFault:
        """Switch fault ``name`` on for the next ``count`` requests it changes (None: until cleared)."""
        spec = FAULTS.get(name)
        if spec is None:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise FaultError("count must be a positive integer (or absent: until cleared)")
        if route not in ("any", *ROUTES):
            raise FaultError("route must be create, fetch or any")
        routes = spec.routes if route == "any" else (route,)
        if not set(routes) <= set(spec.routes):
            raise FaultError(f"fault {name} applies to route(s) {', '.join(spec.routes)} only")
        unknown = sorted(set(params) - set(spec.params))
        if unknown:
            raise FaultError(
                f"fault {name} has no parameter(s) {', '.join(unknown)}; known: {', '.join(spec.params) or 'none'}"
            )
        values = {key: params.get(key, param.default) for key, param in spec.params.items()}
        for key, value in values.items():
            expected = spec.params[key].type
            if value is not None and not _is_a(value, expected):
                raise FaultError(f"fault {name}: parameter {key} must be {expected.__name__}")
        problem = FAULT_PARAM_CHECKS.get(name, lambda _: None)(values)
        if problem:
            raise FaultError(f"fault {name}: {problem}")
        with self._lock:
            active = ActiveFault(self._next_id, spec, routes, values, count, count)
            self._next_id += 1
            self._active.append(active)
        return active

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._active)
            self._active.clear()
            return cleared

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.to_json() for a in self._active]

    def _matching(self, kind: Kind, route: str) -> list[ActiveFault]:
        with self._lock:
            return [a for a in self._active if a.fault.kind == kind and route in a.routes]

    def _consume(self, active: ActiveFault) -> None:
        with self._lock:
            active.hits += 1
            if active.remaining is not None:
                active.remaining -= 1
                if active.remaining <= 0 and active in self._active:
                    self._active.remove(active)

    def delay(self, route: str) -> float:
        """Seconds to wait before answering (sum of active ``delay`` faults)."""
        total = 0.0
        for active in self._matching("delay", route):
            total += active.fault.func(active.params)
            self._consume(active)
        return total

    def respond(self, route: str) -> Reply | None:
        """A reply that replaces the emulator's, from the first active ``respond`` fault."""
        for active in self._matching("respond", route):
            self._consume(active)
            return active.fault.func(active.params)
        return None

    def switched(self, name: str, route: str, when: Callable[[Mapping[str, Any]], bool] | None = None) -> bool:
        """Whether switch fault ``name`` is on for this request (using one of its count); ``when`` tells
        from the fault's parameters whether it applies to this request."""
        for active in self._matching("switch", route):
            if active.fault.name == name and (when is None or when(active.params)):
                self._consume(active)
                return True
        return False

    def transform(self, route: str, reply: Reply, request: Inbound | None = None) -> Reply:
        """Apply every active ``transform`` fault that fits this reply, in the order injected."""
        copied = False
        for active in self._matching("transform", route):
            on = active.fault.on
            if (on == "success" and reply.status >= 400) or (on == "error" and reply.status < 400):
                continue
            if active.fault.sees_request and request is None:
                continue
            if not copied:
                reply = Reply(
                    reply.status, copy.deepcopy(reply.body), dict(reply.headers), reply.content_type, reply.raw
                )
                copied = True
            extra = (request,) if active.fault.sees_request else ()
            if active.fault.func(reply, active.params, active.state, *extra):
                self._consume(active)
        return reply
