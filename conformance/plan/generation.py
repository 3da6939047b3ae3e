"""Hypothesis strategies for create requests, derived from ``schemas/`` (never restated by hand).

``from_schema`` turns a subschema into a strategy; the few things a schema cannot say
(which configuration exists, what a plausible address looks like per channel) come in as
overrides keyed by the property's path, so a schema change flows straight into generation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from conformance.contract.schemas import SCHEMA_FILES, Contract

Strategy = st.SearchStrategy[Any]
Overrides = Mapping[str, Callable[[dict[str, Any]], Strategy]]

# Every character UTF-8 carries (all but surrogates): the same set as st.text's default alphabet, without Hypothesis
# encoding every code point to find it (0.7 s in each process that draws, cached only in a ./.hypothesis folder).
ANY_CHARACTER: st.SearchStrategy[str] = st.characters(exclude_categories=["Cs"])

# Names a person might give a conversation or participant: empty, plain, and the unicode corners.
NAMES: Strategy = st.one_of(
    st.just(""),
    st.sampled_from(["Support Chat", "Jürgen Müller-Lüdenscheidt", "山田 太郎", "مرحبا", "👩‍💻 agent", "a" * 256]),
    st.text(ANY_CHARACTER, min_size=1, max_size=40),
)


def from_schema(contract: Contract, node: dict[str, Any], path: str = "", overrides: Overrides | None = None,
                base: str = SCHEMA_FILES["request"]) -> Strategy:  # fmt: skip
    """A strategy for values valid against ``node`` (a subschema of document ``base``)."""
    overrides = overrides or {}
    if path in overrides:
        return overrides[path](node)
    node, base = contract.follow(node, base)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        return _object(contract, node, path, overrides, base)
    if kind == "array":
        item = from_schema(contract, node.get("items", {}), f"{path}[]", overrides, base)
        return st.lists(item, min_size=node.get("minItems", 0), max_size=min(node.get("maxItems", 8), 8))
    if kind == "string":
        if "pattern" in node:
            return from_pattern(node["pattern"])
        return NAMES if path.endswith("name") else st.text(ANY_CHARACTER, max_size=40)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=node.get("minimum"), max_value=node.get("maximum"))
    raise ValueError(f"no strategy for schema node at {path or '/'}: {node}")


_ATOM = re.compile(r"\\([^A-Za-z0-9])|\[([^\]\\^][^\]\\]*)\]|([^\\\[\]{}()|.*+?^$])")  # \x, [class], a literal
_REPEAT = re.compile(r"\{(\d+)(?:,(\d+))?\}")


def from_pattern(pattern: str) -> Strategy:
    """Strings that fully match ``pattern``.

    The schemas' patterns are runs of literals and character classes (``^\\+[1-9][0-9]{7,14}$``); each run
    becomes one ``st.text`` draw. Hypothesis's ``from_regex`` draws such a string character by character,
    which made addresses most of the cost of a generated request. Anything else goes to ``from_regex``.
    """
    body = pattern.removeprefix("^").removesuffix("$")
    parts: list[Strategy] = []
    position = 0
    while position < len(body):
        atom = _ATOM.match(body, position)
        chars = _characters(atom) if atom else None
        if atom is None or chars is None:
            return st.from_regex(pattern, fullmatch=True)
        position = atom.end()
        repeat = _REPEAT.match(body, position)
        low = high = 1
        if repeat:
            low, high = int(repeat[1]), int(repeat[2] or repeat[1])
            position = repeat.end()
        parts.append(st.just(chars) if len(chars) == 1 and low == high == 1 else
                     st.text(alphabet=chars, min_size=low, max_size=high))  # fmt: skip
    return st.tuples(*parts).map("".join)


def _characters(atom: re.Match[str]) -> str | None:
    """The characters an atom matches, or None for a class this reader does not take apart."""
    escaped, klass, literal = atom.groups()
    if klass is None:
        return escaped or literal
    chars: list[str] = []
    i = 0
    while i < len(klass):
        if i + 2 < len(klass) and klass[i + 1] == "-":
            chars += map(chr, range(ord(klass[i]), ord(klass[i + 2]) + 1))
            i += 3
        else:
            chars.append(klass[i])
            i += 1
    return "".join(sorted(set(chars)))


def _object(contract: Contract, node: dict[str, Any], path: str, overrides: Overrides, base: str) -> Strategy:
    required = set(node.get("required", []))
    fixed: dict[str, Strategy] = {}
    optional: dict[str, Strategy] = {}
    for name, sub in node.get("properties", {}).items():
        strategy = from_schema(contract, sub, f"{path}.{name}".lstrip("."), overrides, base)
        (fixed if name in required else optional)[name] = strategy
    return st.fixed_dictionaries(fixed, optional=optional)


def address_by_channel(contract: Contract) -> Callable[[dict[str, Any]], Strategy]:
    """Addresses whose ``address`` fits the channel (forms from ``x-address-forms``); the rest from the schema."""
    forms = contract.schema("address")["x-address-forms"]

    def build(node: dict[str, Any]) -> Strategy:
        def for_channel(channel: str) -> Strategy:
            fitting = {
                "channel": lambda _node: st.just(channel),
                "address": lambda _node: from_pattern(forms[channel]["pattern"]),
            }
            return from_schema(contract, node, "", fitting, SCHEMA_FILES["request"])

        # Built once per channel and reused: a flatmap would build (and validate) a strategy per draw.
        return st.one_of([for_channel(channel) for channel in contract.enum("address", "channel")])

    return build


def request_overrides(contract: Contract, configuration_id: str) -> dict[str, Callable[[dict[str, Any]], Strategy]]:
    return {
        "configurationId": lambda _node: st.just(configuration_id),
        "participants[].addresses[]": address_by_channel(contract),
    }


def valid_requests(contract: Contract, configuration_id: str) -> Strategy:
    """Valid create bodies, with optional fields sometimes sent as explicit null (the emulator takes it as absent;
    the docs do not say, so a refusal is reported: README, "Null means absent")."""
    body = from_schema(contract, contract.schema("request"), overrides=request_overrides(contract, configuration_id))
    return body.flatmap(_maybe_nulls(contract))


def _maybe_nulls(contract: Contract) -> Callable[[dict[str, Any]], Strategy]:
    optional = [name for name in contract.schema("request")["properties"] if name not in _required(contract)]

    def add_nulls(body: dict[str, Any]) -> Strategy:
        absent = [name for name in optional if name not in body]
        if not absent:
            return st.just(body)
        return st.lists(st.sampled_from(absent), unique=True).map(lambda nulls: {**body, **dict.fromkeys(nulls)})

    return add_nulls


def _required(contract: Contract) -> set[str]:
    return set(contract.schema("request").get("required", []))
