"""Every registered fault changes the response the way its description says (and only while active)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conformance.contract.schemas import load_contract
from conformance.emulator.faults import FAULTS, FaultError, FaultInjector
from conformance.emulator.models import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_SECOND_CONFIGURATION_ID,
    DEFAULT_SECOND_CREDENTIALS,
)

from .conftest import CREATE, assert_error, full_request

Case = Callable[[TestClient, FaultInjector], None]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(func: Case) -> Case:
        CASES[name] = func
        return func

    return register


def create(client: TestClient, body: Any = None, **kwargs: Any) -> httpx.Response:
    return client.post(CREATE, json=full_request() if body is None else body, **kwargs)


def schema_errors(body: Any) -> list[str]:
    return [e.message for e in load_contract().errors("conversation", body)]


@case("status_500")
def _status_500(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("status_500")
    assert_error(create(client), 500, 20500)
    assert_error(client.get(f"{CREATE}/x"), 500)


@case("status_503")
def _status_503(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("status_503", count=1)
    response = create(client)
    assert_error(response, 503, 20503)
    assert "retry-after" not in response.headers
    faults.inject("status_503", count=1, retry_after=7)
    assert create(client).headers["retry-after"] == "7"


@case("rate_limit")
def _rate_limit(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("rate_limit", retry_after=3)
    response = create(client)
    assert_error(response, 429, 20429)
    assert response.headers["retry-after"] == "3"
    faults.clear()
    faults.inject("rate_limit", retry_after=None)  # a 429 without Retry-After, never "Retry-After: None"
    response = create(client)
    assert_error(response, 429, 20429)
    assert "retry-after" not in response.headers


@case("wrong_status")
def _wrong_status(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("wrong_status", status=200, route="create")
    response = create(client)
    assert response.status_code == 200 and schema_errors(response.json()) == []


@case("missing_field")
def _missing_field(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("missing_field", count=1)
    assert "id" not in create(client).json()
    faults.inject("missing_field", field="participants.0.conversationId")
    body = create(client).json()
    assert "conversationId" not in body["participants"][0] and "conversationId" in body["participants"][1]


@case("wrong_type")
def _wrong_type(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("wrong_type", field="participants.1.name")
    body = create(client).json()
    assert not isinstance(body["participants"][1]["name"], str) and isinstance(body["participants"][0]["name"], str)
    assert schema_errors(body)


@case("not_echoed")
def _not_echoed(client: TestClient, faults: FaultInjector) -> None:
    request = full_request()
    faults.inject("not_echoed", count=1)
    assert create(client, request).json()["name"] != request["name"]
    faults.inject("not_echoed", count=1, field="configurationId")
    assert create(client, request).json()["configurationId"] != request["configurationId"]
    faults.inject("not_echoed", count=1, field="participants.0.name")
    assert create(client, request).json()["participants"][0]["name"] != request["participants"][0]["name"]


@case("bad_timestamp")
def _bad_timestamp(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("bad_timestamp")
    body = create(client).json()
    assert any("createdAt" in e or "date-time" in e for e in schema_errors(body)), body["createdAt"]


@case("updated_before_created")
def _updated_before_created(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("updated_before_created")
    body = create(client).json()
    assert body["updatedAt"] < body["createdAt"] and schema_errors(body) == []


@case("wrong_content_type")
def _wrong_content_type(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("wrong_content_type")
    response = create(client)
    assert response.status_code == 201 and response.headers["content-type"].startswith("text/plain")


@case("invalid_json")
def _invalid_json(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("invalid_json")
    response = create(client)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@case("extra_field")
def _extra_field(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("extra_field", count=1)
    assert create(client).json()["metadata"] == {"emulator": "extra"}
    faults.inject("extra_field", count=1, field="participants.0.nickname", value="Ace")
    assert create(client).json()["participants"][0]["nickname"] == "Ace"


@case("unknown_enum")
def _unknown_enum(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("unknown_enum")
    body = create(client).json()
    assert body["status"] == "ARCHIVED" and schema_errors(body)


@case("extra_header")
def _extra_header(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("extra_header")
    assert create(client).headers["x-emulator-extra"] == "1"
    faults.clear()
    faults.inject("extra_header", name="X-Vendor-Trace", value="abc")  # 'name' is a fault parameter here
    assert create(client).headers["x-vendor-trace"] == "abc"


@case("wrong_account")
def _wrong_account(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("wrong_account")
    body = create(client).json()
    assert body["accountId"] != DEFAULT_ACCOUNT_SID
    assert {p["accountId"] for p in body["participants"]} == {body["accountId"]}  # only the account is wrong


@case("participant_mismatch")
def _participant_mismatch(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("participant_mismatch", count=1)
    body = create(client).json()
    assert body["participants"][0]["conversationId"] != body["id"]
    faults.inject("participant_mismatch", count=1, field="accountId", index=2)
    body = create(client).json()
    assert body["participants"][2]["accountId"] != body["accountId"]


@case("participants_reordered")
def _participants_reordered(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("participants_reordered")
    assert [p["name"] for p in create(client).json()["participants"]] == ["Bot", "Bob", "Ada"]


@case("participants_dropped")
def _participants_dropped(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("participants_dropped")
    assert [p["name"] for p in create(client).json()["participants"]] == ["Ada", "Bob"]


@case("duplicate_ids")
def _duplicate_ids(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("duplicate_ids", route="create")
    first, second = create(client).json(), create(client).json()
    assert first["id"] == second["id"]
    assert {p["conversationId"] for p in second["participants"]} == {second["id"]}


@case("accept_invalid")
def _accept_invalid(client: TestClient, faults: FaultInjector) -> None:
    invalid = {"configurationId": 5, "name": 7, "participants": [{"type": "ROBOT", "name": "r"}] * 51}
    assert_error(create(client, invalid), 400)
    faults.inject("accept_invalid")
    response = create(client, invalid)
    assert response.status_code == 201 and schema_errors(response.json()) == []
    assert len(response.json()["participants"]) == 51


@case("error_body_wrong")
def _error_body_wrong(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("error_body_wrong", count=1)
    body = create(client, auth=None, headers={"authorization": ""}).json()
    assert "more_info" not in body and body["status"] == 401
    faults.inject("error_body_wrong", count=1, mode="status_mismatch")
    response = create(client, {"configurationId": "nope"})
    assert response.status_code == 404 and response.json()["status"] != 404
    assert create(client).status_code == 201  # success bodies are left alone


@case("ignore_auth_everything")
def _ignore_auth(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("ignore_auth")
    assert create(client, headers={"authorization": "Basic d3Jvbmc6d3Jvbmc="}).status_code == 201
    response = client.get(f"{CREATE}/{create(client).json()['id']}", headers={"authorization": "Bearer x"})
    assert response.status_code == 200


def basic(username: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@case("ignore_auth")
def _ignore_auth_by_mode(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("ignore_auth", mode="unknown_user", form="account")
    assert create(client, auth=None, headers=basic("AC" + "7" * 32, "x")).status_code == 201  # a stranger, account form
    assert_error(create(client, auth=None, headers=basic("SK" + "7" * 32, "x")), 401, 20003)  # the other form
    assert_error(create(client, auth=None, headers=basic(DEFAULT_ACCOUNT_SID, "x")), 401, 20003)  # a wrong secret
    assert_error(create(client, auth=None, headers={"authorization": "Bearer x"}), 401, 20003)  # malformed
    faults.clear()
    faults.inject("ignore_auth", mode="secret_case")
    assert create(client, auth=None, headers=basic(DEFAULT_API_KEY, DEFAULT_API_SECRET.upper())).status_code == 201
    assert_error(create(client, auth=None, headers=basic(DEFAULT_API_KEY, DEFAULT_API_SECRET + "x")), 401, 20003)
    faults.clear()
    faults.inject("ignore_auth", mode="bearer_credentials")
    token = base64.b64encode(f"{DEFAULT_API_KEY}:{DEFAULT_API_SECRET}".encode()).decode()
    assert create(client, auth=None, headers={"authorization": f"Bearer {token}"}).status_code == 201
    faults.clear()
    faults.inject("ignore_auth", mode="malformed")
    assert create(client, auth=None, headers={"authorization": "Basic !!"}).status_code == 201
    assert_error(create(client, auth=None, headers=basic(DEFAULT_ACCOUNT_SID, "x")), 401, 20003)


SECOND = basic(DEFAULT_SECOND_CREDENTIALS.api_key or "", DEFAULT_SECOND_CREDENTIALS.api_secret or "")
SECOND_BY_SID = basic(DEFAULT_SECOND_CREDENTIALS.account_sid, DEFAULT_SECOND_CREDENTIALS.auth_token or "")


def _first_accounts_conversation(client: TestClient) -> str:
    return create(client).json()["id"]


@case("cross_account_read")
def _cross_account_read(client: TestClient, faults: FaultInjector) -> None:
    theirs = _first_accounts_conversation(client)
    assert_error(client.get(f"{CREATE}/{theirs}", auth=None, headers=SECOND), 404, 20404)  # faithful first
    faults.inject("cross_account_read", form="account")
    assert_error(client.get(f"{CREATE}/{theirs}", auth=None, headers=SECOND), 404, 20404)  # the API key form: no
    handed = client.get(f"{CREATE}/{theirs}", auth=None, headers=SECOND_BY_SID)
    assert handed.status_code == 200 and handed.json()["accountId"] == DEFAULT_ACCOUNT_SID
    assert_error(client.get(f"{CREATE}/conv_conversation_never", auth=None, headers=SECOND_BY_SID), 404, 20404)


@case("cross_account_forbidden")
def _cross_account_forbidden(client: TestClient, faults: FaultInjector) -> None:
    theirs = _first_accounts_conversation(client)
    faults.inject("cross_account_forbidden")
    assert_error(client.get(f"{CREATE}/{theirs}", auth=None, headers=SECOND), 403)
    assert_error(client.get(f"{CREATE}/conv_conversation_never", auth=None, headers=SECOND), 404, 20404)
    assert client.get(f"{CREATE}/{theirs}").status_code == 200  # its own account still reads it


@case("cross_account_message")
def _cross_account_message(client: TestClient, faults: FaultInjector) -> None:
    theirs = _first_accounts_conversation(client)
    faults.inject("cross_account_message")
    body = assert_error(client.get(f"{CREATE}/{theirs}", auth=None, headers=SECOND), 404, 20404)
    assert "another account" in body["message"]
    never = assert_error(client.get(f"{CREATE}/conv_conversation_never", auth=None, headers=SECOND), 404, 20404)
    assert "another account" not in never["message"]


@case("cross_account_configuration")
def _cross_account_configuration(client: TestClient, faults: FaultInjector) -> None:
    assert_error(create(client, auth=None, headers=SECOND), 404, 20404)  # the first account's configuration
    faults.inject("cross_account_configuration")
    created = create(client, auth=None, headers=SECOND)
    assert created.status_code == 201 and created.json()["accountId"] == DEFAULT_SECOND_CREDENTIALS.account_sid
    assert_error(create(client, full_request(configurationId="conv_configuration_none"), auth=None, headers=SECOND),
                 404, 20404)  # fmt: skip


@case("foreign_account_id")
def _foreign_account_id(client: TestClient, faults: FaultInjector) -> None:
    own = full_request(configurationId=DEFAULT_SECOND_CONFIGURATION_ID)
    faults.inject("foreign_account_id")
    body = create(client, own, auth=None, headers=SECOND).json()
    assert body["accountId"] == DEFAULT_ACCOUNT_SID
    assert {p["accountId"] for p in body["participants"]} == {DEFAULT_ACCOUNT_SID}
    fetched = client.get(f"{CREATE}/{body['id']}", auth=None, headers=SECOND).json()
    assert fetched["accountId"] == DEFAULT_ACCOUNT_SID
    assert create(client).json()["accountId"] == DEFAULT_ACCOUNT_SID  # the primary's own, untouched


@case("first_item_only")
def _first_item_only(client: TestClient, faults: FaultInjector) -> None:
    later = full_request(participants=[{"name": "Ada"}, {"name": 7}])
    assert_error(create(client, later), 400, 20001)
    faults.inject("first_item_only")
    assert create(client, later).status_code == 201
    assert_error(create(client, full_request(participants=[{"name": 7}])), 400, 20001)  # the first is still checked


@case("auth_after_validation")
def _auth_after_validation(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("auth_after_validation")
    assert_error(create(client, {"participants": 1}, auth=None, headers={"authorization": ""}), 400, 20001)
    assert_error(create(client, auth=None, headers={"authorization": ""}), 401, 20003)  # valid body: still refused


@case("lenient_enums")
def _lenient_enums(client: TestClient, faults: FaultInjector) -> None:
    padded = full_request(participants=[{"type": " customer", "addresses": [{"channel": "sms ", "address": "+1"}]}])
    assert_error(create(client, padded), 400, 20001)
    faults.inject("lenient_enums")
    participant = create(client, padded).json()["participants"][0]
    assert participant["type"] == "CUSTOMER" and participant["addresses"][0]["channel"] == "SMS"


@case("max_items_off_by_one")
def _max_items_off_by_one(client: TestClient, faults: FaultInjector) -> None:
    full = full_request(participants=[{"name": f"P{i}"} for i in range(50)])
    faults.inject("max_items_off_by_one", count=1)
    assert_error(create(client, full), 400, 20001)
    faults.inject("max_items_off_by_one", count=1, direction="accept_past_limit")
    past = create(client, full_request(configuration={"intelligenceConfigurationIds": list("abcdef")}))
    assert past.status_code == 201 and past.json()["configuration"]["intelligenceConfigurationIds"] == list("abcde")


@case("error_code")
def _error_code(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("error_code", status=401, code=20001)
    assert_error(create(client, auth=None, headers={"authorization": ""}), 401, 20001)
    assert_error(create(client, {"configurationId": "nope"}), 404, 20404)  # other statuses keep their code


@case("fetch_unknown")
def _fetch_unknown(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("fetch_unknown")
    response = client.get(f"{CREATE}/conv_conversation_never")
    assert response.status_code == 200 and response.json()["id"]


@case("mangle_strings")
def _mangle_strings(client: TestClient, faults: FaultInjector) -> None:
    sent = {"name": "  x" * 600, "profileId": "Cafe\u0301",
            "addresses": [{"channel": "CHAT", "address": "\U0001f600"}]}  # fmt: skip
    expected = {"truncate": ("  x" * 600)[:1000], "strip": "x" + "  x" * 599, "nfc": "Caf\u00e9",
                "drop_astral": "\ufffd"}  # fmt: skip
    for mode, value in expected.items():
        faults.inject("mangle_strings", count=1, mode=mode)
        participant = create(client, full_request(participants=[sent])).json()["participants"][0]
        assert value in (participant["name"], participant["profileId"], participant["addresses"][0]["address"])


@case("append_to_names")
def _append_to_names(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("append_to_names", longer_than=3)
    sent = [{"name": "Ann", "type": "CUSTOMER"}, {"name": "Solo", "type": "AI_AGENT"}]
    returned = create(client, full_request(participants=sent)).json()["participants"]
    assert sorted(p["name"] for p in returned) == ["Ann", "Solo-altered"]


@case("stale_timestamps")
def _stale_timestamps(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("stale_timestamps", scope="participants")
    body = create(client).json()
    assert body["createdAt"] != "2023-07-01T12:00:00Z"
    assert {p["createdAt"] for p in body["participants"]} == {"2023-07-01T12:00:00Z"}


@case("omit_optional")
def _omit_optional(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("omit_optional")
    body = create(client).json()
    assert set(body) == {"id", "accountId", "configurationId", "participants"}
    assert all(set(p) == {"id", "conversationId", "accountId"} for p in body["participants"])
    assert schema_errors(body) == []


@case("fetch_mismatch")
def _fetch_mismatch(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("fetch_mismatch")
    created = create(client).json()
    assert created["name"] == "Support Chat"
    assert client.get(f"{CREATE}/{created['id']}").json()["name"] != created["name"]


@case("fetch_not_found")
def _fetch_not_found(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("fetch_not_found")
    created = create(client)
    assert created.status_code == 201
    assert_error(client.get(f"{CREATE}/{created.json()['id']}"), 404, 20404)


@case("slow")
def _slow(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("slow", ms=250, count=1)
    started = time.monotonic()
    assert create(client).status_code == 201
    assert time.monotonic() - started >= 0.25


@case("every_other")
def _every_other(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("every_other", field="name")
    names = [create(client).json()["name"] for _ in range(4)]
    assert names == ["Support Chat-altered", "Support Chat", "Support Chat-altered", "Support Chat"]


@case("echo_authorization")
def _echo_authorization(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("echo_authorization")
    wrong = "Basic " + base64.b64encode(f"{DEFAULT_API_KEY}:{DEFAULT_API_SECRET}x".encode()).decode()
    body = create(client, auth=None, headers={"authorization": wrong}).json()
    assert body["status"] == 401 and body["message"].endswith(f"(Authorization: {wrong})")
    assert body["more_info"].endswith(f"?authorization={quote(wrong, safe='')}#{wrong.removeprefix('Basic ')}")
    body = create(client, {"configurationId": "nope"}).json()  # any error, with the valid credentials too
    assert body["status"] == 404 and "(Authorization: Basic " in body["message"]
    assert create(client).status_code == 201  # a success is left alone


@case("echo_request")
def _echo_request(client: TestClient, faults: FaultInjector) -> None:
    decode: dict[str, Callable[[str], str]] = {
        "base64": lambda v: base64.b64decode(v).decode("latin-1"),
        "base64url": lambda v: base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)).decode("latin-1"),
        "percent": unquote,
        "json": json.loads,
    }
    for encoding, undo in decode.items():
        faults.inject("echo_request", count=1, name=f"X-Echo-{encoding}", encoding=encoding)
        response = client.get(f"{CREATE}/conv_conversation_x?probe=1")
        echoed = undo(response.headers[f"x-echo-{encoding}"])
        assert echoed.startswith("GET /v2/Conversations/conv_conversation_x?probe=1 HTTP/1.1\r\n"), echoed
        assert f"authorization: {response.request.headers['authorization']}\r\n" in echoed
    with pytest.raises(FaultError, match="encoding must be one of"):
        faults.inject("echo_request", encoding="rot13")


@case("loose_references")
def _loose_references(client: TestClient, faults: FaultInjector) -> None:
    real = full_request()["configurationId"]
    assert_error(create(client, full_request(configurationId=f" {real.upper()}\u0301 ")), 404)
    faults.inject("loose_references")
    assert create(client, full_request(configurationId=f" {real.upper()}\u0301 ")).json()["configurationId"] == real
    faults.clear()
    faults.inject("loose_references", mode="crash")
    assert_error(create(client, full_request(configurationId=real + "\u00e9")), 500)
    assert create(client).status_code == 201


@case("foreign_ids")
def _foreign_ids(client: TestClient, faults: FaultInjector) -> None:
    participant = create(client).json()["participants"][0]["id"]
    faults.inject("foreign_ids")
    assert_error(client.get(f"{CREATE}/{participant}"), 400)
    assert_error(client.get(f"{CREATE}/conv_conversation_none"), 404)  # a conversation id: still 404
    faults.clear()
    faults.inject("foreign_ids", mode="crash")
    assert_error(client.get(f"{CREATE}/{participant}"), 500)


@case("null_for_values")
def _null_for_values(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("null_for_values")
    body = create(client).json()
    assert [p["name"] for p in body["participants"]] == [None, None, None] and body["name"] == "Support Chat"
    faults.clear()
    faults.inject("null_for_values", mode="empty_names")
    body = create(client, full_request(name="")).json()
    assert body["name"] is None and body["participants"][0]["name"] == "Ada"


@case("dedupe_arrays")
def _dedupe_arrays(client: TestClient, faults: FaultInjector) -> None:
    twice = {"channel": "SMS", "address": "+18005550100"}
    ada = {"name": "Ada", "type": "CUSTOMER", "addresses": [twice, twice]}
    body = full_request(configuration={"intelligenceConfigurationIds": ["i", "i", "j"]}, participants=[ada, ada])
    faults.inject("dedupe_arrays")
    assert create(client, body).json()["configuration"]["intelligenceConfigurationIds"] == ["i", "j"]
    faults.clear()
    faults.inject("dedupe_arrays", array="addresses")
    assert [len(p["addresses"]) for p in create(client, body).json()["participants"]] == [1, 1]
    faults.clear()
    faults.inject("dedupe_arrays", array="participants")
    assert len(create(client, body).json()["participants"]) == 1


@case("wire_departure")
def _wire_departure(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("wire_departure", count=1)
    assert create(client).content.startswith(b"\xef\xbb\xbf{")
    faults.inject("wire_departure", mode="nan", count=1)
    assert b'"score":NaN' in create(client).content
    faults.inject("wire_departure", mode="utf16", count=1)
    assert json.loads(create(client).content)["name"] == "Support Chat"  # UTF-16, which Python still reads
    faults.inject("wire_departure", mode="repeated_name", count=1)
    assert create(client).content.count(b'"id":"conv_conversation_') == 2
    faults.inject("wire_departure", mode="charset", count=1)
    assert create(client).headers["content-type"] == "application/json; charset=iso-8859-1"


@case("sticky_override")
def _sticky_override(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("sticky_override")
    plain = {k: v for k, v in full_request().items() if k != "configuration"}
    stored = create(client, plain).json()["configuration"]
    assert "intelligence_1" not in stored.get("intelligenceConfigurationIds", [])
    assert create(client).json()["configuration"]["intelligenceConfigurationIds"] == [
        "intelligence_1",
        "intelligence_2",
    ]
    assert create(client, plain).json()["configuration"]["intelligenceConfigurationIds"] == [
        "intelligence_1", "intelligence_2"]  # fmt: skip


@case("leak_addresses")
def _leak_addresses(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("leak_addresses")
    first = create(client).json()["participants"][0]["addresses"][0]
    alone = {"name": "Cy", "type": "CUSTOMER", "profileId": "mem_profile_other"}
    participants = create(client, full_request(participants=[alone, {"name": "Dee"}])).json()["participants"]
    assert participants[0]["addresses"] == [first]
    assert not participants[1].get("addresses")  # no profile: nothing added


@case("refuse_null")
def _refuse_null(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("refuse_null")
    assert_error(create(client, full_request(name=None)), 400)
    assert_error(create(client, full_request(participants=[{"name": None}])), 400)
    assert create(client).status_code == 201


@case("any_content_type")
def _any_content_type(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("any_content_type")
    body = json.dumps(full_request()).encode()
    assert client.post(CREATE, content=body, headers={"Content-Type": "text/plain"}).status_code == 201


@case("cached_name")
def _cached_name(client: TestClient, faults: FaultInjector) -> None:
    faults.inject("cached_name")
    assert create(client).json()["name"] == "Support Chat"
    unnamed = {k: v for k, v in full_request().items() if k != "name"}
    assert create(client, unnamed).json()["name"] == "Support Chat"


def test_every_registered_fault_has_a_case() -> None:
    assert set(CASES) - {"ignore_auth_everything"} == set(FAULTS)
    assert all(f.doc and "\n" not in f.doc for f in FAULTS.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_fault_changes_the_response(app: Starlette, client: TestClient, name: str) -> None:
    CASES[name](client, app.state.faults)
    app.state.faults.clear()
    response = create(client)
    assert response.status_code == 201 and schema_errors(response.json()) == []
    assert response.json()["name"] == "Support Chat" and "x-emulator-extra" not in response.headers


def test_count_limits_a_fault_to_the_next_n_requests(app: Starlette, client: TestClient) -> None:
    app.state.faults.inject("status_500", count=2)
    assert [create(client).status_code for _ in range(3)] == [500, 500, 201]
    assert app.state.faults.active() == []


def test_count_only_uses_requests_the_fault_changed(app: Starlette, client: TestClient) -> None:
    app.state.faults.inject("participants_reordered", count=1)
    assert (
        create(client, {"configurationId": full_request()["configurationId"]}).status_code == 201
    )  # nothing to reorder
    assert [p["name"] for p in create(client).json()["participants"]] == ["Bot", "Bob", "Ada"]
    assert [p["name"] for p in create(client).json()["participants"]] == ["Ada", "Bob", "Bot"]


def test_route_restricts_a_fault(app: Starlette, client: TestClient) -> None:
    app.state.faults.inject("status_500", route="fetch")
    created = create(client)
    assert created.status_code == 201
    assert_error(client.get(f"{CREATE}/{created.json()['id']}"), 500)


@pytest.mark.parametrize(
    ("name", "kwargs", "problem"),
    [
        ("no_such_fault", {}, "unknown fault"),
        ("status_500", {"count": 0}, "count"),
        ("status_500", {"route": "delete"}, "route"),
        ("fetch_not_found", {"route": "create"}, "applies to"),
        ("slow", {"seconds": 1}, "no parameter"),
        ("slow", {"ms": "fast"}, "must be int"),
        ("wrong_status", {"status": True}, "must be int"),
        ("wrong_status", {"status": 42}, "HTTP status"),
        ("error_body_wrong", {"mode": "other"}, "mode"),
        ("ignore_auth", {"mode": "sometimes"}, "mode must be one of"),
        ("ignore_auth", {"form": "token"}, "form must be one of"),
        ("mangle_strings", {"mode": "upper"}, "mode must be one of"),
        ("wrong_status", {"status": None}, "status must not be null"),
        ("slow", {"ms": None}, "ms must not be null"),
        ("participant_mismatch", {"index": None}, "index must not be null"),
        ("slow", {"ms": -1}, "at least 0"),
        ("slow", {"ms": 10**400}, "at most 600000"),
        ("echo_authorization", {"padding": 10**9}, "at most"),
        ("fetch_unknown", {"status": 10**6}, "HTTP status"),
        ("extra_header", {"name": "\u2603"}, "header name"),
        ("extra_header", {"value": "a\r\nSet-Cookie: x=1"}, "header value"),
        ("echo_request", {"name": "X Echo"}, "header name"),
    ],
)
def test_bad_fault_requests_are_refused(name: str, kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(FaultError, match=problem):
        FaultInjector().inject(name, **kwargs)


@pytest.mark.parametrize(
    ("name", "param"),
    [("extra_field", "value"), ("rate_limit", "retry_after"), ("status_503", "retry_after"),
     ("echo_authorization", "padding")],
)  # fmt: skip
def test_null_is_a_value_where_a_parameter_says_so(name: str, param: str) -> None:
    assert FAULTS[name].params[param].nullable
    assert FaultInjector().inject(name, **{param: None}).params[param] is None
