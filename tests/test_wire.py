"""The run's own HTTP/1.1 reader (``connection._Wire``, plain HTTP) sends what ``http.client`` sends and reads every
answer as ``http.client`` reads it: the same status, reason, headers and body, or the same error."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from conformance.send.connection import Connection, TransportError

ANSWERS = {
    "everyday": b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
    "repeated headers": b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:  2 \r\nContent-Length: 0\r\n\r\n",
    "no reason": b"HTTP/1.1 404\r\nContent-Length: 3\r\n\r\nabc",
    "no headers": b"HTTP/1.1 200 OK\r\n\r\n",  # no length: read until the server closes
    "empty name": b"HTTP/1.1 200 OK\r\n:odd\r\nContent-Length: 1\r\n\r\nx",
    "latin-1 value": b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Length: 1\r\n\r\nx",
    "bytes past the body": b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz",
    "204 with a length": b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    "connection close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
    "second connection header": b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\n"
    b"Content-Length: 1\r\n\r\nx",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "HTTP/1.0": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "folded header": b"HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\nContent-Length: 2\r\n\r\nok",
    "bare LF": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "bare CR": b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok",
    "space before colon": b"HTTP/1.1 200 OK\r\nX-A : a\r\nContent-Length: 2\r\n\r\nok",
    "two lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
    "odd length": b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok",
    "unicode digit length": b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nok",
    "continue first": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "short body": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok",
    "bad status": b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok",
    "not HTTP": b"SSH-2.0-OpenSSH\r\n\r\n",
    "closed at once": b"",
    "cut in the head": b"HTTP/1.1 200 OK\r\nContent-Len",
}


@pytest.fixture
def serve() -> Iterator[tuple[int, list[bytes]]]:
    """A server that answers each connection's first request with the next canned answer, then closes it."""
    listener = socket.create_server(("127.0.0.1", 0))
    queue: list[bytes] = []
    received: list[bytes] = []

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
                    data += conn.recv(65536)
                received.append(data)
                conn.sendall(queue.pop(0))

    threading.Thread(target=loop, daemon=True).start()
    received.clear()
    yield listener.getsockname()[1], queue, received  # type: ignore[misc]
    listener.close()


def _length(request: bytes) -> int:
    for line in request.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def answer(port: int, plain: bool) -> object:
    connection = Connection(f"http://127.0.0.1:{port}")
    connection._plain = plain  # False: http.client's own path
    try:
        got = connection.request("POST", "/v2/Conversations", [("X-Case", "1")], b"{}")
        return (got.status, got.reason, got.headers, got.body)
    except TransportError as exc:
        return f"TransportError: {exc}"
    finally:
        connection.close()


@pytest.mark.parametrize("name", ANSWERS)
def test_every_answer_reads_as_http_client_reads_it(serve: tuple[int, list[bytes], list[bytes]], name: str) -> None:
    port, queue, received = serve
    queue += [ANSWERS[name], ANSWERS[name]]
    ours, theirs = answer(port, plain=True), answer(port, plain=False)
    assert ours == theirs
    assert received[0] == received[1]  # byte for byte the request http.client sends


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("GET", "/a b", []),
        ("G\x01T", "/", []),
        ("GET", "/", [("X-A", "a\r\nb")]),
        ("GET", "/", [("X A", "a")]),
        ("GET", "/", [("X-A", "\u2603")]),
    ],
)
def test_a_request_http_client_refuses_is_refused_the_same_way(method: str, path: str,
                                                               headers: list[tuple[str, str]]) -> None:  # fmt: skip
    errors = []
    for plain in (True, False):
        connection = Connection("http://127.0.0.1:9")  # never reached: refused before connecting
        connection._plain = plain
        with pytest.raises(TransportError) as raised:
            connection.request(method, path, headers, b"")
        errors.append(str(raised.value))
    assert errors[0] == errors[1]
