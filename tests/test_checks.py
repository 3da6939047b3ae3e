"""Each check passes a faithful response and fails (or warns on) the deviation it exists for.

These use recorded-style responses built by hand; tests/runs/ proves the same against emulator faults.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract.schemas import load_contract
from conformance.judge.checks import CHECKS, RunState
from conformance.judge.verdicts import run_checks
from conformance.kinds import CaseKind, Severity
from conformance.plan.cases import Case
from conformance.send.exchange import Exchange

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


VALID = Case("valid/0000", "valid", "valid: test", REQUEST)
INVALID = Case("invalid/participants.maxItems/0", "invalid", "invalid: participants breaks maxItems",
               {"configurationId": CONFIG, "participants": [{}] * 51}, constraint="participants.maxItems")  # fmt: skip
UNKNOWN = Case(
    "unknown_configuration/0", "unknown_configuration", "unknown", {"configurationId": "conv_configuration_x"}
)
AUTH = Case("auth/none", "auth", "credentials: none", {"configurationId": CONFIG}, auth="none")
NOT_FOUND = Case("not_found/0", "not_found", "never created", raw_body=b"", content_type=None, method="GET",
                 path="/v2/Conversations/conv_conversation_none")  # fmt: skip
SECOND_ACCOUNT = "AC" + "5ec0" * 8
CROSS_READ = Case("cross_account/read/second_reads_first/api_key", "cross_account", "the second account reading the "
                  "first's conversation", raw_body=b"", content_type=None, method="GET", path=f"/v2/Conversations/"
                  f"{CONV}", credentials="api_key", account="second")  # fmt: skip
SECOND_CREATES = Case("cross_account/create/second/api_key", "valid", "valid: the second account creating",
                      REQUEST, credentials="api_key", account="second")  # fmt: skip
CREATED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()  # what conversation() says


def timed(response: Exchange, at: float = CREATED_AT) -> Exchange:
    """The exchange as the client stamps it: sent and answered at ``at`` (wall clock)."""
    response.sent_at, response.received_at = at - 0.1, at + 0.1
    return response


def outcomes(case: Case, response: Exchange, fetched: Exchange | None = None,
             state: RunState | None = None) -> dict[str, tuple[str, str]]:  # fmt: skip
    state = state or RunState(load_contract(), ACCOUNT)
    return {r.check: (r.outcome, r.message) for r in run_checks(case, response, fetched, state)}


def failing(results: dict[str, tuple[str, str]]) -> set[str]:
    return {name for name, (outcome, _) in results.items() if outcome in ("failed", "warned")}


def test_a_faithful_create_passes_every_check() -> None:
    body = conversation()
    results = outcomes(VALID, timed(exchange(201, body)), timed(exchange(200, body, method="GET")))
    assert failing(results) == set()
    ran = {name for name, (outcome, _) in results.items() if outcome == "passed"}
    assert {"response_schema_conformance", "request_echo", "account_identity", "unique_ids", "timestamp_order",
            "timestamp_freshness", "read_back", "positive_data_acceptance",
            "content_type_conformance"} <= ran  # fmt: skip


@pytest.mark.parametrize(
    ("case", "response"),
    [
        (INVALID, exchange(400, error(400, 20001))),
        (UNKNOWN, exchange(404, error(404, 20404))),
        (AUTH, exchange(401, error(401, 20003), {"www-authenticate": 'Basic realm="Twilio API"'})),
        (NOT_FOUND, exchange(404, error(404, 20404), method="GET")),
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
    ("error_body_conformance", NOT_FOUND, exchange(404, {**error(404, 20404), "more_info": "see 20404"}), None),
    ("error_code_conformance", AUTH, exchange(401, error(401, 20001)), None),
    ("error_code_examples", INVALID, exchange(400, error(400, 12345)), None),
    ("unknown_id_rejection", NOT_FOUND, exchange(200, conversation()), None),
    ("error_body_conformance", INVALID, exchange(400, {**error(400, 20001), "message": "  "}), None),
    ("error_body_conformance", INVALID, exchange(400, {**error(400, 20001), "code": 2**32 + 20001}), None),
    ("error_code_conformance", INVALID, exchange(400, error(400, 20003)), None),
    ("error_code_examples", INVALID, exchange(400, {**error(400, 20001), "more_info": error(400, 20002)["more_info"]}),
     None),
    ("response_schema_conformance", VALID, exchange(201, [conversation()]), None),
    ("response_schema_conformance", VALID, exchange(201, None), None),
    ("conflict_header", VALID, exchange(409, error(409, 20409)), None),
    ("request_echo", VALID, exchange(201, conversation(name="Other")), None),
    ("request_echo", VALID, exchange(201, conversation(configurationId="conv_configuration_other")), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: [{**p[0], "name": "Eve"}, p[1]])), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: [{**p[0], "addresses": []}, p[1]])), None),
    ("request_echo", VALID, exchange(201, conversation(name="Support Chat ")), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: [p[0], {**p[1], "profileId": "mem_profile_x"}])),
     None),  # the docs resolve profileId only for CUSTOMER participants
    ("request_echo", VALID, exchange(201, _participants(lambda p: [p[0], {**p[1], "addresses": p[0]["addresses"]}])),
     None),  # addresses nobody sent
    ("timestamp_freshness", VALID, timed(exchange(201, conversation(createdAt="2016-01-01t00:00:00z",
                                                                    updatedAt="2016-01-01t00:00:00z"))), None),
    ("unreturned_members", VALID, exchange(201, _without("name")), None),
    ("request_echo", VALID, exchange(201, conversation(name=None)), None),  # null is a value, not an absence
    ("null_as_absent", replace(VALID, payload={**REQUEST, "name": None}), exchange(400, error(400, 20001)), None),
    ("content_type_enforced", replace(INVALID, constraint="content_type", description="invalid: Content-Type absent"),
     exchange(201, conversation()), None),
    ("strict_json", VALID, exchange(201, None, raw=b"\xef\xbb\xbf" + json.dumps(conversation()).encode()), None),
    ("strict_json", VALID, exchange(201, None, raw=json.dumps({**conversation(), "score": float("nan")}).encode()),
     None),
    ("strict_json", VALID, exchange(201, None, raw=json.dumps(conversation()).encode("utf-16")), None),
    ("repeated_member_names", VALID,
     exchange(201, None, raw=b'{"id":"decoy",' + json.dumps(conversation()).encode()[1:]), None),
    ("content_type_conformance", VALID,
     exchange(201, conversation(), {"content-type": "application/json; charset=latin-1"}), None),
    ("request_echo", replace(VALID, payload={"configurationId": CONFIG, "configuration": {
        "intelligenceConfigurationIds": ["i", "i"]}}), exchange(201, conversation(
        participants=[], name=None, configuration={"intelligenceConfigurationIds": ["i"]})), None),  # sent twice
    ("request_echo", VALID, exchange(201, _participants(lambda p: [{**p[0], "name": None}, p[1]])), None),
    ("unknown_configuration_rejection", replace(UNKNOWN, constraint="configurationId.case"),
     exchange(201, conversation()), None),  # a real id in another case names nothing
    ("unknown_id_rejection", replace(NOT_FOUND, path="/v2/Conversations/conv_participant_x"),
     exchange(400, error(400, 20001), method="GET"), None),  # another kind's id: 404, not 400
    ("unreturned_members", VALID, exchange(201, _without("participants")), None),
    ("participant_order", VALID, exchange(201, _participants(lambda p: p[::-1])), None),
    ("request_echo", VALID, exchange(201, _participants(lambda p: p[:1])), None),
    ("request_echo", VALID, exchange(201, conversation(configuration={"intelligenceConfigurationIds": []})), None),
    ("account_identity", VALID, exchange(201, conversation(accountId="AC" + "b" * 32)), None),
    ("account_identity", SECOND_CREATES, exchange(201, conversation()), None),  # the first account's accountId
    ("cross_account_isolation", CROSS_READ, exchange(200, conversation(), method="GET"), None),
    ("cross_account_isolation", CROSS_READ, exchange(403, error(403, 20403), method="GET"), None),
    ("cross_account_isolation", CROSS_READ, exchange(404, {"message": "not found"}, method="GET"), None),
    ("account_identity", VALID, exchange(201, _participants(lambda p: [{**p[0], "conversationId": "x"}, p[1]])), None),
    ("timestamp_order", VALID, exchange(201, conversation(updatedAt="2026-11-24T09:00:00Z")), None),
    ("timestamp_freshness", VALID, timed(exchange(201, conversation()), datetime.now(UTC).timestamp()), None),
    ("timestamp_freshness", VALID, timed(exchange(201, conversation(createdAt="2023-07-01T12:00:00Z",
                                                                    updatedAt="2023-07-01T12:00:00Z"))), None),
    ("timestamp_freshness", VALID, timed(exchange(201, conversation())),
     timed(exchange(200, conversation(createdAt="2023-07-01T12:00:00Z"), method="GET"))),
    ("read_back", VALID, exchange(201, conversation()), exchange(404, error(404, 20404), method="GET")),
    ("read_back", VALID, exchange(201, conversation()), exchange(200, conversation(name="Changed"), method="GET")),
    ("read_back", VALID, exchange(201, conversation()), exchange(200, _participants(lambda p: p[:1]), method="GET")),
    ("read_back", VALID, exchange(201, conversation()), exchange(200, conversation(), {"content-type": "text/html"},
                                                                 method="GET")),
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
    run_wide_or_warning = {"unique_ids", "request_isolation", "existence_oracle"}  # below
    assert set(CHECKS) - run_wide_or_warning <= {d[0] for d in DEVIATIONS}


def test_a_cross_account_read_must_look_like_an_id_that_never_existed() -> None:
    """The caller's own GET of a never-created id is the baseline: other members or code fail, a message warns."""
    state = RunState(load_contract(), ACCOUNT, second_account_sid=SECOND_ACCOUNT)
    baseline = {**error(404, 20404), "message": "The requested resource /v2/Conversations/conv_conversation_none "
                "was not found"}  # fmt: skip
    never = exchange(404, baseline, method="GET")
    same = {**baseline, "message": baseline["message"].replace("conv_conversation_none", CONV)}
    assert failing(outcomes(CROSS_READ, exchange(404, same, method="GET"), never, state)) == set()
    oracle = outcomes(CROSS_READ, exchange(404, {**same, "message": "Conversation belongs to another account"},
                                           method="GET"), never, state)  # fmt: skip
    assert failing(oracle) == {"existence_oracle"} and "exists" in oracle["existence_oracle"][1]
    told_apart = outcomes(CROSS_READ, exchange(404, {**same, "owner": "AC1"}, method="GET"), never, state)
    assert told_apart["cross_account_isolation"][0] == "failed" and "body members" in told_apart[
        "cross_account_isolation"][1]  # fmt: skip
    assert outcomes(SECOND_CREATES, exchange(201, conversation(accountId=SECOND_ACCOUNT, participants=[])),
                    state=state)["account_identity"][0] == "passed"  # fmt: skip


