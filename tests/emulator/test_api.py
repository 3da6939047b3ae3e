"""The vendor routes through the HTTP layer (Starlette TestClient): every documented behaviour."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.contract.schemas import Contract
from conformance.emulator.config import EmulatorSettings
from conformance.emulator.models import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_CONFIGURATION_ID,
    DEFAULT_CREDENTIALS,
    MAX_NESTING,
    Configuration,
    Credentials,
    default_settings,
)
from conformance.emulator.server import create_app
from conformance.vendor import CONFLICTING_RESOURCE_ID_HEADER, IDEMPOTENCY_KEY_HEADER

from .conftest import ACCOUNT_AUTH, API_KEY_AUTH, CREATE, assert_error, full_request

CONVERSATION_ID = re.compile(r"^conv_conversation_[0-9a-z]{26}$")
PARTICIPANT_ID = re.compile(r"^conv_participant_[0-9a-z]{26}$")
WHOLE_SECONDS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def stored_settings(client: TestClient, configuration_id: str = DEFAULT_CONFIGURATION_ID) -> dict[str, Any]:
    listed = client.get("/__emulator__/configurations").json()["configurations"]
    return next(c["settings"] for c in listed if c["id"] == configuration_id)


# --- 201 ------------------------------------------------------------------------------


def test_create_answers_201_with_the_full_conversation(client: TestClient, contract: Contract) -> None:
    request = full_request()
    response = client.post(CREATE, json=request)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert contract.errors("conversation", body) == []
    assert CONVERSATION_ID.match(body["id"])
    assert body["accountId"] == DEFAULT_ACCOUNT_SID
    assert body["configurationId"] == DEFAULT_CONFIGURATION_ID
    assert body["status"] == "ACTIVE"
    assert body["name"] == "Support Chat"
    assert WHOLE_SECONDS_Z.match(body["createdAt"]) and body["createdAt"] == body["updatedAt"]


def test_configuration_is_the_stored_one_with_overrides_applied(client: TestClient, contract: Contract) -> None:
    request = full_request(configuration={"intelligenceConfigurationIds": ["ic_1"], "memoryExtractionEnabled": True})
    body = client.post(CREATE, json=request).json()
    documented = set(contract.schema("configuration")["properties"])
    assert set(body["configuration"]) == documented
    assert contract.errors("configuration", body["configuration"]) == []
    expected = {**stored_settings(client), "intelligenceConfigurationIds": ["ic_1"]}  # only documented overrides
    assert body["configuration"] == expected


def test_participants_come_back_in_order_with_their_own_ids(client: TestClient) -> None:
    request = full_request()
    body = client.post(CREATE, json=request).json()
    participants = body["participants"]
    assert [p["name"] for p in participants] == ["Ada", "Bob", "Bot"]
    assert len({p["id"] for p in participants} | {body["id"]}) == 4
    for sent, got in zip(request["participants"], participants, strict=True):
        assert PARTICIPANT_ID.match(got["id"])
        assert got["conversationId"] == body["id"] and got["accountId"] == DEFAULT_ACCOUNT_SID
        for field in ("name", "type", "profileId", "addresses"):
            assert got.get(field) == sent.get(field, [] if field == "addresses" else None)
        assert got["createdAt"] == body["createdAt"] == got["updatedAt"]


def test_minimal_request_gets_null_name_no_participants_and_the_stored_configuration(client: TestClient) -> None:
    body = client.post(CREATE, json={"configurationId": DEFAULT_CONFIGURATION_ID}).json()
    assert body["name"] is None and body["participants"] == []
    assert body["configuration"] == stored_settings(client)


def test_fetch_returns_what_create_returned(client: TestClient) -> None:
    created = client.post(CREATE, json=full_request())
    fetched = client.get(f"{CREATE}/{created.json()['id']}")
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/json"
    assert fetched.json() == created.json()


def test_ids_sort_in_creation_order(client: TestClient) -> None:
    ids = [client.post(CREATE, json={"configurationId": DEFAULT_CONFIGURATION_ID}).json()["id"] for _ in range(20)]
    assert ids == sorted(ids) and len(set(ids)) == 20


def test_explicit_null_is_absent(client: TestClient, contract: Contract) -> None:
    sms = {"channel": "SMS", "address": "+18005550100", "channelId": None}
    request = {"configurationId": DEFAULT_CONFIGURATION_ID, "name": None, "configuration": None, "metadata": None,
               "participants": [{"name": None, "type": "CUSTOMER", "profileId": None, "addresses": None},
                                {"name": "Eve", "type": None, "addresses": [sms]}]}  # fmt: skip
    response = client.post(CREATE, json=request)
    assert response.status_code == 201, response.text
    body = response.json()
    assert contract.errors("conversation", body) == []
    assert body["name"] is None
    first, second = body["participants"]
    assert first["name"] is None and "profileId" not in first and first["addresses"] == []
    assert "type" not in second and second["addresses"] == [{"channel": "SMS", "address": "+18005550100"}]


def test_unknown_request_fields_are_ignored(client: TestClient) -> None:
    request = full_request(metadata={"k": "v"}, surprise=[1, 2, {"deep": True}])
    request["participants"][0]["nickname"] = "A"
    request["participants"][0]["addresses"][0]["label"] = "home"
    request["configuration"]["workflows"] = []
    response = client.post(CREATE, json=request)
    assert response.status_code == 201
    body = response.json()
    assert "metadata" not in body and "surprise" not in body and "nickname" not in body["participants"][0]
    assert "label" not in body["participants"][0]["addresses"][0] and "workflows" not in body["configuration"]


def test_lone_surrogate_in_a_string_is_400(client: TestClient) -> None:
    # No UTF-8 text can hold it (issue 10: such strings were a 500 in most places, so all are refused alike).
    raw = b'{"configurationId": "%s", "name": "\\ud800x"}' % DEFAULT_CONFIGURATION_ID.encode()
    response = client.post(CREATE, content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400, 20001)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"])
def test_json_content_type_with_utf8_charset_is_accepted(client: TestClient, content_type: str) -> None:
    body = json.dumps({"configurationId": DEFAULT_CONFIGURATION_ID}).encode()
    assert client.post(CREATE, content=body, headers={"content-type": content_type}).status_code == 201


# --- 400 ------------------------------------------------------------------------------

INVALID = {
    "missing configurationId": ({"name": "x"}, "configurationId"),
    "null configurationId": ({"configurationId": None}, "configurationId"),
    "non-string configurationId": ({"configurationId": 5}, "configurationId"),
    "non-string name": (full_request(name=5), "name"),
    "51 participants": (full_request(participants=[{"name": "p"}] * 51), "participants"),
    "participants not an array": (full_request(participants="Ada"), "participants"),
    "participant not an object": (full_request(participants=[{"name": "a"}, 7]), "participants[1]"),
    "unknown participant type": (full_request(participants=[{}, {}, {}, {"type": "ROBOT"}]), "participants[3].type"),
    "unknown channel": (full_request(participants=[{"addresses": [{"channel": "FAX", "address": "1"}]}]),
                        "participants[0].addresses[0].channel"),
    "address without address": (full_request(participants=[{"addresses": [{"channel": "SMS"}]}]),
                                "participants[0].addresses[0].address"),
    "six intelligence ids": (full_request(configuration={"intelligenceConfigurationIds": list("abcdef")}),
                             "configuration.intelligenceConfigurationIds"),
    "configuration not an object": (full_request(configuration=[]), "configuration"),
    "body is an array": ([full_request()], "JSON object"),
    "body is a string": ("conversation", "JSON object"),
}  # fmt: skip


@pytest.mark.parametrize(("body", "field"), INVALID.values(), ids=INVALID.keys())
def test_invalid_requests_get_400_naming_the_field(client: TestClient, body: Any, field: str) -> None:
    error = assert_error(client.post(CREATE, json=body), 400, 20001)
    assert field in error["message"]


def test_the_51st_participant_is_the_limit(client: TestClient) -> None:
    assert client.post(CREATE, json=full_request(participants=[{"name": "p"}] * 50)).status_code == 201


RAW_INVALID = {
    "malformed JSON": b'{"configurationId": ',
    "trailing garbage": b'{"configurationId": "x"} x',
    "empty body": b"",
    "invalid UTF-8": b'{"configurationId": "\xff\xfe"}',
    "UTF-8 BOM": b'\xef\xbb\xbf{"configurationId": "x"}',
    "NaN": b'{"configurationId": "x", "n": NaN}',
    "deeply nested JSON": b'{"configurationId": "x", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "nested past the limit": b'{"configurationId": "x", "n": ' + b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)
    + b"}",
    "huge integer": b'{"configurationId": "x", "n": ' + b"9" * 5000 + b"}",
}  # fmt: skip


@pytest.mark.parametrize("raw", RAW_INVALID.values(), ids=RAW_INVALID.keys())
def test_unparseable_bodies_get_400(client: TestClient, raw: bytes) -> None:
    assert_error(client.post(CREATE, content=raw, headers={"content-type": "application/json"}), 400, 20001)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1", "application/jsonx"])  # fmt: skip
def test_wrong_content_type_gets_400(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps(full_request()).encode()
    error = assert_error(client.post(CREATE, content=body, headers=headers), 400, 20001)
    assert "Content-Type" in error["message"]


# --- 413, 404, 405 --------------------------------------------------------------------


def test_body_over_one_mebibyte_gets_413(client: TestClient) -> None:
    big = json.dumps(full_request(name="x" * (1024 * 1024))).encode()
    assert_error(client.post(CREATE, content=big, headers={"content-type": "application/json"}), 413)


def test_chunked_body_over_the_limit_gets_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        yield b'{"configurationId": "x", "name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    assert_error(client.post(CREATE, content=chunks(), headers={"content-type": "application/json"}), 413)


def test_unknown_configuration_gets_404(client: TestClient) -> None:
    error = assert_error(client.post(CREATE, json=full_request(configurationId="conv_configuration_nope")), 404, 20404)
    assert "conv_configuration_nope" in error["message"]


@pytest.mark.parametrize("conversation_id", ["conv_conversation_01k1etk2y5f1y9fpe2epfdtvv2", "x", "%00", "..%2f"])
def test_unknown_conversation_gets_404(client: TestClient, conversation_id: str) -> None:
    assert_error(client.get(f"{CREATE}/{conversation_id}"), 404, 20404)


@pytest.mark.parametrize(
    "path", ["/", "/v1/Conversations", "/v2/Conversations/", "/v2/conversations", "/v2/Conversations/a/b"]
)
def test_unknown_paths_get_404(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, 20404)
    assert_error(client.post(path, json=full_request()), 404, 20404)


WRONG_METHODS = [("GET", CREATE, "POST"), ("PUT", CREATE, "POST"), ("DELETE", CREATE + "/x", "GET"),
                 ("PATCH", CREATE + "/x", "GET"), ("POST", CREATE + "/x", "GET")]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "allowed"), WRONG_METHODS)
def test_wrong_methods_get_405(client: TestClient, method: str, path: str, allowed: str) -> None:
    response = client.request(method, path)
    assert_error(response, 405)
    assert allowed in response.headers["allow"]


# --- 401 ------------------------------------------------------------------------------


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


BAD_AUTH = {
    "none": {},
    "wrong token": {"authorization": basic(DEFAULT_ACCOUNT_SID, "wrong")},
    "wrong secret": {"authorization": basic(DEFAULT_CREDENTIALS.api_key or "", "x")},
    "unknown user": {"authorization": basic("AC" + "1" * 32, "emulator_auth_token")},
    "token for the key": {"authorization": basic(DEFAULT_CREDENTIALS.api_key or "",
                                                           DEFAULT_CREDENTIALS.auth_token or "")},
    "bearer": {"authorization": "Bearer abc"},
    "not base64": {"authorization": "Basic ***"},
    "no colon": {"authorization": "Basic " + "QUNhYmM="},
    "not utf-8": {"authorization": "Basic /w=="},
}  # fmt: skip


@pytest.mark.parametrize("headers", BAD_AUTH.values(), ids=BAD_AUTH.keys())
@pytest.mark.parametrize("route", ["create", "fetch"])
def test_without_valid_basic_credentials_401(app: Any, headers: dict[str, str], route: str) -> None:
    with TestClient(app, base_url="http://127.0.0.1") as anonymous:
        if route == "create":
            response = anonymous.post(CREATE, json=full_request(), headers=headers)
        else:
            response = anonymous.get(f"{CREATE}/conv_conversation_01k1etk2y5f1y9fpe2epfdtvv2", headers=headers)
    assert_error(response, 401, 20003)
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("auth", [API_KEY_AUTH, ACCOUNT_AUTH], ids=["api key + secret", "account sid + auth token"])
def test_both_credential_forms_work(client: TestClient, auth: tuple[str, str]) -> None:
    created = client.post(CREATE, json=full_request(), auth=auth)
    assert created.status_code == 201 and created.json()["accountId"] == DEFAULT_ACCOUNT_SID
    other = ACCOUNT_AUTH if auth == API_KEY_AUTH else API_KEY_AUTH  # same account, other form
    assert client.get(f"{CREATE}/{created.json()['id']}", auth=other).status_code == 200


def test_accounts_are_scoped() -> None:
    other = Credentials("AC" + "b" * 32, "other_token")
    theirs = Configuration(
        "conv_configuration_theirs", other.account_sid, default_settings("conv_configuration_theirs")
    )
    app = create_app(accounts=(DEFAULT_CREDENTIALS, other), configurations=(theirs,))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        mine = client.post(CREATE, json=full_request(), auth=API_KEY_AUTH).json()
        other_auth = (other.account_sid, "other_token")
        assert_error(client.get(f"{CREATE}/{mine['id']}", auth=other_auth), 404, 20404)
        assert_error(client.post(CREATE, json=full_request(), auth=other_auth), 404, 20404)  # not their configuration
        body = client.post(CREATE, json=full_request(configurationId=theirs.id), auth=other_auth).json()
        assert body["accountId"] == other.account_sid
        assert {p["accountId"] for p in body["participants"]} == {other.account_sid}
        assert_error(client.post(CREATE, json=full_request(configurationId=theirs.id), auth=API_KEY_AUTH), 404)


# --- idempotency ----------------------------------------------------------------------


def conversations(client: TestClient) -> int:
    return client.get("/__emulator__/health").json()["conversations"]


def test_same_key_same_body_replays_the_original_201(client: TestClient) -> None:
    first = client.post(CREATE, json=full_request(), headers={IDEMPOTENCY_KEY_HEADER: "k-1"})
    before = conversations(client)
    reordered = dict(reversed(list(full_request().items())))  # same body, other key order
    again = client.post(CREATE, json=reordered, headers={IDEMPOTENCY_KEY_HEADER: "k-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert conversations(client) == before


def test_same_key_different_body_conflicts(client: TestClient) -> None:
    first = client.post(CREATE, json=full_request(), headers={IDEMPOTENCY_KEY_HEADER: "k-2"}).json()
    before = conversations(client)
    response = client.post(CREATE, json=full_request(name="Other"), headers={IDEMPOTENCY_KEY_HEADER: "k-2"})
    assert_error(response, 409, 20409)
    assert response.headers[CONFLICTING_RESOURCE_ID_HEADER] == first["id"]
    assert conversations(client) == before


def test_keys_are_per_account_and_absent_keys_always_create(client: TestClient) -> None:
    other = Credentials("AC" + "c" * 32, "t")
    app = create_app(accounts=(DEFAULT_CREDENTIALS, other),
                     configurations=(Configuration(DEFAULT_CONFIGURATION_ID, other.account_sid, {}),))  # fmt: skip
    with TestClient(app, base_url="http://127.0.0.1") as both:
        key = {IDEMPOTENCY_KEY_HEADER: "k"}
        mine = both.post(CREATE, json=full_request(), headers=key, auth=API_KEY_AUTH)
        theirs = both.post(CREATE, json=full_request(name="x"), headers=key, auth=(other.account_sid, "t"))
        assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    ids = {client.post(CREATE, json=full_request()).json()["id"] for _ in range(3)}
    assert len(ids) == 3


def test_overlong_idempotency_key_is_400(client: TestClient) -> None:
    assert_error(client.post(CREATE, json=full_request(), headers={IDEMPOTENCY_KEY_HEADER: "k" * 256}), 400)


# --- 429 ------------------------------------------------------------------------------


def test_rate_limit_is_off_by_default(client: TestClient) -> None:
    assert {client.post(CREATE, json=full_request()).status_code for _ in range(60)} == {201}


def test_rate_limit_answers_429_with_retry_after() -> None:
    app = create_app(rate_limit=0.5, rate_burst=2)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        statuses = [client.post(CREATE, json=full_request(), auth=API_KEY_AUTH).status_code for _ in range(2)]
        assert statuses == [201, 201]
        response = client.get(f"{CREATE}/x", auth=API_KEY_AUTH)  # fetches count too
        assert_error(response, 429, 20429)
        assert int(response.headers["retry-after"]) >= 1


# --- deterministic mode ---------------------------------------------------------------


def run_script(settings: EmulatorSettings) -> list[bytes]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        client.auth = API_KEY_AUTH
        out = []
        for i in range(3):
            created = client.post(CREATE, json=full_request(name=f"n{i}"))
            out += [created.content, client.get(f"{CREATE}/{created.json()['id']}").content]
        out.append(client.post(CREATE, json={"configurationId": "nope"}).content)
        return out


def test_deterministic_runs_are_byte_identical() -> None:
    first = run_script(EmulatorSettings(deterministic=True, seed=7))
    assert first == run_script(EmulatorSettings(deterministic=True, seed=7))
    assert first != run_script(EmulatorSettings(deterministic=True, seed=8))
    created = [json.loads(first[i]) for i in (0, 2, 4)]
    assert [c["createdAt"] for c in created] == ["2025-01-01T00:00:00Z", "2025-01-01T00:00:01Z", "2025-01-01T00:00:02Z"]


def test_reset_restarts_the_deterministic_sequence() -> None:
    app = create_app(deterministic=True, seed=3)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.auth = API_KEY_AUTH
        before = client.post(CREATE, json=full_request()).content
        client.post("/__emulator__/reset")
        assert client.post(CREATE, json=full_request()).content == before
