"""Test cases: a request to send and what the contract says should come back, and the plan of a run.

The families come from their own modules, each derived from ``schemas/``: valid requests drawn by
``generation``, the documented edges (``edges``), one broken rule at a time (``negative``), who may
call what (``access``), and configurations that do not exist. :func:`build_plan` interleaves them
so a small request budget still touches every family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conformance.contract import CREATE_PATH, Contract
from conformance.edges import container_edges, edge_cases, full_body, string_edges
from conformance.generation import valid_requests
from conformance.kinds import AuthMode, CaseKind, CredentialForm
from conformance.negative import transport_cases, violations
from conformance.surface import place
from conformance.vendor import CONFIGURATION_ID_PREFIX

JSON_CONTENT_TYPE = "application/json"
CREATED_ID = "{created}"  # in a case's path: a conversation this run created, filled in when it is sent


@dataclass(frozen=True)
class Case:
    """One request and the status the contract calls for."""

    id: str  # stable within a seed: "valid/0003", "invalid/participants.maxItems/1"
    kind: str  # a CaseKind
    description: str
    expected_status: int
    payload: Any = None  # the JSON value sent (None when the body is not JSON)
    raw_body: bytes | None = None  # set when the body is not the JSON encoding of payload
    content_type: str | None = JSON_CONTENT_TYPE
    auth: str = AuthMode.VALID  # an AuthMode
    method: str = "POST"
    path: str = CREATE_PATH
    constraint: str | None = None  # for invalid cases: "participants[].type.enum"
    credentials: str | None = None  # a CredentialForm; None: the target's default
    authorization: str | None = None  # the header a malformed-credentials case sends as it is

    @property
    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.payload, ensure_ascii=False).encode()

    @property
    def is_json_payload(self) -> bool:
        return self.raw_body is None and isinstance(self.payload, dict)

    def with_created(self, conversation_id: str) -> Case:
        """The case with its path pointing at ``conversation_id`` (when it asks for a created one)."""
        return replace(self, path=self.path.replace(CREATED_ID, conversation_id)) if CREATED_ID in self.path else self


@dataclass
class CasePlan:
    """Everything one run will send, in a budget-friendly order."""

    seed: int
    cases: list[Case] = field(default_factory=list)

    def shard(self, index: int, total: int) -> CasePlan:
        """Cases ``index`` (1-based) of ``total`` round-robin shards."""
        return CasePlan(self.seed, [c for i, c in enumerate(self.cases) if i % total == index - 1])


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


def build_plan(contract: Contract, configuration_id: str, at_seed: int, max_examples: int,
               forms: tuple[str, ...] = (CredentialForm.API_KEY,)) -> CasePlan:  # fmt: skip
    """Every case of a run, interleaved so a small request budget still touches every family."""
    from conformance.access import (  # it builds on Case
        auth_cases,
        credential_form_cases,
        not_found_cases,
        precedence_cases,
        unknown_id_auth_cases,
    )

    def valid(family: str, described: Any) -> list[Case]:
        return [Case(f"valid/{family}/{i:02d}", CaseKind.VALID, f"valid: {what}", 201, body)
                for i, (what, body) in enumerate(described)]  # fmt: skip

    families: list[list[Case]] = [
        valid("edge", edge_cases(contract, configuration_id)),
        valid("containers", container_edges(contract, configuration_id, draw, at_seed + 500)),
        valid("strings", string_edges(contract, configuration_id)),
        credential_form_cases(configuration_id, forms, full_body(contract, configuration_id)),
    ]
    generated = draw(valid_requests(contract, configuration_id), max_examples, at_seed)
    families.append([Case(f"valid/{i:04d}", CaseKind.VALID, "valid: generated", 201, body)
                     for i, body in enumerate(generated)])  # fmt: skip
    per_rule = max(1, max_examples // 10)
    bases = draw(valid_requests(contract, configuration_id), per_rule, at_seed + 1)
    bases = [{k: v for k, v in body.items() if v is not None} for body in bases]
    for index, violation in enumerate(violations(contract, configuration_id)):
        values, labels = list(violation.values), list(violation.labels)
        if violation.outside is not None:
            extra = draw(violation.outside, max(0, per_rule - len(values)) or 1, at_seed + 2 + index)
            values, labels = values + extra, labels + [violation.outside_label] * len(extra)
        cases = []
        for i in range(max(len(values), per_rule)):
            value, label = values[i % len(values)], labels[i % len(labels)]
            # Every other case breaks the rule in a later item (after two valid ones) where there are items.
            item = 2 if "[]" in violation.location and i % 2 else 0
            payload = place(contract, bases[i % len(bases)], violation.location, value, item)
            cases.append(Case(f"invalid/{violation.name}/{i}", CaseKind.INVALID,
                              f"invalid: {violation.location} breaks {violation.rule} ({label})", 400, payload,
                              constraint=violation.name))  # fmt: skip
        families.append(cases)
    transport: dict[str, list[Case]] = {}
    for family, what, payload, raw, content_type, constraint in transport_cases(configuration_id):
        cases = transport.setdefault(family, [])
        cases.append(Case(f"invalid/{family}/{len(cases)}", CaseKind.INVALID, f"invalid: {what}", 400, payload,
                          raw_body=raw, content_type=content_type, constraint=constraint))  # fmt: skip
    families += transport.values()
    unknown = draw(st.from_regex(r"^[0-9a-z]{26}$", fullmatch=True), max(2, per_rule // 2), at_seed + 1000)
    full = full_body(contract, configuration_id)
    families.append([  # alone, and in a body using every member (a missing configuration is missing either way)
        Case(f"unknown_configuration/{i}", CaseKind.UNKNOWN_CONFIGURATION,
             "configurationId that does not exist" + (" in a full body" if i % 2 else ""), 404,
             {**(full if i % 2 else {}), "configurationId": f"{CONFIGURATION_ID_PREFIX}{suffix}"})
        for i, suffix in enumerate(unknown)
    ])  # fmt: skip
    families += auth_cases(configuration_id, forms)
    families.append(precedence_cases(configuration_id, at_seed))
    families.append(unknown_id_auth_cases(at_seed))
    families.append(not_found_cases(at_seed))
    return CasePlan(at_seed, _interleave(families))


def _interleave(families: list[list[Case]]) -> list[Case]:
    families = [family for family in families if family]
    ordered: list[Case] = []
    longest = max(map(len, families))
    for i in range(longest):
        ordered.extend(family[i] for family in families if i < len(family))
    return ordered