def test_unique_ids_catches_a_repeated_id_across_the_run() -> None:
    state = RunState(load_contract(), ACCOUNT)
    assert outcomes(VALID, exchange(201, conversation()), state=state)["unique_ids"][0] == "passed"
    outcome, message = outcomes(VALID, exchange(201, conversation()), state=state)["unique_ids"]
    assert outcome == "failed" and "already returned" in message


def test_the_docs_decide_what_drift_fails() -> None:
    """child-properties, "Drift": an additive field is reported, an unknown enum value or a retyped field fails."""
    results = outcomes(VALID, exchange(201, conversation(metadata={"a": "b"}, status="ARCHIVED")))
    assert results["undocumented_fields"][0] == "warned"
    assert results["undocumented_enum_values"][0] == "failed"
    assert results["response_schema_conformance"][0] == "passed"
    assert outcomes(VALID, exchange(201, conversation(status=3)))["response_schema_conformance"][0] == "failed"


def test_a_users_policy_changes_a_checks_severity() -> None:
    state = RunState(load_contract(), ACCOUNT, severities={"undocumented_enum_values": "warn"})
    response = exchange(201, conversation(status="ARCHIVED"))
    assert outcomes(VALID, response, state=state)["undocumented_enum_values"][0] == "warned"


def test_only_the_stated_error_code_fails_an_example_code_is_reported() -> None:
    assert outcomes(AUTH, exchange(401, error(401, 20001)))["error_code_conformance"][0] == "failed"
    results = outcomes(INVALID, exchange(400, error(400, 20002)))
    assert results["error_code_examples"][0] == "warned" and "error_code_conformance" not in failing(results)


