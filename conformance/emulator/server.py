"""Assembling the emulator: ``create_app`` (an ASGI app) and ``EmulatorServer`` (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from conformance.emulator.config import EmulatorSettings
from conformance.emulator.connections import bounded_protocol
from conformance.emulator.exceptions import EmulatorConfigError
from conformance.emulator.faults import ActiveFault, FaultInjector
from conformance.emulator.models import (
    Backend,
    Credentials,
    IdGenerator,
    MemoryStore,
    SQLiteStore,
    SteppingClock,
    Store,
    SystemClock,
    TokenBucket,
)
from conformance.emulator.responses import EmulatorResponses
from conformance.emulator.urls import url_patterns

LOOPBACK = "127.0.0.1"


def build_backend(settings: EmulatorSettings) -> Backend:
    """The backend the settings describe (store, clock, ids, rate limit)."""
    if settings.deterministic and settings.db_path is not None:
        raise EmulatorConfigError("deterministic mode cannot use a database: seeded ids would repeat after a restart")
    store: Store = SQLiteStore(settings.db_path) if settings.db_path is not None else MemoryStore()
    limiter = TokenBucket(settings.rate_limit, settings.rate_burst) if settings.rate_limit else None
    try:
        return Backend(
            accounts=settings.accounts,
            configurations=settings.seeded_configurations(),
            store=store,
            clock=SteppingClock() if settings.deterministic else SystemClock(),
            ids=IdGenerator(settings.seed if settings.deterministic else None),
            rate_limiter=limiter,
        )
    except BaseException:
        store.close()  # a refused database is released at once, not when the collector gets to it
        raise


def create_app(
    settings: EmulatorSettings | None = None, *, backend: Backend | None = None, **overrides: Any
) -> Starlette:
    """The emulator as an ASGI app. ``app.state`` holds ``settings``, ``backend`` and ``faults``.

    Keyword ``overrides`` replace fields of ``settings`` (e.g. ``rate_limit=5``, ``deterministic=True``);
    ``backend`` replaces the one the settings describe (e.g. to inject another clock or id generator).
    """
    settings = (settings or EmulatorSettings()).replace(**overrides)
    backend = backend if backend is not None else build_backend(settings)
    faults = FaultInjector()
    responses = EmulatorResponses(backend, faults, settings.max_body_bytes)
    app = Starlette(
        routes=url_patterns(responses),
        exception_handlers={HTTPException: responses.http_error, Exception: responses.server_error},
    )
    app.router.redirect_slashes = False  # "/v2/Conversations/" is an unknown path, not a redirect
    app.state.settings = settings
    app.state.backend = backend
    app.state.faults = faults
    app.state.responses = responses
    return app


def tune_gc() -> None:
    """For a process that only serves the emulator: move what startup allocated (modules, compiled
    schemas) out of the collector's way and collect less often, and switch threads more often.
    Process-wide, so never done when embedded."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
    # The thread that feeds the body worker shares the GIL with the event loop: hand it over every 1 ms (not 5),
    # so the loop waits less behind it. Costs nothing while it is idle (one thread running).
    sys.setswitchinterval(0.001)


class ForegroundServer(uvicorn.Server):
    """uvicorn for ``conformance emulator``: SIGTERM and SIGINT both stop it and return normally.

    uvicorn re-raises the signal once it has shut down; for SIGTERM the default action then kills the
    process before the caller closes the database (exit 143, ``-wal`` left behind).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(server: uvicorn.Server, app: Starlette, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until ``server`` stops, then close the socket and what the app holds (the
    store, the body worker): ``conformance emulator`` and the run's emulator process both end this way."""
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.responses.close()
        app.state.backend.close()


class _ThreadServer(uvicorn.Server):
    """uvicorn that wakes up as soon as it is told to stop (instead of polling every 0.1 s)."""

    _wake: asyncio.Event
    _loop: asyncio.AbstractEventLoop

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not await self.on_tick(0):  # tick 0 refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def wake(self) -> None:
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: a free one), for uvicorn to serve on."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_config(
    app: Any, settings: EmulatorSettings | None = None, *, log_level: str = "warning", date_header: bool = True
) -> uvicorn.Config:
    """The server settings the emulator runs with everywhere (CLI, embedded, benchmark); the connection bounds
    come from ``settings`` (default: the defaults)."""
    settings = settings or EmulatorSettings()
    return uvicorn.Config(
        app,
        loop="uvloop",
        http=bounded_protocol(settings.read_timeout, settings.max_connections),
        lifespan="off",
        access_log=False,
        log_level=log_level,
        server_header=False,
        date_header=date_header,
        timeout_graceful_shutdown=1,
    )


class EmulatorServer:
    """The emulator served by uvicorn in a background thread on a loopback port.

    ``with EmulatorServer() as emulator: httpx.post(emulator.url + "/v2/Conversations", ...)``
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        log_level: str = "warning",
        backend: Backend | None = None,
        **overrides: Any,
    ) -> None:
        self.app = create_app(settings, backend=backend, **overrides)
        self.settings: EmulatorSettings = self.app.state.settings
        self.backend: Backend = self.app.state.backend
        self.faults: FaultInjector = self.app.state.faults
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._closed = False

    # --- what clients need ---

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def credentials(self) -> Credentials:
        return self.settings.credentials

    @property
    def account_sid(self) -> str:
        return self.settings.credentials.account_sid

    @property
    def configuration_id(self) -> str:
        return self.settings.configuration_id

    # --- control ---

    def inject(self, fault: str, /, count: int | None = None, route: str = "any", **params: Any) -> ActiveFault:
        """Switch a named fault on (see :data:`conformance.emulator.faults.FAULTS`)."""
        return self.faults.inject(fault, count, route, **params)

    def clear_faults(self) -> int:
        return self.faults.clear()

    def reset(self) -> None:
        """Forget conversations and idempotency keys, clear faults (like ``POST /__emulator__/reset``)."""
        self.backend.reset()
        self.faults.clear()

    # --- lifecycle ---

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        if self._thread is not None or self._closed:
            raise RuntimeError("an EmulatorServer starts once; create a new one")
        self._socket = bind(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        config = uvicorn_config(
            self.app, self.settings, log_level=self.log_level, date_header=not self.settings.deterministic
        )
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._run, name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"emulator did not start on {self.url}")
            time.sleep(0.002)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        self._server.run(sockets=[self._socket])

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
            server.force_exit = True  # do not wait for idle keep-alive clients
            server.wake()
        if thread is not None:
            thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None
        if not self._closed:
            self._closed = True
            self.app.state.responses.close()
            self.backend.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
