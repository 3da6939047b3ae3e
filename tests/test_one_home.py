"""Facts that parallel work once wrote twice, each pinned to its one home: a test fails if a copy drifts back."""

from __future__ import annotations

import base64

import pytest

from conformance.contract.schemas import load_contract
from conformance.emulator.faults import CREDENTIAL_FORMS, FaultError, FaultInjector
from conformance.emulator.responses import _decoded, _form_of, _username_form
from conformance.judge.checks.isolation import _message
from conformance.kinds import AuthMode, CaseKind, CredentialForm
from conformance.plan.access import NeverCreated, never_created_id, not_found_cases
from conformance.plan.cases import Case, build_plan
from conformance.send.exchange import Exchange
from conformance.vendor import CONVERSATION_ID_PREFIX


def test_each_purpose_sends_its_own_never_created_id() -> None:
    suffixes = {never_created_id(7, purpose)[-26:] for purpose in NeverCreated}
    assert len(suffixes) == len(NeverCreated)  # no two purposes share the random part, whatever their prefix
    assert len(not_found_cases(7)) < min(NeverCreated)  # the not_found cases' indices stay below the table


@pytest.mark.parametrize("fault", ["ignore_auth", "cross_account_read"])
def test_the_faults_take_the_credential_forms_of_kinds(fault: str) -> None:
    assert ("any", *CredentialForm) == CREDENTIAL_FORMS
    for form in CREDENTIAL_FORMS:
        FaultInjector().inject(fault, form=form)
    with pytest.raises(FaultError, match="form must be one of any, api_key, account"):
        FaultInjector().inject(fault, form="token")


def basic(username: str, password: str | None, scheme: str = "Basic") -> str:
    token = username if password is None else f"{username}:{password}"
    return f"{scheme} " + base64.b64encode(token.encode()).decode()


def test_one_reading_of_a_basic_header_and_of_its_username_s_form() -> None:
    assert _decoded(basic("SK1", "s:x")) == ("basic", "SK1", "s:x")
    assert _decoded(basic("AC1", None, "BEARER")) == ("bearer", "AC1", None)
    assert _decoded("Basic !!") == ("basic", None, None) and _decoded(None) == ("", "", None)
    assert (_form_of("AC1"), _form_of("ac1"), _form_of("SK1"), _form_of("")) == (
        CredentialForm.ACCOUNT, CredentialForm.ACCOUNT, CredentialForm.API_KEY, CredentialForm.API_KEY)  # fmt: skip
    assert (_username_form(basic("AC1", "x")), _username_form("Basic !!")) == ("account", "any")


def test_the_isolation_check_masks_ids_of_the_vendor_s_prefix() -> None:
    named = f"The requested resource /v2/Conversations/{CONVERSATION_ID_PREFIX}0123abc was not found"
    exchange = Exchange("GET", "http://127.0.0.1:1/v2/Conversations/x", {}, b"", "valid", status=404,
                        response_body=f'{{"code": 20404, "message": "{named}"}}'.encode())  # fmt: skip
    assert _message(exchange) == "The requested resource /v2/Conversations/{id} was not found"


def test_each_case_kind_s_expected_status_is_written_once() -> None:
    # the kind is the status's one home: a case cannot be given another one, and every planned case reads it
    assert {kind: kind.expected_status("POST") for kind in CaseKind} == {
        CaseKind.VALID: 201, CaseKind.INVALID: 400, CaseKind.UNKNOWN_CONFIGURATION: 404, CaseKind.AUTH: 401,
        CaseKind.NOT_FOUND: 404, CaseKind.CROSS_ACCOUNT: 404,
    }  # fmt: skip
    assert CaseKind.VALID.expected_status("GET") == 200  # a read of what exists (schemathesis's stateful GETs)
    with pytest.raises(TypeError):
        Case("valid/0000", CaseKind.VALID, "valid", expected_status=201)  # type: ignore[call-arg]
    plan = build_plan(load_contract(), "conv_configuration_x", 3, 4, tuple(CredentialForm), (CredentialForm.API_KEY,),
                      "conv_configuration_y")  # fmt: skip
    for case in plan:
        assert case.expected_status == case.kind.expected_status(case.method)
        assert isinstance(case.kind, CaseKind) and isinstance(case.auth, AuthMode)  # the members, not strings
    assert Case("auth/x", "auth", "a record's strings", auth="none").kind is CaseKind.AUTH  # read back as members