@pytest.mark.parametrize("response", [
    conversation(name=None, participants=[], configuration={}),  # nothing sent, so any name
    conversation(participants=[], name="Named by the vendor"),
])  # fmt: skip
def test_a_name_not_sent_may_come_back_any_way(response: dict[str, Any]) -> None:
    case = Case("valid/0001", "valid", "valid", {"configurationId": CONFIG})
    assert failing(outcomes(case, exchange(201, response))) == set()


@pytest.mark.parametrize("response", [
    _without("configuration"),  # the override cannot be judged: nothing is demanded
    _without("name"),
    _without("participants"),
    _participants(lambda p: [{k: v for k, v in x.items() if k in ("id", "conversationId", "accountId")} for x in p]),
    _participants(lambda p: p[::-1]),  # the docs promise no order
    conversation(configuration={"displayName": "Default"}),
    conversation(createdAt="2026-11-24T10:00:00.000+00:00"),  # the same instant, written another way
])  # fmt: skip
def test_optional_members_are_never_demanded(response: dict[str, Any]) -> None:
    results = outcomes(VALID, exchange(201, response), exchange(200, response, method="GET"))
    assert {name for name, (outcome, _) in results.items() if outcome == "failed"} == set()


def test_a_read_back_may_add_members_but_not_lose_or_change_them() -> None:
    created = conversation()
    added = outcomes(VALID, exchange(201, created), exchange(200, conversation(actionId="act_1"), method="GET"))
    assert added["read_back"][0] == "passed" and added["undocumented_fields"][0] == "warned"
    shorter = {k: v for k, v in created.items() if k != "configuration"}
    assert outcomes(VALID, exchange(201, shorter), exchange(200, created, method="GET"))["read_back"][0] == "passed"
    assert outcomes(VALID, exchange(201, created), exchange(200, shorter, method="GET"))["read_back"][0] == "failed"


