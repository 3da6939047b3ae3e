"""Hypothesis sends every registered fault hostile parameters through the control API: null, a value of another JSON
type, numbers out of any sensible range, unknown names. The control API answers 201 or its clean 400, and an injection
it accepted never makes the emulator crash on the next requests (a 500 only where the fault means one)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conformance.emulator.faults import FAULTS, Fault, Param
from conformance.emulator.server import create_app
from conformance.vendor import CONVERSATION_ID_PREFIX

from .conftest import API_KEY_AUTH, CREATE, assert_error, full_request

CONTROL = "/__emulator__"
RESERVED = ("fault", "count", "route")  # the control API's own members, not a fault's parameters
MAX_DELAY_S = 600  # longer than any client waits: the most a delay fault may be asked for

any_json = st.one_of(
    st.text(max_size=6),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
out_of_range = st.one_of(
    st.integers(max_value=-1), st.integers(min_value=10**6), st.sampled_from([0, -(2**63), 2**63, 10**400])
)


def hostile(param: Param) -> st.SearchStrategy[Any]:
    """Null first (what Hypothesis tries early), then any JSON type, then numbers out of range for an int."""
    return st.one_of(st.none(), any_json, out_of_range if param.type is int else st.nothing())


def hostile_params(spec: Fault) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the fault's parameters hostile (the rest default), sometimes with names it does not have."""
    known = st.fixed_dictionaries({}, optional={name: hostile(param) for name, param in spec.params.items()})
    unknown_names = st.text(min_size=1, max_size=8).filter(
        lambda name: name not in spec.params and name not in RESERVED
    )
    unknown = st.one_of(st.just({}), st.dictionaries(unknown_names, any_json, min_size=1, max_size=2))
    return st.tuples(known, unknown).map(lambda both: {**both[1], **both[0]})


def means_500(spec: Fault, params: dict[str, Any]) -> bool:
    """A 500 the fault was asked for: its description says it answers one, or a status parameter is 500."""
    return "500" in spec.doc or params.get("status") == 500


@pytest.fixture(scope="module")
def control() -> Iterator[TestClient]:
    # raise_server_exceptions: an emulator crash (its last-resort 500) surfaces here as the exception, traceback and all
    with TestClient(create_app(), base_url="http://127.0.0.1", raise_server_exceptions=True) as client:
        client.auth = API_KEY_AUTH
        yield client


async def _instant_sleep(delay: float) -> None:
    """Stands in for asyncio.sleep: a delay fault's wait must be a number of seconds a client could sit out."""
    assert isinstance(delay, int | float) and math.isfinite(delay) and 0 <= delay <= MAX_DELAY_S, delay
    await _real_sleep(0)


_real_sleep = asyncio.sleep
PARAMS = settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                  HealthCheck.function_scoped_fixture])  # fmt: skip


def assert_clean(control: TestClient, name: str, params: dict[str, Any]) -> None:
    """Injecting ``name`` with ``params`` gets 201 or the clean 400, and once injected the next create and fetch
    are answered without a crash, or a 500 the fault does not mean."""
    spec = FAULTS[name]
    control.post(f"{CONTROL}/reset")
    added = control.post(f"{CONTROL}/faults", json={"fault": name, **params})
    if added.status_code != 201:
        assert_error(added, 400, 20001)
        assert control.get(f"{CONTROL}/faults").json()["active"] == []
        return
    with mock.patch.object(asyncio, "sleep", _instant_sleep):
        created = control.post(CREATE, json=full_request())
        fetched = control.get(f"{CREATE}/{CONVERSATION_ID_PREFIX}unknown")
    for response in (created, fetched):
        assert response.status_code != 500 or means_500(spec, params), (name, params, response.text)


@pytest.mark.parametrize(("name", "param"), [(name, param) for name in sorted(FAULTS) for param in FAULTS[name].params])
def test_null_for_each_parameter_gets_a_clean_answer(control: TestClient, name: str, param: str) -> None:
    assert_clean(control, name, {param: None})  # every parameter, not only those Hypothesis happens to draw


@pytest.mark.parametrize("name", sorted(FAULTS))
@PARAMS
@given(data=st.data())
def test_hostile_fault_parameters_get_a_clean_answer(control: TestClient, name: str, data: st.DataObject) -> None:
    assert_clean(control, name, data.draw(hostile_params(FAULTS[name]), label="params"))
