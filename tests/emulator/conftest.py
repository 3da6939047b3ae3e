"""Fixtures for the emulator's tests: an in-process app behind Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conformance.contract.schemas import Contract, load_contract
from conformance.emulator.models import DEFAULT_CONFIGURATION_ID, DEFAULT_CREDENTIALS
from conformance.emulator.server import create_app

CREATE = "/v2/Conversations"
API_KEY_AUTH = (DEFAULT_CREDENTIALS.api_key or "", DEFAULT_CREDENTIALS.api_secret or "")
ACCOUNT_AUTH = (DEFAULT_CREDENTIALS.account_sid, DEFAULT_CREDENTIALS.auth_token or "")


def full_request(**changes: Any) -> dict[str, Any]:
    """A create body using every documented request field."""
    body: dict[str, Any] = {
        "configurationId": DEFAULT_CONFIGURATION_ID,
        "name": "Support Chat",
        "configuration": {"intelligenceConfigurationIds": ["intelligence_1", "intelligence_2"]},
        "participants": [
            {"name": "Ada", "type": "CUSTOMER", "profileId": "mem_profile_01k1etk2y5f1y9fpe2epfdtvv2",
             "addresses": [{"channel": "SMS", "address": "+18005550100", "channelId": "SM" + "0" * 32}]},
            {"name": "Bob", "type": "HUMAN_AGENT", "addresses": [{"channel": "CHAT", "address": "agent-7"}]},
            {"name": "Bot", "type": "AI_AGENT"},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture
def app() -> Starlette:
    return create_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        test_client.auth = API_KEY_AUTH
        yield test_client


def assert_error(response: httpx.Response, status: int, code: int | None = None) -> dict[str, Any]:
    """The response is the vendor error body for ``status`` (exactly four fields); returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert load_contract().is_valid("error", body), body
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    if code is not None:
        assert body["code"] == code
    return body