def test_without_a_known_account_every_conversation_of_the_run_has_the_same_one() -> None:
    state = RunState(load_contract(), None)
    assert outcomes(VALID, exchange(201, conversation()), state=state)["account_identity"][0] == "passed"
    other = "AC" + "b" * 32
    moved = conversation(accountId=other, participants=[])
    outcome, message = outcomes(VALID, exchange(201, moved), state=state)["account_identity"]
    assert outcome == "failed" and "earlier conversations" in message


def test_a_read_back_may_list_participants_in_another_order() -> None:
    created = conversation()
    results = outcomes(VALID, exchange(201, created), exchange(200, _participants(lambda p: p[::-1]), method="GET"))
    assert results["read_back"][0] == "passed"


def test_messages_show_values_as_json_and_say_how_invisible_differences_differ() -> None:
    message = outcomes(VALID, exchange(201, conversation(name="Support Chat ")))["request_echo"][1]
    assert 'name sent "Support Chat", got "Support Chat "' in message and "whitespace" in message
    message = outcomes(VALID, exchange(201, conversation(accountId=ACCOUNT.upper())))["account_identity"][1]
    assert "differs only in letter case" in message


def test_the_drift_checks_follow_the_docs_severity() -> None:
    from conformance.judge.drift import DRIFT_CHECKS

    assert {name: CHECKS[name].severity for name in DRIFT_CHECKS} == {
        "undocumented_fields": "warn", "undocumented_enum_values": "fail", "undocumented_headers": "warn"}  # fmt: skip


