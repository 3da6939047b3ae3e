"""Test cases: a request to send and what the contract says should come back.

Valid cases are drawn from the schema-derived strategies in ``generation``; invalid ones break
exactly one documented constraint of a valid request, found by walking the request schema
(every ``required``, every ``type``, every ``maxItems``, every ``enum``), plus the body-level
rules of the transport (a JSON object, ``Content-Type: application/json``), an unknown
configuration and missing or wrong credentials.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conformance.contract import CREATE_PATH, SCHEMA_FILES, Contract
from conformance.generation import from_schema, request_overrides, valid_requests
from conformance.vendor import CONFIGURATION_ID_PREFIX

Kind = Literal["valid", "invalid", "unknown_configuration", "auth"]
Auth = Literal["valid", "none", "wrong_secret", "unknown_user"]
JSON_CONTENT_TYPE = "application/json"
_NO_BODY = object()


@dataclass(frozen=True)
class Case:
    """One request and the status the contract calls for."""

    id: str  # stable within a seed: "valid/0003", "invalid/participants.maxItems/1"
    kind: Kind
    description: str
    expected_status: int
    payload: Any = None  # the JSON value sent (None when the body is not JSON)
    raw_body: bytes | None = None  # set when the body is not the JSON encoding of payload
    content_type: str | None = JSON_CONTENT_TYPE
    auth: Auth = "valid"
    method: str = "POST"
    path: str = CREATE_PATH
    constraint: str | None = None  # for invalid cases: "participants[].type enum"

    @property
    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.payload, ensure_ascii=False).encode()

    @property
    def is_json_payload(self) -> bool:
        return self.raw_body is None and isinstance(self.payload, dict)


@dataclass(frozen=True)
class Violation:
    """One way to break one documented constraint of a valid body."""

    location: str  # schema path, e.g. "participants[].addresses[].channel"
    constraint: str  # "required" | "type" | "maxItems" | "enum"
    wrong: st.SearchStrategy[Any]  # the offending value (or the list, for maxItems)

    @property
    def name(self) -> str:
        return f"{self.location}.{self.constraint}"


@dataclass
class CasePlan:
    """Everything one run will send, in a budget-friendly order."""

    seed: int
    cases: list[Case] = field(default_factory=list)

    def shard(self, index: int, total: int) -> CasePlan:
        """Cases ``index`` (1-based) of ``total`` round-robin shards."""
        return CasePlan(self.seed, [c for i, c in enumerate(self.cases) if i % total == index - 1])


# --- schema walk ----------------------------------------------------------------------------

_OTHER_TYPES: dict[str, list[Any]] = {
    "string": [123, 4.5, True, ["text"], {"text": "x"}],
    "array": ["text", 7, True, {"item": 1}],
    "object": ["text", 7, False, [1, 2]],
    "boolean": ["true", 1, [True]],
    "integer": ["1", 1.5, [1]],
}


def violations(contract: Contract, configuration_id: str) -> list[Violation]:
    """Every single-constraint violation the request schema allows us to construct."""
    overrides = request_overrides(contract, configuration_id)
    found: list[Violation] = []

    def walk(node: dict[str, Any], base: str, path: str, required: bool) -> None:
        node, base = contract.follow(node, base)
        kind = node.get("type")
        if path:
            wrong = list(_OTHER_TYPES.get(kind, []))
            if required:
                wrong.append(None)  # null stands for absent only where absence is allowed
            if wrong:
                found.append(Violation(path, "type", st.sampled_from(wrong)))
        if "enum" in node:
            allowed = set(node["enum"])
            outside = st.from_regex(r"^[A-Z][A-Z_]{2,14}$", fullmatch=True).filter(lambda v: v not in allowed)
            found.append(Violation(path, "enum", outside))
        if kind == "object":
            for name in node.get("required", []):
                found.append(Violation(_join(path, name), "required", st.just(_NO_BODY)))
            for name, sub in node.get("properties", {}).items():
                walk(sub, base, _join(path, name), name in node.get("required", []))
        if kind == "array":
            items = node.get("items", {})
            if "maxItems" in node:
                item = from_schema(contract, items, f"{path}[]", overrides, base)
                size = node["maxItems"] + 1  # one valid item repeated: only the count is wrong
                found.append(Violation(path, "maxItems", item.map(lambda value, n=size: [value] * n)))
            walk(items, base, f"{path}[]", True)

    walk(contract.schema("request"), SCHEMA_FILES["request"], "", True)
    return found


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def apply_violation(contract: Contract, body: dict[str, Any], violation: Violation, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``violation`` applied at its location (containers created as needed)."""
    mutated = copy.deepcopy(body)
    parts = violation.location.split(".")
    target: Any = mutated
    for part in parts[:-1]:
        target = _ensure(contract, target, part)
    last = parts[-1]
    if last.endswith("[]"):  # the violation is on array items: put the bad value into the array
        array = _ensure(contract, target, last[:-2], want_list=True)
        array[:] = [value]
        return mutated
    if value is _NO_BODY:
        target.pop(last, None)
    else:
        target[last] = value
    return mutated


