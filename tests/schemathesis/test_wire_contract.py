"""openapi.yaml describes the wire: what schemathesis reads agrees with what the emulator accepts."""

from __future__ import annotations

import json

from conformance.contract.schemas import OPENAPI_FILE, load_contract, schemas_dir
from conformance.contract.wire import WIRE_REQUEST_FILE, wire_request_schema
from conformance.emulator.config import EmulatorSettings


def test_the_wire_request_schema_is_the_derivation_of_the_request_schema() -> None:
    committed = json.loads((schemas_dir() / WIRE_REQUEST_FILE).read_text(encoding="utf-8"))
    regenerate = "run `python -m conformance.contract.wire` and commit the file"
    assert committed == wire_request_schema(load_contract()), regenerate


def test_optional_members_take_null_at_every_depth_required_ones_and_items_do_not() -> None:
    contract = load_contract()
    configuration_id = contract.node("request", "configurationId")["examples"][0]
    nulls = {
        "configurationId": configuration_id,
        "name": None,
        "configuration": {"intelligenceConfigurationIds": None},
        "participants": [{"name": None, "type": None, "profileId": None,
                          "addresses": [{"channel": "SMS", "address": "+18005550100", "channelId": None}]}],
    }  # fmt: skip
    assert contract.is_valid(WIRE_REQUEST_FILE, nulls)
    assert not contract.is_valid("request", nulls)  # the documented schema stays as the docs type it
    bad_bodies = [
        {"configurationId": None},
        {"configurationId": configuration_id, "participants": [None]},
        {"configurationId": configuration_id, "participants": [{"addresses": [{"channel": None}]}]},
    ]
    for bad in bad_bodies:
        assert not contract.is_valid(WIRE_REQUEST_FILE, bad), bad


def test_openapi_sends_the_wire_schema_and_links_the_create_to_the_fetch() -> None:
    operation = load_contract().operation("/v2/Conversations", "POST")
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": WIRE_REQUEST_FILE}
    link = operation["responses"]["201"]["links"]["FetchConversation"]
    assert link == {**link, "operationId": "FetchConversation", "parameters": {"id": "$response.body#/id"}}


def test_the_default_emulator_knows_the_configuration_the_examples_use() -> None:
    example = load_contract().node("request", "configurationId")["examples"][0]
    assert example in {c.id for c in EmulatorSettings().seeded_configurations()}
    assert (schemas_dir() / OPENAPI_FILE).read_text(encoding="utf-8").count(WIRE_REQUEST_FILE) == 1
