"""JSON lines, the format of every stream a run appends to: one compact JSON value per line, read and written
with orjson where it agrees with the standard library (three times faster), and with it where it does not."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_NUMBER = re.compile(rb"[0-9]{19}")  # may not fit 64 bits, where orjson would read a float: json reads it


def loads_line(raw: bytes) -> Any:
    """One JSON line, as ``json.loads`` reads it, about three times faster (orjson, where it reads the same:
    not for numbers past 64 bits, ``NaN`` or lone surrogates, which the standard parser takes)."""
    if _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def dumps_line(value: Any) -> str:
    """One compact JSON line (orjson; the standard encoder for what orjson refuses, such as huge integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