def _ensure(contract: Contract, container: dict[str, Any], part: str, want_list: bool = False) -> Any:
    """Step into ``part`` of ``container``, creating a minimal valid value when it is missing."""
    if part.endswith("[]"):
        name = part[:-2]
        items = container.get(name)
        if not isinstance(items, list) or not items:
            container[name] = [_minimal_item(contract, name)]
        return container[name][0]
    if want_list:
        if not isinstance(container.get(part), list):
            container[part] = []
        return container[part]
    if not isinstance(container.get(part), dict):
        container[part] = {}
    return container[part]


def _minimal_item(contract: Contract, array_name: str) -> dict[str, Any]:
    if array_name == "addresses":
        channel = contract.enum("address", "channel")[0]
        return {"channel": channel, "address": contract.schema("address")["x-address-forms"][channel]["example"]}
    return {}


# --- building the plan ------------------------------------------------------------------------


def draw(strategy: st.SearchStrategy[Any], count: int, at_seed: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones for the same seed."""
    examples: list[Any] = []

    @seed(at_seed)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(example: Any) -> None:
        examples.append(example)

    collect()
    return examples[:count]


def edge_cases(contract: Contract, configuration_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Valid requests at the documented edges: limits, every enum value, empty/unicode/null names."""
    channels = contract.enum("address", "channel")
    types = contract.enum("participant", "type")
    forms = contract.schema("address")["x-address-forms"]
    limit = contract.node("request", "participants")["maxItems"]
    base = {"configurationId": configuration_id}
    yield "only the required field", dict(base)
    yield "empty name", {**base, "name": ""}
    yield "unicode name", {**base, "name": "Ünïcødé 会話 🚀"}
    for name in contract.schema("request")["properties"]:
        if name not in contract.schema("request").get("required", []):
            yield f"{name} explicitly null", {**base, name: None}
    yield "zero participants", {**base, "participants": []}
    yield "one participant", {**base, "participants": [{"name": "Solo", "type": types[0]}]}
    participants = [
        {
            "name": f"Participant {i}",
            "type": types[i % len(types)],
            "addresses": [
                {"channel": channels[i % len(channels)], "address": forms[channels[i % len(channels)]]["example"]}
            ],
        }
        for i in range(limit)
    ]
    yield f"{limit} participants (the maximum), every type and channel", {**base, "participants": participants}
    for participant_type in types:
        participant = {"name": participant_type.title(), "type": participant_type, "profileId": "mem_profile_01"}
        yield f"participant type {participant_type}", {**base, "participants": [participant]}
    everything = {"name": "Every channel", "type": types[0], "addresses": [
        {"channel": c, "address": forms[c]["example"], "channelId": f"id-{c.lower()}"} for c in channels]}  # fmt: skip
    yield "one participant on every channel", {**base, "participants": [everything]}
    ids_limit = contract.node("request", "configuration", "intelligenceConfigurationIds")["maxItems"]
    yield "configuration override at its limit", {
        **base, "configuration": {"intelligenceConfigurationIds": [f"intelligence_{i}" for i in range(ids_limit)]}
    }  # fmt: skip


def build_plan(contract: Contract, configuration_id: str, at_seed: int, max_examples: int) -> CasePlan:
    """Every case of a run, interleaved so a small request budget still touches every family."""
    families: list[list[Case]] = []
    families.append([Case(f"valid/edge/{i:02d}", "valid", f"valid: {what}", 201, payload)
                     for i, (what, payload) in enumerate(edge_cases(contract, configuration_id))])  # fmt: skip
    valid = draw(valid_requests(contract, configuration_id), max_examples, at_seed)
    families.append([Case(f"valid/{i:04d}", "valid", "valid: generated", 201, body) for i, body in enumerate(valid)])
    per_site = max(1, max_examples // 10)
    bases = draw(valid_requests(contract, configuration_id), per_site, at_seed + 1)
    bases = [{k: v for k, v in body.items() if v is not None} for body in bases]
    for site_index, violation in enumerate(violations(contract, configuration_id)):
        values = draw(violation.wrong, per_site, at_seed + 2 + site_index)
        cases = []
        for i, (body, value) in enumerate(zip(bases, values, strict=False)):
            payload = apply_violation(contract, body, violation, value)
            what = "missing" if violation.constraint == "required" else f"breaks {violation.constraint}"
            cases.append(Case(f"invalid/{violation.name}/{i}", "invalid", f"invalid: {violation.location} {what}",
                              400, payload, constraint=violation.name))  # fmt: skip
        families.append(cases)
    families.append(list(_transport_cases(configuration_id)))
    unknown = draw(st.from_regex(r"^[0-9a-z]{26}$", fullmatch=True), max(1, per_site // 2), at_seed + 1000)
    families.append([
        Case(f"unknown_configuration/{i}", "unknown_configuration", "configurationId that does not exist", 404,
             {"configurationId": f"{CONFIGURATION_ID_PREFIX}{suffix}"}) for i, suffix in enumerate(unknown)
    ])  # fmt: skip
    families.append([
        Case(f"auth/{mode}", "auth", f"credentials: {mode.replace('_', ' ')}", 401,
             {"configurationId": configuration_id}, auth=mode)
        for mode in ("none", "wrong_secret", "unknown_user")
    ])  # fmt: skip
    return CasePlan(at_seed, _interleave(families))


def _transport_cases(configuration_id: str) -> Iterator[Case]:
    good = {"configurationId": configuration_id}
    for i, value in enumerate([[good], "configurationId", 42, None, True]):
        what = f"invalid: body is JSON {type(value).__name__}, not an object"
        yield Case(f"invalid/body.not_object/{i}", "invalid", what, 400, value, constraint="body.type")
    for i, raw in enumerate([b'{"configurationId": ', b"{'configurationId': 'x'}", b"", b"\xff\xfe{}"]):
        yield Case(f"invalid/body.malformed/{i}", "invalid", "invalid: body is not JSON", 400, None, raw_body=raw,
                   constraint="body.json")  # fmt: skip
    for i, content_type in enumerate(["text/plain", "application/x-www-form-urlencoded", None]):
        yield Case(f"invalid/content_type/{i}", "invalid", f"invalid: Content-Type {content_type or 'absent'}", 400,
                   good, content_type=content_type, constraint="content_type")  # fmt: skip


def _interleave(families: list[list[Case]]) -> list[Case]:
    ordered: list[Case] = []
    longest = max(map(len, families))
    for i in range(longest):
        ordered.extend(family[i] for family in families if i < len(family))
    return ordered
