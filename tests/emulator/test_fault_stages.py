"""Switch faults hook stages of a request: each fault is whole in its own definition, and the HTTP layer knows none
by name."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from conformance.emulator.faults import FAULTS, Stage

from .conftest import CREATE, assert_error, full_request

EMULATOR = Path(__file__).resolve().parents[2] / "conformance" / "emulator"
USAGE_EXAMPLE = '{"fault": "status_500", "count": 1}'  # the control API's hint for a malformed request


def test_every_switch_hooks_a_stage_and_every_stage_is_hooked() -> None:
    switches = [f for f in FAULTS.values() if f.kind == "switch"]
    assert all(f.stage is not None for f in switches)
    assert all(f.stage is None for f in FAULTS.values() if f.kind != "switch")
    assert {f.stage for f in switches} == set(Stage)


def test_no_emulator_module_outside_the_faults_names_a_fault() -> None:
    names = re.compile(r"[\"'`](" + "|".join(map(re.escape, FAULTS)) + r")[\"'`]")
    named = {
        f"{path.name}: {match.group(1)}"
        for path in EMULATOR.glob("*.py")
        for match in names.finditer(path.read_text(encoding="utf-8").replace(USAGE_EXAMPLE, ""))
    }
    assert named == set()


def invalid_in_second_participant() -> dict[str, object]:
    body = full_request()
    body["participants"][1]["type"] = "NOT_A_TYPE"  # type: ignore[index]
    return body


def test_a_stage_runs_its_hooks_in_the_order_defined_not_injected(app: Starlette, client: TestClient) -> None:
    faults = app.state.faults
    faults.inject("accept_invalid")
    faults.inject("first_item_only")
    assert client.post(CREATE, json=invalid_in_second_participant()).status_code == 201
    hits = {a["fault"]: a["hits"] for a in faults.active()}
    assert hits == {"first_item_only": 1, "accept_invalid": 0}


def test_a_hook_uses_its_count_when_it_answers_and_only_then(app: Starlette, client: TestClient) -> None:
    faults = app.state.faults
    faults.inject("loose_references", count=1, mode="crash")
    assert client.post(CREATE, json=full_request()).status_code == 201  # plain id: the hook declines
    assert faults.active()[0]["remaining"] == 1
    odd = full_request(configurationId=full_request()["configurationId"] + "\u00e9")
    assert_error(client.post(CREATE, json=odd), 500)
    assert faults.active() == []
    assert_error(client.post(CREATE, json=odd), 404)
