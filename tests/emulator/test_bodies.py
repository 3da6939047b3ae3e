"""Issue 18: a big body is parsed and validated in the body worker process, and answered exactly as inline."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from conformance.emulator.bodies import OFF_PROCESS_BYTES
from conformance.emulator.server import create_app
from conformance.vendor import IDEMPOTENCY_KEY_HEADER

from .conftest import full_request
from .hostile import asgi_request, hostile_body, send_all, worst_bodies

KEY = IDEMPOTENCY_KEY_HEADER.lower()  # as ASGI gives header names


@pytest.fixture
def apps() -> Iterator[tuple[Starlette, Starlette]]:
    """Two deterministic emulators: the first answers big bodies through its worker; the second inline, since a
    fault is on (one that never touches a create)."""
    worker, inline = create_app(deterministic=True), create_app(deterministic=True)
    inline.state.faults.inject("fetch_not_found", route="fetch")
    yield worker, inline
    for app in (worker, inline):
        app.state.responses.close()


def big(body: dict[str, object]) -> bytes:
    """``body`` grown past the worker threshold by an unknown member (ignored, never echoed)."""
    raw = json.dumps({**body, "padding": "x" * OFF_PROCESS_BYTES}).encode()
    assert len(raw) >= OFF_PROCESS_BYTES
    return raw


def test_big_bodies_are_answered_as_they_are_inline(apps: tuple[Starlette, Starlette]) -> None:
    rng = random.Random(18)
    hostile = [big({"configurationId": "x", "v": hostile_body(rng).decode("utf-8", "replace")}) for _ in range(20)]
    bodies = [*worst_bodies().values(), big(full_request()), big(full_request(name=None, configuration={})),
              big(full_request(participants=[{"type": "CUSTOMER", "extra": [1] * 100}])), *hostile]  # fmt: skip
    worker, inline = apps
    answers = send_all(worker, bodies)
    assert answers == send_all(inline, bodies)
    assert {status for status, _ in answers} >= {201, 400}


def test_the_order_of_400s_holds_for_big_bodies(apps: tuple[Starlette, Starlette]) -> None:
    """Not JSON beats a key too long; a key too long beats a schema violation; replays and conflicts still hold."""
    long_key = {KEY: "k" * 256}
    key = {KEY: "a"}
    cases = [(b"{" + b" " * OFF_PROCESS_BYTES, long_key), (big({"configurationId": 1}), long_key),
             (big(full_request()), key), (big(full_request()), key), (json.dumps(full_request()).encode(), key),
             (big(full_request(name="other")), key)]  # fmt: skip

    async def answers(app: Starlette) -> list[tuple[int, bytes]]:
        return [await asgi_request(app, "POST", "/v2/Conversations", body, headers) for body, headers in cases]

    worker, inline = apps
    got = asyncio.run(answers(worker))
    assert got == asyncio.run(answers(inline))
    messages = [json.loads(body).get("message", "") for _, body in got]
    assert "not valid JSON" in messages[0] and "Idempotency-Key" in messages[1]
    assert [status for status, _ in got[2:]] == [201, 201, 409, 409]  # unknown members count for "the same body"
    assert got[2] == got[3]


def test_the_worker_ends_with_the_emulator_process() -> None:
    """Killed outright, the emulator cannot stop its worker; the worker notices within a second or two."""
    script = ("import sys; from tests.emulator.hostile import send_all, worst_bodies; "
              "from conformance.emulator.server import create_app; app = create_app(); "
              "send_all(app, [worst_bodies()['100k duplicate keys']]); "
              "print(*app.state.responses.body_worker.pids, flush=True); "
              "import time; time.sleep(60)")  # fmt: skip
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        [worker] = map(int, child.stdout.readline().split())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (ended, not yet reaped by init) is not alive
        return stat.read().split(") ")[-1][0] != "Z"


def test_a_dead_worker_costs_one_503_and_is_replaced(apps: tuple[Starlette, Starlette]) -> None:
    worker, _ = apps
    body = big(full_request())
    assert send_all(worker, [body])[0][0] == 201
    [pid] = worker.state.responses.body_worker.pids
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.05)
    (status, answer), (again, _) = send_all(worker, [body, body])
    assert (status, again) == (503, 201) and json.loads(answer)["code"] == 20503
