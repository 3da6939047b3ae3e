"""The control API under /__emulator__/: health, reset, configurations, faults."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conformance.contract.schemas import Contract
from conformance.emulator.faults import FAULTS
from conformance.emulator.models import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_CONFIGURATION_ID,
    DEFAULT_SECOND_CONFIGURATION_ID,
    DEFAULT_SECOND_CREDENTIALS,
)

from .conftest import CREATE, assert_error, full_request

CONTROL = "/__emulator__"


def test_health_needs_no_credentials(client: TestClient) -> None:
    client.post(CREATE, json=full_request())
    response = client.get(f"{CONTROL}/health", auth=None)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "conversations": 1, "faults": 0}


def test_reset_forgets_conversations_and_faults_but_keeps_configurations(client: TestClient) -> None:
    created = client.post(CREATE, json=full_request()).json()
    client.post(f"{CONTROL}/faults", json={"fault": "extra_header"})
    assert client.post(f"{CONTROL}/reset").json() == {"status": "reset"}
    response = client.get(f"{CREATE}/{created['id']}")
    assert_error(response, 404)
    assert "x-emulator-extra" not in response.headers
    assert client.post(CREATE, json=full_request()).status_code == 201


def test_configurations_lists_the_seeded_configurations(client: TestClient, contract: Contract) -> None:
    # Its own, the one the contract's examples use (what schemathesis sends from openapi.yaml), the second account's.
    example = contract.node("request", "configurationId")["examples"][0]
    listed = client.get(f"{CONTROL}/configurations").json()["configurations"]
    assert [(c["id"], c["accountId"]) for c in listed] == [
        (DEFAULT_CONFIGURATION_ID, DEFAULT_ACCOUNT_SID),
        (example, DEFAULT_ACCOUNT_SID),
        (DEFAULT_SECOND_CONFIGURATION_ID, DEFAULT_SECOND_CREDENTIALS.account_sid),
    ]
    assert all(contract.errors("configuration", c["settings"]) == [] for c in listed)


def test_faults_round_trip(client: TestClient) -> None:
    added = client.post(
        f"{CONTROL}/faults", json={"fault": "wrong_status", "status": 200, "count": 2, "route": "create"}
    )
    assert added.status_code == 201
    assert added.json() == {"id": 1, "fault": "wrong_status", "route": "create", "params": {"status": 200},
                            "count": 2, "remaining": 2, "hits": 0}  # fmt: skip
    listing = client.get(f"{CONTROL}/faults").json()
    assert set(listing["available"]) == set(FAULTS)
    assert listing["available"]["slow"]["params"] == {
        "ms": {"type": "int", "default": 200, "nullable": False, "minimum": 0, "maximum": 600_000}
    }
    assert [a["fault"] for a in listing["active"]] == ["wrong_status"]
    assert client.post(CREATE, json=full_request()).status_code == 200
    assert client.get(f"{CONTROL}/faults").json()["active"][0]["remaining"] == 1
    assert client.delete(f"{CONTROL}/faults").json() == {"cleared": 1}
    assert client.post(CREATE, json=full_request()).status_code == 201


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"count": 1}', b'{"fault": "nope"}', b'{"fault": "slow", "ms": "x"}',
     b'{"fault": "status_500", "count": -1}', b'{"fault": "status_500", "route": 5}'],
)  # fmt: skip
def test_bad_fault_requests_get_the_error_body(client: TestClient, body: bytes) -> None:
    assert_error(client.post(f"{CONTROL}/faults", content=body), 400, 20001)
    assert client.get(f"{CONTROL}/faults").json()["active"] == []


def test_unknown_control_paths_and_methods(client: TestClient) -> None:
    assert_error(client.get(f"{CONTROL}/nothing"), 404)
    assert_error(client.get(f"{CONTROL}/reset"), 405)
