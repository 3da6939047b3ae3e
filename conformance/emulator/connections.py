"""Bounds on what clients can hold open: a deadline for each request's headers and body, and a connection cap.

uvicorn closes a keep-alive connection that stays idle after a response (``timeout_keep_alive``), but it has no
deadline for a request still arriving, and no cap on connections: a client that sends headers a byte at a time,
never finishes a body, or opens a connection and sends nothing was held forever. This is uvicorn's httptools
protocol with both bounds added.
"""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from conformance.emulator.config import MAX_CONNECTIONS, READ_TIMEOUT_S
from conformance.emulator.exceptions import ServiceUnavailable
from conformance.emulator.records import encode_json

REFUSED_LINGER_S = 1.0  # a refused connection stays open this long at most, so its client can read the 503


def _refusal() -> bytes:
    """The 503 a connection past the cap gets as soon as it is accepted: the vendor error body, then close."""
    error = ServiceUnavailable(1, "Too many open connections; retry after 1 s")
    body = encode_json(error.body())
    head = [b"HTTP/1.1 503 Service Unavailable", b"content-type: application/json",
            b"content-length: " + str(len(body)).encode(), b"retry-after: 1", b"connection: close"]  # fmt: skip
    return b"\r\n".join(head) + b"\r\n\r\n" + body


REFUSAL = _refusal()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a read deadline per request part and a cap on open connections.

    The deadline runs from the connection's start (or, on a kept-alive connection, from the first byte of the
    next request) to the end of the headers, then again to the end of the body; a client that misses it is
    disconnected. It does not run while the server itself has stopped reading (its body buffer is full),
    since that delay is not the client's. Use :func:`bounded_protocol` to set the bounds.
    """

    read_timeout: ClassVar[float] = READ_TIMEOUT_S
    max_connections: ClassVar[int] = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections:
            self._refuse(transport)
            return
        super().connection_made(transport)
        self._arm()

    def _refuse(self, transport: asyncio.Transport) -> None:
        # Answer, then half-close and linger: closing with the client's request unread would send a reset,
        # and the client could lose the 503 with it.
        self._refused = True
        self.transport = transport
        transport.write(REFUSAL)
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = self.loop.call_later(min(REFUSED_LINGER_S, self.read_timeout), transport.close)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def eof_received(self) -> bool | None:
        if self._refused:
            return False  # the client has read the answer and closed: close our side too
        return super().eof_received()  # type: ignore[func-returns-value]

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self._refused:
            super().connection_lost(exc)

    # Parser callbacks: where each request part begins and ends.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a request on a kept-alive connection; the first one's runs from the start
            self._arm()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm()  # the body gets a deadline of its own

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # from here on the time is the server's (and, once answered, the keep-alive timeout's)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.flow is not None and self.flow.read_paused:
            self._arm()  # the server is not reading: the client is not late
        elif not self.transport.is_closing():
            self.transport.close()


def bounded_protocol(read_timeout: float, max_connections: int) -> type[BoundedHttpToolsProtocol]:
    """The protocol class uvicorn is given (``Config(http=...)``), with these bounds."""
    bounds = {"read_timeout": read_timeout, "max_connections": max_connections}
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), bounds)
