"""What differs between the vendor's recorded answer and the emulator's answer to the same request.

Compared: the status; then, when both answered the same status, the error code, the content type,
every member path of the JSON body with its JSON type(s), the shape of the values that legitimately
differ (ids, timestamps: compared by shape, never by value) and each check's verdict. A differing
status is reported alone: every other facet follows from it and would only repeat it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.judge.verdicts import CaseResult
from conformance.parity.resend import body_of
from conformance.send.exchange import Exchange
from conformance.vendor import SID_DIGITS

ROOT = "(root)"
KINDS = {
    "status": "the status code differs",
    "error_code": "the error code differs",
    "content_type": "the Content-Type differs",
    "member_missing": "the vendor sends a member the emulator does not",
    "member_extra": "the emulator sends a member the vendor does not",
    "member_type": "a member has another JSON type",
    "value_shape": "an id or a timestamp has another shape",
    "check": "a check judges the two answers differently",
}
TIMESTAMP_KEYS = frozenset({"createdAt", "updatedAt"})
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_PREFIX = re.compile(rf"^(?:[A-Za-z]+_)+|^[A-Z]{{2}}(?=[0-9a-f]{{{SID_DIGITS}}}$)")


@dataclass(frozen=True)
class Difference:
    """One way one answer differs. ``route``, ``kind``, ``subject``, ``vendor`` and ``emulator`` group it."""

    route: str  # "POST /v2/Conversations", "GET /v2/Conversations/{id}"
    kind: str  # a key of KINDS
    subject: str  # what differs: "status", a member path, a check name
    vendor: str  # what the vendor answered there (a status, a type, a shape, a verdict)
    emulator: str  # what the emulator answered there
    case: str
    cassette: str | None = None
    interaction: int | None = None
    detail: str = ""  # for a check: what it said about the answer that failed it

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.route, self.kind, self.subject, self.vendor, self.emulator


def route(method: str, url: str) -> str:
    """``METHOD /path`` with every id segment as ``{id}``: resource names are PascalCase words, ids are not."""
    parts = urlsplit(url).path.split("/")
    templated = [p if not p or re.fullmatch(r"v\d+|[A-Z][A-Za-z]*", p) else "{id}" for p in parts]
    return f"{method.upper()} {'/'.join(templated) or '/'}"


def compare_answers(vendor: Exchange, emulator: Exchange, case: str, fixed: dict[str, str]) -> list[Difference]:
    """Every difference between two answers to one request; ``fixed`` maps recorded values to the emulator's."""
    where = route(vendor.method, vendor.url)

    def differ(kind: str, subject: str, theirs: object, ours: object) -> Difference:
        return Difference(where, kind, subject, str(theirs), str(ours), case, vendor.cassette, vendor.interaction)

    if vendor.status != emulator.status:
        return [differ("status", "status", vendor.status or "no answer", emulator.status or "no answer")]
    found = []
    theirs_type, ours_type = _media(vendor), _media(emulator)
    if theirs_type != ours_type:
        found.append(differ("content_type", "content-type", theirs_type or "absent", ours_type or "absent"))
    theirs, ours = body_of(vendor), body_of(emulator)
    errors = vendor.status is not None and vendor.status >= 400 and isinstance(theirs, dict) and isinstance(ours, dict)
    if errors and theirs.get("code") != ours.get("code"):
        found.append(differ("error_code", "code", theirs.get("code"), ours.get("code")))
    if theirs is None or ours is None:  # a body that does not parse: its content type said so already
        return found
    their_members, our_members = members(theirs), members(ours)
    absent: list[str] = []  # a member missing on one side: its own members would only repeat it
    for path in sorted(their_members.keys() | our_members.keys()):
        if any(path.startswith((f"{parent}.", f"{parent}[]")) for parent in absent):
            continue
        if path not in our_members or path not in their_members:
            absent.append(path)
        if path not in our_members:
            found.append(differ("member_missing", path, _types(their_members[path]), "absent"))
        elif path not in their_members:
            found.append(differ("member_extra", path, "absent", _types(our_members[path])))
        elif their_members[path] != our_members[path]:
            found.append(differ("member_type", path, _types(their_members[path]), _types(our_members[path])))
    their_shapes, our_shapes = shapes(theirs, fixed), shapes(ours, {})
    for path in sorted(their_shapes.keys() & our_shapes.keys()):
        if their_shapes[path] != our_shapes[path]:
            found.append(differ("value_shape", path, _types(their_shapes[path]), _types(our_shapes[path])))
    return found


