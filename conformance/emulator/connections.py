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

    A request only notes when its part is due (a timer armed and cancelled per part cost ~7 us in uvloop, a
    tenth of a create); one timer per connection wakes when the earliest note could be due and looks.
    """

    read_timeout: ClassVar[float] = READ_TIMEOUT_S
    max_connections: ClassVar[int] = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._due: float | None = None  # loop time by which the request part in progress must have arrived
        self._watch: TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections:
            self._refuse(transport)
            return
        super().connection_made(transport)
        self._due = self.loop.time() + self.read_timeout
        self._watch = self.loop.call_at(self._due, self._look)

    def _refuse(self, transport: asyncio.Transport) -> None:
        # Answer, then half-close and linger: closing with the client's request unread would send a reset,
        # and the client could lose the 503 with it.
        self._refused = True
        self.transport = transport
        transport.write(REFUSAL)
        if transport.can_write_eof():
            transport.write_eof()
        self._watch = self.loop.call_later(min(REFUSED_LINGER_S, self.read_timeout), transport.close)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def eof_received(self) -> bool | None:
        if self._refused:
            return False  # the client has read the answer and closed: close our side too
        return super().eof_received()  # type: ignore[func-returns-value]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if not self._refused:
            super().connection_lost(exc)

    # Parser callbacks: where each request part begins and ends.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._due is None:  # a request on a kept-alive connection; the first one's runs from the start
            self._due = self.loop.time() + self.read_timeout

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._due = self.loop.time() + self.read_timeout  # the body gets a deadline of its own

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._due = None  # from here on the time is the server's (and, once answered, the keep-alive timeout's)

    def _look(self) -> None:
        """Close the connection if its request part is overdue; otherwise look again when it could be."""
        now = self.loop.time()
        if self._due is not None and self.flow is not None and self.flow.read_paused:
            self._due = now + self.read_timeout  # the server is not reading: the client is not late
        if self._due is not None and now >= self._due:
            self._watch = None
            if not self.transport.is_closing():
                self.transport.close()
            return
        self._watch = self.loop.call_at(self._due if self._due is not None else now + self.read_timeout, self._look)


def bounded_protocol(read_timeout: float, max_connections: int) -> type[BoundedHttpToolsProtocol]:
    """The protocol class uvicorn is given (``Config(http=...)``), with these bounds."""
    bounds = {"read_timeout": read_timeout, "max_connections": max_connections}
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), bounds)
