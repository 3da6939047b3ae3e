"""The adapter in-process: one table for every check, translation, run state, drift opt-in."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import CHECKS as ST_CHECKS
from schemathesis.checks import load_all_checks

from conformance import schemathesis as adapter
from conformance.contract.schemas import OPENAPI_FILE, schemas_dir
from conformance.emulator import EmulatorServer
from conformance.judge.checks import CHECKS


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_path(schemas_dir() / OPENAPI_FILE)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def call(schema: Any, emulator: EmulatorServer, body: Any = None, path: str | None = None) -> tuple[Any, Any]:
    """Send one schemathesis case (a create, or a fetch of ``path``); the case and its response."""
    credentials = emulator.credentials
    if path is None:
        case = schema["/v2/Conversations"]["POST"].Case(body=body, media_type="application/json")
    else:
        case = schema["/v2/Conversations/{id}"]["GET"].Case(path_parameters={"id": path})
    return case, case.call(base_url=emulator.url, auth=(credentials.account_sid, credentials.auth_token))


def verdict(instance: Any, case: Any, response: Any) -> str | None:
    """What schemathesis would get from one of our checks: its failure message, or None."""
    try:
        instance.after_response(None, response, case)
    except AssertionError as failure:
        return str(failure)
    return None


def fresh(check: str) -> Any:
    return ST_CHECKS.get_one(adapter.PREFIX + check)()


def test_every_check_of_ours_is_registered_or_says_why_not() -> None:
    assert set(adapter.REGISTERED).isdisjoint(adapter.NOT_REGISTERED)
    assert set(adapter.REGISTERED) | set(adapter.NOT_REGISTERED) == set(CHECKS)


def test_registered_names_are_prefixed_and_clash_with_no_builtin() -> None:
    load_all_checks()
    names = set(ST_CHECKS.get_all_names())
    ours = {adapter.PREFIX + name for name in adapter.REGISTERED}
    assert ours <= names
    builtins = {n for n in names if ST_CHECKS.get_one(n).__module__.startswith("schemathesis")}
    assert not ours & builtins and not any(b.startswith(adapter.PREFIX) for b in builtins)


def test_null_and_unknown_members_are_read_as_the_contract_reads_them(schema: Any, emulator: EmulatorServer) -> None:
    body = {"configurationId": emulator.configuration_id, "name": None, "extra": 1,
            "participants": [{"name": "A", "x": [], "addresses": [{"channel": "SMS", "address": "+18005550100",
                                                                    "channelId": None, "y": {}}]}]}  # fmt: skip
    case, response = call(schema, emulator, body)
    ours, exchange = adapter.translate(case, response)
    address = {"channel": "SMS", "address": "+18005550100"}
    assert ours.payload == {"configurationId": emulator.configuration_id,
                            "participants": [{"name": "A", "addresses": [address]}]}  # fmt: skip
    assert exchange.status == 201 and "authorization" not in {h.lower() for h in exchange.request_headers}
    assert verdict(fresh("request_echo"), case, response) is None


def test_the_expected_account_comes_from_the_login_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    account = "AC" + "1" * 32
    assert adapter.expected_account({"Authorization": "Basic " + _b64(f"{account}:token")}) == account
    assert adapter.expected_account({"Authorization": "Basic " + _b64("SK" + "2" * 32 + ":secret")}) is None
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", account)
    assert adapter.expected_account({}) == account


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_unique_ids_remembers_across_the_run_but_a_rerun_on_one_response_is_not_a_duplicate(
    schema: Any, emulator: EmulatorServer
) -> None:
    check = fresh("unique_ids")
    case, response = call(schema, emulator, {"configurationId": emulator.configuration_id})
    assert verdict(check, case, response) is None
    assert verdict(check, case, response) is None  # schemathesis may re-run a check
    emulator.inject("duplicate_ids", route="create")
    for _ in range(2):
        case, response = call(schema, emulator, {"configurationId": emulator.configuration_id})
        message = verdict(check, case, response)
    assert message is not None and "already returned" in message


def test_read_back_judges_the_fetch_of_a_conversation_this_run_created(schema: Any, emulator: EmulatorServer) -> None:
    check = fresh("read_back")
    case, response = call(schema, emulator, {"configurationId": emulator.configuration_id, "name": "Kept"})
    assert verdict(check, case, response) is None  # nothing fetched yet
    created = response.json()["id"]
    emulator.inject("fetch_mismatch", route="fetch")
    case, response = call(schema, emulator, path=created)
    message = verdict(check, case, response)
    assert message is not None and "differs from the created one" in message
    other, answer = call(schema, emulator, path="conv_conversation_unknown")
    assert verdict(check, other, answer) is None  # not one of ours: schemathesis judges a 404 itself


def test_drift_passes_unless_opted_in_as_a_failure(
    schema: Any, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.inject("extra_header")
    case, response = call(schema, emulator, {"configurationId": emulator.configuration_id})
    monkeypatch.delenv(adapter.DRIFT_FAILS_ENV, raising=False)
    assert verdict(fresh("undocumented_headers"), case, response) is None
    monkeypatch.setenv(adapter.DRIFT_FAILS_ENV, "1")
    message = verdict(fresh("undocumented_headers"), case, response)
    assert message is not None and "x-emulator-extra" in message


def test_the_adapter_is_written_for_the_pinned_schemathesis() -> None:
    pyproject = (schemas_dir().parent / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"schemathesis=={schemathesis.__version__}"' in pyproject
    assert schemathesis.__version__.startswith(adapter.WRITTEN_FOR + ".")


def test_a_probe_with_an_undocumented_method_is_left_to_schemathesis(
    schema: Any, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """schemathesis sends TRACE and the like to see a 405; our checks judge the documented operations only."""
    monkeypatch.setenv(adapter.DRIFT_FAILS_ENV, "1")
    case = schema["/v2/Conversations"]["POST"].Case(method="TRACE")
    credentials = emulator.credentials
    response = case.call(base_url=emulator.url, auth=(credentials.account_sid, credentials.auth_token))
    assert response.status_code == 405 and "allow" in response.headers  # not a header our docs name
    assert verdict(fresh("undocumented_headers"), case, response) is None


def test_the_readme_section_names_every_registered_check_the_usage_and_the_pin() -> None:
    readme = (schemas_dir().parent / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- schemathesis:start -->(.*)<!-- schemathesis:end -->", readme, re.S)
    assert found, "README.md lost its schemathesis markers"
    section = found.group(1)
    assert all(f"`{adapter.PREFIX}{name}`" in section for name in adapter.REGISTERED)
    assert "`unknown_configuration_rejection`" in section and f"`{adapter.DRIFT_FAILS_ENV}=1`" in section
    assert "SCHEMATHESIS_HOOKS=conformance.schemathesis schemathesis run schemas/openapi.yaml --url URL" in section
    assert f"`schemathesis=={schemathesis.__version__}`" in section
