"""JSON text read twice over: leniently, so every check has a value to judge, and as RFC 8259 reads it.

Python's reader takes what other clients refuse: a byte-order mark, ``NaN`` and ``Infinity``, UTF-16 and
UTF-32, a member name given twice (the last one wins; other readers take the first, or fail). orjson is
strict about all but the last and quicker than Python's reader, so it goes first; a body it
refuses is read again by Python, and :func:`departures` says why it was refused. Repeated names are
found by writing the value back out: a body that is that text lost nothing; otherwise ``":`` is counted
in both, and the counts agree unless a name repeats (or the body writes a quote as ``\\u0022``), and only
then is the body read a third time.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"


def read(raw: bytes) -> tuple[Any, bool]:
    """The value of a JSON body, read as leniently as Python reads it, and whether orjson (strict) read it too;
    raises ValueError (or UnicodeDecodeError) when it is not JSON even to Python."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw), False
    if isinstance(value, dict) and any(type(member) is float for member in value.values()):
        # orjson reads an integer past 64 bits as a float; where the error body's integers are, Python keeps it exact
        return json.loads(raw), True
    return value, True


def departures(raw: bytes) -> list[str]:
    """Why a body orjson refused departs from RFC 8259 (sections 8.1 and 6): a byte-order mark, another encoding
    than UTF-8, ``NaN``/``Infinity``. Empty when none of these (or when it does not parse at all)."""
    problems = []
    if raw.startswith(BOM):
        problems.append("it starts with a byte-order mark (RFC 8259 8.1: must not)")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"it is not UTF-8 ({exc.reason} at byte {exc.start}; RFC 8259 8.1: must be UTF-8)")
    constants: list[str] = []
    try:
        json.loads(raw, parse_constant=lambda name: constants.append(name))
    except (ValueError, UnicodeDecodeError):
        return []  # not JSON even to Python: content_type_conformance says so
    if constants:
        problems.append(f"it carries {', '.join(sorted(set(constants)))}, which JSON has no literal for (RFC 8259 6)")
    return problems


def repeated_names(raw: bytes, value: Any) -> list[str]:
    """Member names that appear twice in one object (RFC 8259 4: should be unique), with where."""
    try:
        written = orjson.dumps(value)
    except TypeError:  # an integer past 64 bits: no quick count, read it again
        written = b""
    if written == raw:  # a compact body as orjson writes it (the emulator's): no name was dropped
        return []
    if written and b"\\u" not in raw and raw.count(b'":') == written.count(b'":'):
        return []
    found: list[str] = []

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in members]
        found.extend(sorted({name for name in names if names.count(name) > 1}))
        return dict(members)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, UnicodeDecodeError):
        return []
    return found