# Checks that judge the moment of the exchange rather than the answer: a recording is re-sent later (and
# the embedded emulator may run on a synthetic clock), so their verdicts cannot be compared.
CLOCK_CHECKS = frozenset({"timestamp_freshness"})


def compare_verdicts(vendor: CaseResult, emulator: CaseResult, fixed: dict[str, str]) -> list[Difference]:
    """Checks that judge the two answers differently (passed, failed, warned, skipped)."""
    if vendor.exchange is None or emulator.exchange is None or vendor.exchange.status != emulator.exchange.status:
        return []  # the status difference says it; every check downstream of it would repeat it
    where = route(vendor.exchange.method, vendor.exchange.url)
    ours = {result.check: result for result in emulator.checks}
    found = []
    for result in vendor.checks:
        mine = ours.get(result.check)
        if mine is None or mine.outcome == result.outcome or result.check in CLOCK_CHECKS:
            continue
        said = result.message or mine.message
        found.append(Difference(where, "check", result.check, result.outcome, mine.outcome, vendor.case.id,
                                vendor.exchange.cassette, vendor.exchange.interaction, said))  # fmt: skip
    return found


def _media(exchange: Exchange) -> str | None:
    value = exchange.content_type
    return "".join(value.lower().split()) if value else None


def _types(values: frozenset[str]) -> str:
    return " | ".join(sorted(values))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, last key, value) for the body and every member; array items share ``path[]``."""
    yield path or ROOT, path.rpartition(".")[2], value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, f"{path}[]")


def members(body: Any) -> dict[str, frozenset[str]]:
    """Every member path of a JSON body and the JSON type(s) found there."""
    found: dict[str, set[str]] = {}
    for path, _key, value in _walk(body):
        found.setdefault(path, set()).add(json_type(value))
    return {path: frozenset(types) for path, types in found.items()}


def shapes(body: Any, fixed: dict[str, str]) -> dict[str, frozenset[str]]:
    """The shapes of the ids and timestamps in a body, per path (recorded values mapped through ``fixed``)."""
    found: dict[str, set[str]] = {}
    for path, key, value in _walk(body):
        key = key.removesuffix("[]")
        if isinstance(value, str) and (key == "id" or key.endswith("Id") or key in TIMESTAMP_KEYS):
            found.setdefault(path, set()).add(shape(fixed.get(value, value)))
    return {path: frozenset(values) for path, values in found.items()}


def shape(value: str) -> str:
    """What an id or a timestamp looks like, without its value: ``conv_conversation_<26 alnum>``."""
    match = _TIMESTAMP.match(value)
    if match:
        fraction = f".{'f' * (len(match.group(1)) - 1)}" if match.group(1) else ""
        return f"date-time ss{fraction}{'Z' if match.group(2) == 'Z' else '+hh:mm'}"
    prefix = _PREFIX.match(value)
    head = prefix.group(0) if prefix else ""
    rest = value[len(head) :]
    if not rest:
        return head or "empty"
    if re.fullmatch(r"[0-9a-f]+", rest) and len(rest) >= 8:
        kind = "hex"
    elif re.fullmatch(r"[0-9a-z]+", rest):
        kind = "lower alnum"
    elif re.fullmatch(r"[0-9A-Z]+", rest):
        kind = "upper alnum"
    elif re.fullmatch(r"[0-9A-Za-z]+", rest):
        kind = "alnum"
    else:
        kind = "text"
    return f"{head}<{len(rest)} {kind}>"
