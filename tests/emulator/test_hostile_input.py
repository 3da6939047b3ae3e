"""Hostile input (issue 10): whatever the JSON grammar, UTF-8 or the store cannot take is a clean 400, never a 5xx.

The fuzz test sends 10,000 generated bodies to the in-memory emulator and 10,000 to one on ``--db``
(straight into the ASGI app, about a second each). The seed changes every run; set
``EMULATOR_FUZZ_SEED`` to replay a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import struct
import sys
import termios
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from conformance.contract.schemas import load_contract
from conformance.emulator.exceptions import InvalidParameter
from conformance.emulator.models import DEFAULT_CONFIGURATION_ID, MAX_NESTING
from conformance.emulator.rules import ERROR_LIMIT, MAX_CONTAINERS, QUOTE_LIMIT, parse_json
from conformance.emulator.server import EmulatorServer, create_app

from .conftest import API_KEY_AUTH, CREATE, assert_error, full_request
from .hostile import hostile_body, send_all, worst_bodies

CONTRACT = load_contract()
BODIES = 10_000
CONFIG = json.dumps(DEFAULT_CONFIGURATION_ID)


@pytest.fixture(params=["memory", "db"])
def store_app(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(db_path=tmp_path / "state.db" if request.param == "db" else None)
    yield app
    app.state.responses.close()
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


@pytest.mark.parametrize(
    ("member", "status"),
    [('"name": 1e999', 400), ('"x": -1e999', 201), ('"x": ' + "9" * 4300, 201), ('"x": ' + "9" * 4301, 400),
     ('"name": 1, "name": "last wins"', 201), ('"name": "first", "name": 2', 400)],
)  # fmt: skip
def test_numbers_and_duplicate_keys(client: TestClient, member: str, status: int) -> None:
    body = '{"configurationId": CFG, MEMBER}'.replace("CFG", CONFIG).replace("MEMBER", member)
    response = client.post(CREATE, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    if status == 400:
        assert_error(response, 400, 20001)


def _levels(levels: int, inner: str, kind: str) -> str:
    """A body whose objects and arrays nest ``levels`` deep (the body is level 1), ``inner`` innermost."""
    text = inner
    for _ in range(levels - 1):
        text = "[" + text + "]" if kind == "array" else '{"k": ' + text + "}"
    return '{"configurationId": CFG, "extra": INNER}'.replace("CFG", CONFIG).replace("INNER", text)


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("inner", ["null", "1", '"s"', "[]", "{}"])
def test_32_levels_are_accepted_and_33_refused(client: TestClient, kind: str, inner: str) -> None:
    headers = {"content-type": "application/json"}
    extra = 1 if inner in ("[]", "{}") else 0  # an empty container is a level too
    accepted = client.post(CREATE, content=_levels(MAX_NESTING - extra, inner, kind), headers=headers)
    assert accepted.status_code == 201, accepted.text
    refused = client.post(CREATE, content=_levels(MAX_NESTING + 1 - extra, inner, kind), headers=headers)
    assert f"more than {MAX_NESTING} levels" in assert_error(refused, 400)["message"]


def test_brackets_inside_strings_are_not_levels_or_containers(client: TestClient) -> None:
    name = "[{" * (MAX_CONTAINERS + 10)
    response = client.post(CREATE, json={"configurationId": DEFAULT_CONFIGURATION_ID, "name": name})
    assert response.status_code == 201, response.text


def test_more_than_the_container_limit_is_refused_before_parsing(client: TestClient) -> None:
    at_limit = {"configurationId": DEFAULT_CONFIGURATION_ID, "extra": [[] for _ in range(MAX_CONTAINERS - 2)]}
    assert client.post(CREATE, json=at_limit).status_code == 201
    over = {"configurationId": DEFAULT_CONFIGURATION_ID, "extra": [{} for _ in range(MAX_CONTAINERS - 1)]}
    message = assert_error(client.post(CREATE, json=over), 400)["message"]
    assert f"more than {MAX_CONTAINERS} objects and arrays" in message


def test_error_messages_quote_only_a_short_prefix(client: TestClient) -> None:
    huge = "x" * (1024 * 1024 - 100)
    message = assert_error(client.post(CREATE, json={"configurationId": huge}), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100 and "x" * QUOTE_LIMIT + "..." in message
    message = assert_error(client.get(f"{CREATE}/{'y' * 5000}"), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100
    message = assert_error(client.get(f"/{'z' * 5000}"), 404)["message"]
    assert len(message) < QUOTE_LIMIT + 100


@pytest.mark.parametrize(("bad_addresses", "named"), [(ERROR_LIMIT // 2, "participants[1].type"),
                                                     (ERROR_LIMIT + 1, "participants[0].addresses[0]")])  # fmt: skip
def test_400_names_the_shallowest_of_the_first_violations(client: TestClient, bad_addresses: int, named: str) -> None:
    body = {"configurationId": DEFAULT_CONFIGURATION_ID,
            "participants": [{"addresses": [1] * bad_addresses}, {"type": 1}]}  # fmt: skip
    assert assert_error(client.post(CREATE, json=body), 400)["message"].startswith(f"Invalid parameter {named}:")


# --- bounded work (the time it takes is in bench/RESULTS.md, from bench/emulator/under_attack.py) ---

PYTHON_CALLS_PER_BODY = 50_000  # the worst body makes ~11k; a walk of its 500k items in Python makes millions


def _python_calls(work: Callable[[], object]) -> int:
    """How many Python functions ``work`` calls: a count of work that does not depend on the machine's speed."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_every_worst_body_is_answered_cleanly_and_its_work_is_bounded(store_app) -> None:  # type: ignore[no-untyped-def]
    """Through the app (in its body worker) no 5xx. The work is counted in this process, in Python calls: the
    items of a huge array are checked by the compiled validator and at most ERROR_LIMIT violations are walked."""
    bodies = worst_bodies()
    for kind, (status, answer) in zip(bodies, send_all(store_app, list(bodies.values())), strict=True):
        assert status < 500, (kind, answer[:300])
    backend = store_app.state.backend

    def admit(body: bytes) -> None:
        with contextlib.suppress(InvalidParameter):
            backend.admit(parse_json(body), body, with_fingerprint=True)

    for kind, body in bodies.items():
        assert _python_calls(lambda body=body: admit(body)) < PYTHON_CALLS_PER_BODY, kind


