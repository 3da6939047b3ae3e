"""The emulator's 400 names the field the plain validator would name first: the ErrorFinder (inlined references,
compiled checks of array halves) is only faster, never different."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance.contract.schemas import SCHEMA_FILES, Contract, load_contract
from conformance.emulator.rules import ErrorFinder, describe_error, strip_nulls
from conformance.plan.cases import build_plan

CONFIGURATION = "conv_configuration_0000000000000000000default"
CONTRACT = load_contract()
FINDER = ErrorFinder(CONTRACT, "request")


def _invalid_bodies(seed: int, examples: int) -> list[Any]:
    """The JSON bodies of a plan that the schema refuses, as the emulator sees them (nulls dropped)."""
    plan = build_plan(CONTRACT, CONFIGURATION, seed, examples, ("api_key",), ("api_key",), CONFIGURATION, None)
    bodies = []
    for case in plan:
        try:
            body = strip_nulls(json.loads(case.body))
        except ValueError:
            continue
        if not CONTRACT.is_valid("request", body):
            bodies.append(body)
    return bodies


def _first(errors: list[Any]) -> str:
    return describe_error(errors[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_every_refused_body_of_a_plan_is_named_as_the_plain_validator_names_it(seed: int) -> None:
    bodies = _invalid_bodies(seed, 60)
    assert len(bodies) > 100  # every invalid family, several times over
    for body in bodies:
        assert _first(FINDER.first(body)) == _first(CONTRACT.errors("request", body)), body


ADDRESS = {"channel": "SMS", "address": "+15555550100"}
DEEP = [
    {"configurationId": CONFIGURATION, "participants": [{"addresses": [ADDRESS, {**ADDRESS, "channel": "sms"}]}]},
    {"configurationId": CONFIGURATION, "participants": [{"addresses": [ADDRESS] * 40 + ["text"]}]},
    {"configurationId": CONFIGURATION, "participants": [{"type": 7, "addresses": [{**ADDRESS, "channel": 7}]}]},
    {"configurationId": CONFIGURATION, "participants": [{"name": "x" * 5000, "addresses": {"channel": "SMS"}}]},
    {"configurationId": CONFIGURATION, "configuration": {"intelligenceConfigurationIds": ["a"] * 500}},
    {"configurationId": CONFIGURATION, "participants": [{"addresses": [{"channel": "SMS", "address": 5}]}] * 3},
    {"participants": "none"},
    [],
]


@pytest.mark.parametrize("body", DEEP, ids=range(len(DEEP)))
def test_a_violation_deep_in_another_schema_file_is_named_as_the_plain_validator_names_it(body: Any) -> None:
    assert not CONTRACT.is_valid("request", body)
    assert _first(FINDER.first(body)) == _first(CONTRACT.errors("request", body))


def _edited(edit: Any) -> Contract:
    """The contract with its request schema changed by ``edit`` (given a deep copy of it)."""
    documents = copy.deepcopy(dict(CONTRACT.documents))
    edit(documents[SCHEMA_FILES["request"]])
    return Contract(CONTRACT.directory, documents, CONTRACT.openapi)


def _chained(request: dict[str, Any]) -> None:  # a $ref naming another $ref
    request["$defs"]["Overrides"] = {"$ref": "#/$defs/ConfigurationOverrides"}
    request["properties"]["configuration"]["$ref"] = "#/$defs/Overrides"


def _beside(request: dict[str, Any]) -> None:  # a $ref beside a keyword that validates
    request["properties"]["participants"]["items"]["minProperties"] = 1


def _recursive(request: dict[str, Any]) -> None:  # a participant may hold participants
    request["$defs"]["ParticipantInput"]["properties"]["delegates"] = {
        "type": "array", "items": {"$ref": "#/$defs/ParticipantInput"}}  # fmt: skip


@pytest.mark.parametrize("edit", [_chained, _beside, _recursive], ids=lambda edit: edit.__name__.strip("_"))
def test_a_schema_the_inlining_does_not_take_apart_is_still_named_as_the_plain_validator_names_it(edit: Any) -> None:
    """A schema edit must never stop the emulator starting, nor change the field its 400 names."""
    contract = _edited(edit)
    finder = ErrorFinder(contract, "request")
    bodies = [*DEEP, {"configurationId": CONFIGURATION, "configuration": {"intelligenceConfigurationIds": 5}},
              {"configurationId": CONFIGURATION, "participants": [{}, {"delegates": [{"type": 7}]}]}]  # fmt: skip
    for body in bodies:
        if not contract.is_valid("request", body):
            assert _first(finder.first(body)) == _first(contract.errors("request", body)), body
