"""Hostile input (issue 10): whatever the JSON grammar, UTF-8 or the store cannot take is a clean 400, never a 5xx.

The fuzz test sends 10,000 generated bodies to the in-memory emulator and 10,000 to one on ``--db``
(straight into the ASGI app, about a second each). The seed changes every run; set
``EMULATOR_FUZZ_SEED`` to replay a failure.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conformance.contract import load_contract
from conformance.emulator.models import DEFAULT_CONFIGURATION_ID, MAX_NESTING
from conformance.emulator.rules import QUOTE_LIMIT
from conformance.emulator.server import create_app

from .conftest import CREATE, assert_error
from .hostile import hostile_body, send_all

CONTRACT = load_contract()
BODIES = 10_000
CONFIG = json.dumps(DEFAULT_CONFIGURATION_ID)


@pytest.fixture(params=["memory", "db"])
def store_app(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(db_path=tmp_path / "state.db" if request.param == "db" else None)
    yield app
    app.state.backend.close()


def test_ten_thousand_hostile_bodies_get_no_5xx(store_app) -> None:  # type: ignore[no-untyped-def]
    seed = int(os.environ.get("EMULATOR_FUZZ_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    bodies = [hostile_body(rng) for _ in range(BODIES)]
    answers = send_all(store_app, bodies)
    statuses = Counter(status for status, _ in answers)
    for body, (status, answer) in zip(bodies, answers, strict=True):
        assert status < 500, f"EMULATOR_FUZZ_SEED={seed}: {status} for {body[:300]!r}: {answer[:300]!r}"
        document = json.loads(answer)
        if status >= 400:
            assert CONTRACT.is_valid("error", document) and document["status"] == status, (seed, body[:300])
        else:
            assert status == 201 and CONTRACT.is_valid("conversation", document), (seed, body[:300])
    assert statuses[400] > BODIES // 2, statuses  # the generator still produces mostly hostile input


LONE_SURROGATES = [  # CFG: the seeded configuration id
    '{"configurationId": CFG, "\\ud800": 1}',
    '{"configurationId": CFG, "participants": [{"type": "\\ud800"}]}',
    '{"configurationId": CFG, "participants": [{"addresses": [{"channel": "\\udfff", "address": "a"}]}]}',
    '{"configurationId": CFG, "name": "Support \\udc00"}',
    '{"configurationId": "\\ud800"}',
    '"\\ud800"',
    '["\\ude00\\ud83d"]',
]


@pytest.mark.parametrize("body", LONE_SURROGATES)
def test_a_lone_surrogate_anywhere_is_400(store_app, body: str) -> None:  # type: ignore[no-untyped-def]
    body = body.replace("CFG", CONFIG)
    with TestClient(store_app, base_url="http://127.0.0.1") as client:
        response = client.post(CREATE, content=body.encode(), headers={"content-type": "application/json"},
                               auth=("SK" + "0" * 32, "emulator_api_secret"))  # fmt: skip
        assert "surrogate" in assert_error(response, 400, 20001)["message"]
        assert response.headers.get("connection") != "close"


def test_astral_characters_paired_escapes_and_odd_numbers_are_fine(client: TestClient) -> None:
    body = '{"configurationId": CFG, "name": "\\ud83d\\ude00 \U0001f600", "x": 1e999, "y": NINES}'
    body = body.replace("CFG", CONFIG).replace("NINES", "9" * 4000)
    response = client.post(CREATE, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "\U0001f600 \U0001f600"


def _nest(depth: int, inner: str, kind: str) -> str:
    """``inner`` as the value at ``depth`` (the body itself is depth 0), inside an unknown member."""
    text = inner
    for _ in range(depth - 1):
        text = "[" + text + "]" if kind == "array" else '{"k": ' + text + "}"
    return '{"configurationId": CFG, "extra": INNER}'.replace("CFG", CONFIG).replace("INNER", text)


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("inner", ["null", "1", "[]", "{}", '"s"'])
def test_values_at_depth_32_are_accepted_and_at_33_refused(client: TestClient, kind: str, inner: str) -> None:
    headers = {"content-type": "application/json"}
    assert client.post(CREATE, content=_nest(MAX_NESTING, inner, kind), headers=headers).status_code == 201
    refused = assert_error(client.post(CREATE, content=_nest(MAX_NESTING + 1, inner, kind), headers=headers), 400)
    assert f"more than {MAX_NESTING} levels" in refused["message"]


def test_error_messages_quote_only_a_short_prefix(client: TestClient) -> None:
    huge = "x" * (1024 * 1024 - 100)
    message = assert_error(client.post(CREATE, json={"configurationId": huge}), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100 and "x" * QUOTE_LIMIT + "..." in message
    message = assert_error(client.get(f"{CREATE}/{'y' * 5000}"), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100
    message = assert_error(client.get(f"/{'z' * 5000}"), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100
