"""Each check passes a faithful response and fails (or warns on) the deviation it exists for.

These use recorded-style responses built by hand; tests/runs/ proves the same against emulator faults.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance.cases import Case
from conformance.checks import CHECKS, RunState
from conformance.contract import load_contract
from conformance.exchange import Exchange
from conformance.runner import run_checks

ACCOUNT = "AC" + "a" * 32
CONFIG = "conv_configuration_01k1etx3jbfx88476ccja0889d"
CONV = "conv_conversation_01k1etk2y5f1y9fpe2epfdtvv2"
TEXT = {"content-type": "text/plain"}
REQUEST = {
    "configurationId": CONFIG,
    "name": "Support Chat",
    "configuration": {"intelligenceConfigurationIds": ["intel_1"]},
    "participants": [
        {"name": "Ada", "type": "CUSTOMER", "profileId": "mem_profile_1",
         "addresses": [{"channel": "SMS", "address": "+18005550100"}]},
        {"name": "Bot", "type": "AI_AGENT"},
    ],
}  # fmt: skip


def conversation(**changes: Any) -> dict[str, Any]:
    body = {
        "id": CONV,
        "accountId": ACCOUNT,
        "configurationId": CONFIG,
        "status": "ACTIVE",
        "name": "Support Chat",
        "createdAt": "2026-11-24T10:00:00Z",
        "updatedAt": "2026-11-24T10:00:00Z",
        "configuration": {"displayName": "Default", "intelligenceConfigurationIds": ["intel_1"],
                          "memoryExtractionEnabled": False},
        "participants": [
            {"id": "conv_participant_01k1etk2y5f1y9fpe2epfdtvv3", "conversationId": CONV,
             "accountId": ACCOUNT, "name": "Ada", "type": "CUSTOMER", "profileId": "mem_profile_1",
             "addresses": [{"channel": "SMS", "address": "+18005550100"}],
             "createdAt": "2026-11-24T10:00:00Z", "updatedAt": "2026-11-24T10:00:00Z"},
            {"id": "conv_participant_01k1etk2y5f1y9fpe2epfdtvv4", "conversationId": CONV,
             "accountId": ACCOUNT, "name": "Bot", "type": "AI_AGENT", "addresses": [],
             "createdAt": "2026-11-24T10:00:00Z", "updatedAt": "2026-11-24T10:00:00Z"},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def exchange(status: int, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None,
             method: str = "POST") -> Exchange:  # fmt: skip
    response_headers = {"content-type": "application/json", **(headers or {})}
    return Exchange(method, "http://127.0.0.1:1/v2/Conversations", {"Content-Type": "application/json"},
                    json.dumps(REQUEST).encode(), "valid", status, response_headers,
                    raw if raw is not None else json.dumps(body).encode())  # fmt: skip


def error(status: int, code: int) -> dict[str, Any]:
    return {"code": code, "message": "m", "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


VALID = Case("valid/0000", "valid", "valid: test", 201, REQUEST)
INVALID = Case("invalid/participants.maxItems/0", "invalid", "invalid: participants breaks maxItems", 400,
               {"configurationId": CONFIG, "participants": [{}] * 51}, constraint="participants.maxItems")  # fmt: skip
UNKNOWN = Case(
    "unknown_configuration/0", "unknown_configuration", "unknown", 404, {"configurationId": "conv_configuration_x"}
)
AUTH = Case("auth/none", "auth", "credentials: none", 401, {"configurationId": CONFIG}, auth="none")


def outcomes(case: Case, response: Exchange, fetched: Exchange | None = None,
             state: RunState | None = None) -> dict[str, tuple[str, str]]:  # fmt: skip
    state = state or RunState(load_contract(), ACCOUNT)
    return {r.check: (r.outcome, r.message) for r in run_checks(case, response, fetched, state)}


def failing(results: dict[str, tuple[str, str]]) -> set[str]:
    return {name for name, (outcome, _) in results.items() if outcome in ("failed", "warned")}


def test_a_faithful_create_passes_every_check() -> None:
    body = conversation()
    results = outcomes(VALID, exchange(201, body), exchange(200, body, method="GET"))
    assert failing(results) == set()
    ran = {name for name, (outcome, _) in results.items() if outcome == "passed"}
    assert {"response_schema_conformance", "request_echo", "account_identity", "unique_ids", "timestamp_order",
            "read_back", "positive_data_acceptance", "content_type_conformance"} <= ran  # fmt: skip


@pytest.mark.parametrize(
    ("case", "response"),
    [
        (INVALID, exchange(400, error(400, 20001))),
        (UNKNOWN, exchange(404, error(404, 20404))),
        (AUTH, exchange(401, error(401, 20003), {"www-authenticate": 'Basic realm="Twilio API"'})),
    ],
)
def test_faithful_refusals_pass_every_check(case: Case, response: Exchange) -> None:
    results = outcomes(case, response)
    assert failing(results) == set()
    assert results["error_body_conformance"][0] == "passed"


def _without(path: str) -> dict[str, Any]:
    body = conversation()
    target: Any = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    del target[last]
    return body


def _participants(transform) -> dict[str, Any]:
    body = conversation()
    body["participants"] = transform(copy.deepcopy(body["participants"]))
    return body


DEVIATIONS = [
    # (check that must object, case, response, fetched)
    ("no_server_error", VALID, exchange(500, error(500, 20500)), None),
    ("status_code_conformance", VALID, exchange(418, error(418, 20001)), None),
    ("positive_data_acceptance", VALID, exchange(200, conversation()), None),
    ("negative_data_rejection", INVALID, exchange(201, conversation()), None),
    ("unknown_configuration_rejection", UNKNOWN, exchange(400, error(400, 20001)), None),
    ("ignored_auth", AUTH, exchange(201, conversation()), None),
    ("content_type_conformance", VALID, exchange(201, None, TEXT, json.dumps(conversation()).encode()), None),
    ("content_type_conformance", VALID, exchange(201, None, raw=b'{"id": '), None),
    ("response_schema_conformance", VALID, exchange(201, _without("id")), None),
    ("response_schema_conformance", VALID, exchange(201, conversation(participants={"0": "x"})), None),
    ("response_schema_conformance", VALID, exchange(201, conversation(createdAt="2026-11-24 10:00:00")), None),
    ("error_body_conformance", INVALID, exchange(400, {**error(400, 20001), "code": "20001"}), None),
    ("error_body_conformance", INVALID, exchange(400, {"code": 20001, "message": "m", "status": 400}), None),
    ("error_body_conformance", INVALID, exchange(400, error(404, 20001)), None),
    ("error_code_conformance", INVALID, exchange(400, error(400, 12345)), None),
    ("conflict_header", VALID, exchange(409, error(409, 20409)), None),
    ("request_echo", VALID, exchange(201, conversation(name="Other")), None),
    ("request_echo", VALID, exchange(201, conversation(configurationId="conv_configuration_other")), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: p[::-1])), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: p[:1])), None),
    ("request_echo", VALID, exchange(201, conversation(configuration={"intelligenceConfigurationIds": []})), None),
    ("account_identity", VALID, exchange(201, conversation(accountId="AC" + "b" * 32)), None),
    ("account_identity", VALID, exchange(201, _participants(lambda p: [{**p[0], "conversationId": "x"}, p[1]])), None),
    ("timestamp_order", VALID, exchange(201, conversation(updatedAt="2026-11-24T09:00:00Z")), None),
    ("read_back", VALID, exchange(201, conversation()), exchange(404, error(404, 20404), method="GET")),
    ("read_back", VALID, exchange(201, conversation()), exchange(200, conversation(name="Changed"), method="GET")),
    ("undocumented_fields", VALID, exchange(201, conversation(metadata={"k": "v"}, actionId="x")), None),
    ("undocumented_enum_values", VALID, exchange(201, conversation(status="ARCHIVED")), None),
    ("undocumented_headers", VALID, exchange(201, conversation(), {"x-vendor-thing": "1"}), None),
]  # fmt: skip


@pytest.mark.parametrize(("check", "case", "response", "fetched"), DEVIATIONS,
                         ids=[f"{d[0]}-{i}" for i, d in enumerate(DEVIATIONS)])  # fmt: skip
def test_each_check_catches_its_deviation(check: str, case: Case, response: Exchange, fetched: Exchange | None) -> None:
    outcome, message = outcomes(case, response, fetched)[check]
    expected = "failed" if CHECKS[check].severity == "fail" else "warned"
    assert outcome == expected, message
    assert message  # a failure always says what was expected and what came back


def test_every_registered_check_has_a_deviation_test() -> None:
    assert set(CHECKS) - {"unique_ids"} <= {d[0] for d in DEVIATIONS}


def test_unique_ids_catches_a_repeated_id_across_the_run() -> None:
    state = RunState(load_contract(), ACCOUNT)
    assert outcomes(VALID, exchange(201, conversation()), state=state)["unique_ids"][0] == "passed"
    outcome, message = outcomes(VALID, exchange(201, conversation()), state=state)["unique_ids"]
    assert outcome == "failed" and "already returned" in message


def test_drift_is_a_warning_but_a_retyped_field_is_a_failure() -> None:
    results = outcomes(VALID, exchange(201, conversation(metadata={"a": "b"}, status="ARCHIVED")))
    assert results["undocumented_fields"][0] == "warned"
    assert results["undocumented_enum_values"][0] == "warned"
    assert results["response_schema_conformance"][0] == "passed"
    assert outcomes(VALID, exchange(201, conversation(status=3)))["response_schema_conformance"][0] == "failed"


def test_name_omitted_must_come_back_null() -> None:
    case = Case("valid/0001", "valid", "valid", 201, {"configurationId": CONFIG})
    faithful = conversation(name=None, participants=[], configuration={})
    assert outcomes(case, exchange(201, faithful))["request_echo"][0] == "passed"
    outcome, message = outcomes(case, exchange(201, conversation(participants=[], name="invented")))["request_echo"]
    assert outcome == "failed" and "name" in message


def test_the_drift_checks_are_registered_warnings() -> None:
    from conformance.drift import DRIFT_CHECKS

    assert all(CHECKS[name].severity == "warn" for name in DRIFT_CHECKS)


def test_drift_findings_are_kept_whole_even_with_commas_in_them() -> None:
    from conformance.results import CaseResult, RunResult

    response = exchange(201, conversation(status="NEW, SHINY"), {"x-vendor-thing": "1"})
    checks = run_checks(VALID, response, None, RunState(load_contract(), ACCOUNT))
    result = RunResult("r", "emulator", "u", 1, 1, "t", cases=[CaseResult(VALID, "passed", response, None, checks)])
    assert result.to_json()["undocumented"] == {"fields": [], "enum_values": ["status=NEW, SHINY"],
                                                "headers": ["x-vendor-thing"]}  # fmt: skip
