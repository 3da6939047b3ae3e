"""Invalid requests: a valid body with exactly one documented rule broken, for every rule the schemas carry.

From the walk in :mod:`conformance.contract.surface`: every member at every depth gets every other JSON
type (``null`` too where the member is required, and where an item stands: ``null`` is absent
only for optional members), every required member is dropped, every enum gets near misses
(letter case, whitespace, empty, a look-alike letter) and a value outside it, every ``maxItems``
is passed by one. Plus the transport rules of the body itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance.contract.schemas import Contract
from conformance.contract.surface import REMOVE, Site, join, request_sites
from conformance.plan.generation import from_pattern, from_schema, request_overrides

CONTENT_TYPE_CONSTRAINT = "content_type"  # a JSON body under another Content-Type: the docs do not say it is refused
# One representative value per JSON type: what a member of another type is given.
JSON_SAMPLES: dict[str, Any] = {
    "string": "text",
    "integer": 7,
    "number": 4.5,
    "boolean": True,
    "array": ["text"],
    "object": {"key": "value"},
    "null": None,
}
# Latin letters and the Cyrillic ones that look the same: an enum value that reads right and is not.
_LOOKALIKES = str.maketrans("AEOPCTHKXM", "\u0410\u0415\u041e\u0420\u0421\u0422\u041d\u041a\u0425\u041c")


@dataclass(frozen=True)
class Violation:
    """One documented rule of one site, and the values that break it."""

    location: str
    rule: str  # "type" | "required" | "enum" | "maxItems"
    values: tuple[Any, ...]  # each breaks the rule on its own (REMOVE: the member is dropped)
    labels: tuple[str, ...] = ()  # how each value breaks it, for descriptions
    outside: st.SearchStrategy[Any] | None = None  # more breaking values to draw, when the rule has them
    outside_label: str = ""

    @property
    def name(self) -> str:
        return f"{self.location}.{self.rule}"


def violations(contract: Contract, configuration_id: str) -> list[Violation]:
    """Every single-rule violation the request schema lets us build, in schema order."""
    found: list[Violation] = []
    overrides = request_overrides(contract, configuration_id)
    for site in request_sites(contract):
        found += _site_violations(contract, site, overrides)
    return found


def _site_violations(contract: Contract, site: Site, overrides: Any) -> Iterator[Violation]:
    own = site.json_type
    if site.location:  # the body's own type is the transport cases' business
        wrong = [kind for kind in JSON_SAMPLES if kind != own and not (kind == "null" and not site.required)]
        if own == "number":
            wrong.remove("integer")  # an integer is a number
        yield Violation(site.location, "type", tuple(JSON_SAMPLES[k] for k in wrong), labels=tuple(wrong))
    if own == "object":
        for name in site.node.get("required", []):
            location = join(site.location, name)
            yield Violation(location, "required", (REMOVE,), labels=("missing",))
    if "enum" in site.node:
        members: list[str] = list(site.node["enum"])
        misses = near_misses(members)
        allowed = set(members)
        outside = from_pattern(r"^[A-Z][A-Z_]{2,14}$").filter(lambda v: v not in allowed)
        yield Violation(site.location, "enum", tuple(v for v, _ in misses), tuple(w for _, w in misses), outside,
                        "outside the enum")  # fmt: skip
    if own == "array" and "maxItems" in site.node:
        size = site.node["maxItems"] + 1
        item = from_schema(contract, site.node.get("items", {}), f"{site.location}[]", overrides)
        # One valid item repeated: only the count is wrong.
        yield Violation(site.location, "maxItems", (), (), item.map(lambda value, n=size: [value] * n),
                        f"{size} items")  # fmt: skip


def near_misses(members: list[str]) -> list[tuple[str, str]]:
    """Values that are almost an enum member and so must still be refused, with what is off about each."""
    pick = lambda i: members[i % len(members)]  # noqa: E731 - spread the misses over the members
    candidates = [
        (pick(0).lower(), "lower case"),
        (pick(1).capitalize(), "other letter case"),
        (f" {pick(2)}", "leading space"),
        (f"{pick(3)} ", "trailing space"),
        ("", "empty"),
        (pick(4).translate(_LOOKALIKES), "look-alike letters"),
    ]
    allowed = set(members)
    return [(value, why) for value, why in candidates if value not in allowed]


def transport_cases(configuration_id: str) -> Iterator[tuple[str, str, Any, bytes | None, str | None, str]]:
    """(family, description, payload, raw body, content type, constraint) of the body-level rules."""
    good = {"configurationId": configuration_id}
    for value in [[good], "configurationId", 42, None, True]:
        yield ("body.not_object", f"body is JSON {type(value).__name__}, not an object", value, None,
               "application/json", "body.type")  # fmt: skip
    malformed = [b'{"configurationId": ', b"{'configurationId': 'x'}", b"", b"\xff\xfe{}",
                 json.dumps(good).encode() + b" trailing", json.dumps(good).encode()[:-1] + b",}"]  # fmt: skip
    for raw in malformed:
        yield "body.malformed", "body is not JSON", None, raw, "application/json", "body.json"
    for content_type in ["text/plain", "application/x-www-form-urlencoded", None]:
        yield ("content_type", f"Content-Type {content_type or 'absent'}", good, None, content_type,
               CONTENT_TYPE_CONSTRAINT)  # fmt: skip
