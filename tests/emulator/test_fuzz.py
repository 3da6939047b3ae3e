"""Hypothesis throws malformed requests at the emulator: it always answers, never with a 500 or a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conformance.contract.schemas import load_contract
from conformance.emulator.models import DEFAULT_CONFIGURATION_ID
from conformance.emulator.server import create_app
from conformance.plan.generation import valid_requests

from .conftest import ACCOUNT_AUTH, API_KEY_AUTH, CREATE
from .hostile import hostile_body

CONTRACT = load_contract()
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    """A valid create body with one field (possibly nested) replaced by arbitrary JSON."""
    body = draw(valid_requests(CONTRACT, DEFAULT_CONFIGURATION_ID))
    target: Any = body
    participants = body.get("participants")
    if participants and draw(st.booleans()):
        target = participants[draw(st.integers(0, len(participants) - 1))]
    key = draw(st.sampled_from([*target, "configurationId", "participants", "configuration", "type", "addresses"]))
    target[key] = draw(json_values)
    return body


def encode(value: Any) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(encode),
    mutated_requests().map(encode),
    valid_requests(CONTRACT, DEFAULT_CONFIGURATION_ID).map(encode),
    st.integers(1, 3000).map(lambda depth: b'{"configurationId": ' + b"[" * depth + b"]" * depth + b"}"),
    st.randoms(use_true_random=False).map(hostile_body),  # surrogates, huge numbers, duplicate keys, deep nesting
)
paths = st.one_of(
    st.sampled_from([CREATE, f"{CREATE}/conv_conversation_x", "/", "/v2", "/v2/Conversations/", "/__emulator__/x"]),
    PRINTABLE.map(lambda text: "/" + text.lstrip("/")).filter(lambda path: not path.startswith("/__emulator__/")),
)
JSON_TYPES = ["application/json", "application/json; charset=utf-8"]
OTHER_TYPES = ["text/plain", "application/json; charset=latin-1", "multipart/form-data"]
content_types = st.one_of(st.none(), st.sampled_from(JSON_TYPES + OTHER_TYPES), PRINTABLE)
authorizations = st.one_of(
    st.none(),
    st.sampled_from([API_KEY_AUTH, ACCOUNT_AUTH]).map(lambda auth: "Basic " + _b64(f"{auth[0]}:{auth[1]}")),
    PRINTABLE,
    PRINTABLE.map(lambda text: "Basic " + text),
)
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True).filter(
    lambda name: name.lower() not in ("content-length", "host", "transfer-encoding", "content-type", "authorization")
)


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://127.0.0.1", raise_server_exceptions=True) as client:
        yield client


def assert_vendor_answer(response: httpx.Response, method: str) -> None:
    """Never a 5xx; JSON always; an error is exactly the vendor error body, a success a valid Conversation."""
    assert response.status_code < 500, response.text
    if method == "HEAD":
        return
    assert response.headers["content-type"] == "application/json"
    answer = json.loads(response.content)
    if response.status_code >= 400:
        assert CONTRACT.is_valid("error", answer) and set(answer) == {"code", "message", "more_info", "status"}
        assert answer["status"] == response.status_code
    else:
        assert response.status_code in (200, 201)
        assert CONTRACT.errors("conversation", answer) == []


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path=paths,
    body=bodies,
    content_type=content_types,
    authorization=authorizations,
    idempotency_key=st.none() | PRINTABLE,
    extra=st.dictionaries(header_names, PRINTABLE, max_size=3),
)
def test_any_malformed_request_gets_a_vendor_answer(
    fuzz_client: TestClient, method: str, path: str, body: bytes, content_type: str | None,
    authorization: str | None, idempotency_key: str | None, extra: dict[str, str],
) -> None:  # fmt: skip
    headers = dict(extra)
    for name, value in (("content-type", content_type), ("authorization", authorization),
                        ("idempotency-key", idempotency_key)):  # fmt: skip
        if value is not None:
            headers[name] = value
    assert_vendor_answer(fuzz_client.request(method, path, content=body, headers=headers), method)


@FUZZ
@given(body=bodies, content_type=st.sampled_from(JSON_TYPES), idempotency_key=st.none() | st.sampled_from("abc"))
def test_authenticated_creates_with_malformed_bodies_get_a_vendor_answer(
    fuzz_client: TestClient, body: bytes, content_type: str, idempotency_key: str | None
) -> None:
    headers = {"content-type": content_type, **({"idempotency-key": idempotency_key} if idempotency_key else {})}
    response = fuzz_client.post(CREATE, content=body, headers=headers, auth=API_KEY_AUTH)
    assert_vendor_answer(response, "POST")