def _wait_for_bytes_in(worker: int) -> None:
    """Until the worker's input pipe holds bytes: the big body has reached it (a generous deadline: a hang guard)."""
    pipe = os.open(f"/proc/{worker}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    try:
        for _ in range(6000):
            if struct.unpack("i", fcntl.ioctl(pipe, termios.FIONREAD, b"\0" * 4))[0]:
                return
            threading.Event().wait(0.01)
    finally:
        os.close(pipe)
    raise AssertionError("the big body never reached the body worker")


def test_a_worst_body_does_not_hold_up_other_clients() -> None:
    """With a worst body held in the body worker (the worker stopped mid-body), health checks and small creates are
    still answered, all of them before the big body's answer; once the worker goes on, the big body is answered too.
    Before issue 10 a health check waited for the body to be parsed."""
    body = worst_bodies()["500k invalid addresses"]
    headers = {"content-type": "application/json"}
    with EmulatorServer() as emulator, httpx.Client(base_url=emulator.url, auth=API_KEY_AUTH, timeout=60) as attacker:
        assert attacker.post(CREATE, content=body, headers=headers).status_code == 400  # the worker is up
        [worker] = emulator.app.state.responses.body_worker.pids
        answers: list[str] = []
        os.kill(worker, signal.SIGSTOP)
        try:
            attack = threading.Thread(
                target=lambda: answers.append(
                    f"attack {attacker.post(CREATE, content=body, headers=headers).status_code}"
                )
            )
            attack.start()
            _wait_for_bytes_in(worker)
            with httpx.Client(base_url=emulator.url, auth=API_KEY_AUTH, timeout=30) as client:  # a hang guard only
                for _ in range(20):
                    answers.append(f"health {client.get('/__emulator__/health').status_code}")
                    answers.append(f"create {client.post(CREATE, json=full_request()).status_code}")
        finally:
            os.kill(worker, signal.SIGCONT)
        attack.join(60)
    assert not attack.is_alive(), "the big body was never answered"
    assert answers == ["health 200", "create 201"] * 20 + ["attack 400"], answers