def test_drift_findings_are_kept_whole_even_with_commas_in_them() -> None:
    from conformance.judge.verdicts import CaseResult
    from conformance.record.results import RunResult

    response = exchange(201, conversation(status="NEW, SHINY"), {"x-vendor-thing": "1"})
    checks = run_checks(VALID, response, None, RunState(load_contract(), ACCOUNT))
    result = RunResult("r", "emulator", "u", 1, 1, "t", cases=[CaseResult(VALID, "passed", response, None, checks)])
    assert result.to_json()["undocumented"] == {"fields": [], "enum_values": ["status=NEW, SHINY"],
                                                "headers": ["x-vendor-thing"]}  # fmt: skip


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
# Conversation-shaped bodies with any member of any JSON type: what a broken vendor might send.
ODD_CONVERSATIONS = st.fixed_dictionaries(
    {},
    optional={key: JSON_VALUES for key in ("id", "accountId", "configurationId", "name", "status", "createdAt",
                                            "updatedAt", "configuration")}
    | {"participants": st.lists(st.dictionaries(st.sampled_from(["id", "name", "type", "profileId", "addresses",
                                                                 "conversationId", "createdAt"]), JSON_VALUES),
                                max_size=3) | JSON_VALUES},
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(created=ODD_CONVERSATIONS, fetched=ODD_CONVERSATIONS | JSON_VALUES)
def test_no_check_trips_over_an_odd_response(created: dict[str, Any], fetched: Any) -> None:
    """Whatever comes back, every check judges it: none fails with 'could not judge this response'."""
    results = outcomes(VALID, timed(exchange(201, created)), timed(exchange(200, fetched, method="GET")))
    assert not {name: m for name, (_outcome, m) in results.items() if "could not judge" in m}


def _isolation(*responses: tuple[dict[str, Any], dict[str, Any]]) -> tuple[str, str]:
    """request_isolation on the last of several (request, response) pairs judged in one run."""
    state = RunState(load_contract(), ACCOUNT)
    for i, (request, response) in enumerate(responses):
        case = replace(VALID, id=f"valid/{i:04d}", payload=request)
        result = outcomes(case, exchange(201, response), state=state)["request_isolation"]
    return result


def test_request_isolation_catches_what_one_request_leaves_in_another() -> None:
    plain = {k: v for k, v in REQUEST.items() if k != "configuration"}
    base = conversation()
    other = {"intelligenceConfigurationIds": ["intel_9"], "displayName": "Default", "memoryExtractionEnabled": False}
    overridden = {**REQUEST, "configuration": {"intelligenceConfigurationIds": ["intel_9"]}}
    assert _isolation((plain, base), (overridden, conversation(configuration=other)), (plain, base))[0] == "passed"
    outcome, message = _isolation((plain, base), (overridden, conversation(configuration=other)),
                                  (plain, conversation(configuration=other)))  # fmt: skip
    assert outcome == "failed" and "without an override show" in message and "valid/0000" in message
    leaky = {**other, "memoryExtractionEnabled": True}  # the override changed what it did not name
    outcome, message = _isolation((plain, base), (overridden, conversation(configuration=leaky)))
    assert outcome == "failed" and "memoryExtractionEnabled" in message
    stranger = {"channel": "CHAT", "address": "someone-else"}
    elsewhere = {**plain, "participants": [{"name": "Eve", "type": "AGENT", "addresses": [stranger]}]}
    leaked = _participants(lambda p: [{**p[0], "addresses": [*p[0]["addresses"], stranger]}, p[1]])
    assert _isolation((plain, leaked))[0] == "passed"  # a profile may add addresses of its own
    outcome, message = _isolation((elsewhere, conversation(participants=[])), (plain, leaked))
    assert outcome == "failed" and "valid/0000 sent for no profile" in message
    unnamed = {k: v for k, v in plain.items() if k != "name"}
    assert _isolation((unnamed, conversation(name="Named by the vendor")))[0] == "passed"
    outcome, message = _isolation((plain, base), (unnamed, base))  # "Support Chat", sent by the first case
    assert outcome == "failed" and "case valid/0000 sent that name" in message


# --- dispatch by case kind (issue 25): a check made for some kinds is never asked about another -------------------


def test_judging_lists_every_check_in_order_and_which_can_apply_to_the_kind() -> None:
    state = RunState(load_contract(), ACCOUNT, severities={"ignored_auth": "warn"})
    for kind in CaseKind:
        judging = state.judging(kind)
        assert [j.check.name for j in judging] == list(CHECKS)
        not_made_for = {name for name, check in CHECKS.items() if kind not in check.kinds}
        assert {j.check.name for j in judging if not j.can_apply} == not_made_for
        assert state.judging(kind) is judging  # worked out once per kind
    assert {j.check.name: j.severity for j in state.judging(CaseKind.AUTH)}["ignored_auth"] == Severity.WARN
    only = frozenset({"ignored_auth", "no_server_error"})
    assert [j.check.name for j in state.judging(CaseKind.VALID, only)] == ["no_server_error", "ignored_auth"]


def test_the_status_checks_are_each_made_for_one_kind() -> None:
    made_for = {name: set(check.kinds) for name, check in CHECKS.items() if check.kinds != frozenset(CaseKind)}
    assert made_for == {
        "cross_account_isolation": {CaseKind.CROSS_ACCOUNT}, "existence_oracle": {CaseKind.CROSS_ACCOUNT},
        "positive_data_acceptance": {CaseKind.VALID}, "null_as_absent": {CaseKind.VALID},
        "negative_data_rejection": {CaseKind.INVALID}, "content_type_enforced": {CaseKind.INVALID},
        "unknown_configuration_rejection": {CaseKind.UNKNOWN_CONFIGURATION},
        "unknown_id_rejection": {CaseKind.NOT_FOUND}, "ignored_auth": {CaseKind.AUTH},
        "request_echo": {CaseKind.VALID}, "unreturned_members": {CaseKind.VALID},
        "participant_order": {CaseKind.VALID}, "request_isolation": {CaseKind.VALID},
    }  # fmt: skip


def test_a_check_of_another_kind_is_skipped_without_being_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(ctx: Any) -> bool:
        raise AssertionError("asked about a case of a kind it is not made for")

    monkeypatch.setitem(CHECKS, "ignored_auth", replace(CHECKS["ignored_auth"], applies=never))
    body = conversation()
    results = outcomes(VALID, timed(exchange(201, body)), timed(exchange(200, body, method="GET")))
    assert results["ignored_auth"] == ("skipped", "")
    with pytest.raises(AssertionError, match="asked about"):
        outcomes(AUTH, exchange(401, error(401, 20003)))


@pytest.mark.parametrize(("case", "status"), [(VALID, 201), (INVALID, 400), (UNKNOWN, 404), (AUTH, 401),
                                              (NOT_FOUND, 404), (CROSS_READ, 404), (SECOND_CREATES, 201)])  # fmt: skip
def test_the_status_checks_read_the_status_of_the_case_s_kind(case: Case, status: int) -> None:
    assert case.expected_status == status
    results = outcomes(case, exchange(500, error(500, 20500), method=case.method))
    judged = [name for name, (outcome, _) in results.items() if outcome == "failed" and name != "no_server_error"]
    assert any(f"expected {status}" in results[name][1] for name in judged), results
