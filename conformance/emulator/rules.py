"""Request rules that need no state: null stripping, the nesting limit, error messages, idempotency fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from jsonschema import ValidationError

from conformance.emulator.exceptions import InvalidParameter

MAX_NESTING = 32  # request bodies nested deeper than this are rejected (an emulator assumption)
QUOTE_LIMIT = 64  # error messages quote at most this many characters of a client's value
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)  # \ud800 to \udfff, paired or not
_UTF8 = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def quote(value: str, limit: int = QUOTE_LIMIT) -> str:
    """A client's value as an error message may show it: a short prefix, marked when cut."""
    return value if len(value) <= limit else value[:limit] + "..."


def reject_lone_surrogates(text: str, value: Any) -> None:
    """400 when ``value`` (parsed from JSON ``text``) holds a lone UTF-16 surrogate: no UTF-8 text can carry it.

    Only escapes in ``text`` can produce one, so bodies without them (all but a few) skip the walk.
    """
    if _SURROGATE_ESCAPE.search(text) is None:
        return
    try:
        _UTF8(value).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter("Request body is not valid JSON: it holds a lone UTF-16 surrogate escape") from None


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def field_path(path: Sequence[Any]) -> str:
    """``["participants", 3, "type"]`` -> ``participants[3].type``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_error(error: ValidationError) -> str:
    """A one-line message naming the offending field, from a jsonschema error."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        return f"Missing required parameter {field_path([*path, *missing[:1]])}"
    if not path and error.validator == "type":
        return f"Request body must be a JSON object, got {json_type(instance)}"
    name = field_path(path)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"Invalid parameter {name}: expected {expected}, got {json_type(instance)}"
    if error.validator == "enum":
        return f"Invalid parameter {name}: must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "maxItems" and isinstance(instance, list):
        return f"Invalid parameter {name}: at most {error.validator_value} items allowed, got {len(instance)}"
    detail = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"Invalid parameter {name}: {detail}"


def strip_nulls(value: Any, depth: int = 0) -> Any:
    """Drop object members whose value is ``null`` (null means absent); refuse absurd nesting.

    A non-empty container at depth :data:`MAX_NESTING` is refused before its members are looked at,
    so a ``null`` member that is about to be dropped counts as a level like any other value.
    """
    if isinstance(value, dict):
        if value and depth >= MAX_NESTING:
            raise _too_deep()
        return {key: strip_nulls(item, depth + 1) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        if value and depth >= MAX_NESTING:
            raise _too_deep()
        return [strip_nulls(item, depth + 1) for item in value]
    return value


def _too_deep() -> InvalidParameter:
    return InvalidParameter(f"Request body is nested more than {MAX_NESTING} levels deep")


def _plain(raw: bytes) -> bool:
    """True when JSON text ``raw`` can hold neither a null nor nesting deeper than :data:`MAX_NESTING`."""
    return b"null" not in raw and raw.count(b"{") + raw.count(b"[") <= MAX_NESTING


def fingerprint(request: dict[str, Any]) -> str:
    """What makes two requests 'the same body' for Idempotency-Key purposes (key order ignored)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
