"""The JSON every stream and results.json go through: the fast paths (orjson) read and write exactly what the standard
library reads and writes, including where orjson alone would not (numbers past 64 bits, NaN, tiny floats)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.record.jsonlines import dumps_indented, dumps_line, loads_line

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values, NaN equal to NaN and 1 never equal to 1.0 or True."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


@pytest.mark.parametrize("text", [
    "[9223372036854775807]", "[18446744073709551615]",  # the largest orjson reads as integers
    "[18446744073709551616]", "[-9223372036854775809]",  # one past: orjson would read floats
    "[123456789012345678901234567890]", '{"a":[1,{"b":-12345678901234567890123}]}',
    '["1234567890123456789012345"]',  # a long run of digits in a string: read either way
    "[NaN, Infinity, -Infinity]", '["\\ud800 lone surrogate"]', '{"a": 1.5e-07, "b": 0.1}',
])  # fmt: skip
def test_a_line_reads_as_the_standard_library_reads_it(text: str) -> None:
    assert _same(loads_line(text.encode()), json.loads(text))
    assert type(loads_line(text.encode())) is type(json.loads(text))


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_value_reads_back_as_the_standard_library_reads_it(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert _same(loads_line(raw), json.loads(raw))
    assert _same(loads_line(dumps_line(value).encode("utf-8", "surrogatepass")), value)


@pytest.mark.parametrize("value", [
    {"tiny": 1e-05, "tinier": 5e-324}, [1.5e-07], {"nan": math.nan}, [math.inf, -math.inf],
    {"huge": 2**64}, [-(2**70)], ("a", 1e-06), {"nested": [{"deep": [9.99e-05]}]},
    {"zero": 0.0, "negative zero": -0.0, "edge": 1e-4, "big": 1e16, "bigger": 1.7976931348623157e308},
    {"text": "é 😀 \u2028 \u0000 \u001f \u007f \" \\ /", "empty": {}, "none": [], "n": None, "t": True},
])  # fmt: skip
def test_indented_json_is_byte_for_byte_what_the_standard_library_writes(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_value_is_indented_as_the_standard_library_indents_it(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)
