"""Issue 18: clients cannot hold the emulator's connections. A request's headers and its body each have a deadline
(``read_timeout``), and connections past ``max_connections`` are answered 503 and closed."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time

import httpx
import pytest

from conformance.emulator.server import EmulatorServer

from .conftest import API_KEY_AUTH, CREATE, assert_error, full_request

BOUND = 0.6  # a short read deadline, so the test waits little
AUTH = "Basic " + base64.b64encode(":".join(API_KEY_AUTH).encode()).decode()
BODY = json.dumps(full_request()).encode()
HEAD = (f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: {AUTH}\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n").encode()  # fmt: skip


GIVE_UP_S = 30  # a hang guard only: a server that never closes would keep the test this long


async def closed_after(port: int, send: bytes, *, pause: float, first: int = 0) -> tuple[float, bytes, bool]:
    """Send ``send[:first]`` at once, then the rest a byte every ``pause`` s: the seconds until the connection
    ended, what the server answered meanwhile, and whether it was the server that ended it (not our give-up)."""
    started = time.monotonic()  # before connecting: the server's deadline cannot start earlier
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def trickle() -> None:
        writer.write(send[:first])
        for byte in send[first:]:
            await asyncio.sleep(pause)
            writer.write(bytes([byte]))

    sender = asyncio.create_task(trickle())
    answer, closed = b"", True
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), GIVE_UP_S):  # b"": the server closed it
            answer += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        closed = False
    finally:
        sender.cancel()
        writer.close()
    return time.monotonic() - started, answer, closed


def test_slow_and_half_sent_requests_are_disconnected_at_the_deadline() -> None:
    """Headers a byte at a time, a body never finished, nothing at all: each is closed by the server, unanswered,
    and not before the bound (how soon after it depends on the machine's load, so it is not asserted)."""

    async def attack(port: int) -> list[tuple[float, bytes, bool]]:
        slow_headers = [closed_after(port, HEAD, pause=0.05) for _ in range(20)]  # would take 9 s
        half_body = [closed_after(port, HEAD + BODY, pause=3600, first=len(HEAD) + 10) for _ in range(20)]
        silent = [closed_after(port, b"", pause=0) for _ in range(20)]
        return await asyncio.gather(*slow_headers, *half_body, *silent)

    with EmulatorServer(read_timeout=BOUND) as emulator:
        ends = asyncio.run(attack(emulator.port))
        assert all(closed and answer == b"" and wait > BOUND * 0.9 for wait, answer, closed in ends), sorted(ends)
        response = httpx.post(emulator.url + CREATE, json=full_request(), auth=API_KEY_AUTH)
        assert response.status_code == 201, response.text  # and it still serves


def test_the_deadline_is_per_part_so_a_slow_but_steady_client_is_served() -> None:
    """Headers in 0.4 s, then the body in 0.4 s: each part within the bound, the whole request past it."""

    async def steady(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for part in (HEAD, BODY):
            for piece in (part[: len(part) // 2], part[len(part) // 2 :]):
                writer.write(piece)
                await asyncio.sleep(0.2)
        answer = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        return answer

    with EmulatorServer(read_timeout=BOUND) as emulator:
        assert asyncio.run(steady(emulator.port)).startswith(b"HTTP/1.1 201 ")


def test_the_deadline_waits_while_the_server_is_not_reading() -> None:
    """A big body sent at once, to a server that waits (the ``slow`` fault) before reading it: uvicorn stops reading
    at 64 KiB, so the body is not all in by the deadline, yet the client is not the one late."""
    body = json.dumps(full_request(padding="x" * 200_000)).encode()
    head = HEAD.replace(f"Content-Length: {len(BODY)}".encode(), f"Content-Length: {len(body)}".encode())

    async def send(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + body)
        answer = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        return answer

    with EmulatorServer(read_timeout=BOUND) as emulator:
        emulator.inject("slow", ms=int(BOUND * 2500), route="create")
        assert asyncio.run(send(emulator.port)).startswith(b"HTTP/1.1 201 ")


def test_connections_past_the_cap_get_503_and_are_closed() -> None:
    with EmulatorServer(max_connections=3, read_timeout=30) as emulator:
        held = [socket.create_connection(("127.0.0.1", emulator.port)) for _ in range(3)]
        time.sleep(0.2)  # accepted by now
        with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as extra:
            answer = b""
            while chunk := extra.recv(65536):  # the server answers at once and closes
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in head.lower()
        assert json.loads(body)["code"] == 20503
        assert_error(httpx.post(emulator.url + CREATE, json=full_request(), auth=API_KEY_AUTH), 503, 20503)
        held.pop().close()
        time.sleep(0.2)  # the server has seen it go
        response = httpx.post(emulator.url + CREATE, json=full_request(), auth=API_KEY_AUTH)
        assert response.status_code == 201, response.text
        for sock in held:
            sock.close()


@pytest.mark.parametrize("flag", [["--read-timeout", "0"], ["--read-timeout", "61"], ["--max-connections", "0"]])
def test_the_cli_refuses_bounds_out_of_range(flag: list[str]) -> None:
    from click.testing import CliRunner

    from conformance.emulator.cli import emulator_command

    result = CliRunner().invoke(emulator_command, ["--port", "0", *flag])
    assert result.exit_code == 2 and flag[0] in result.output
