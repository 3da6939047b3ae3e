"""Big create bodies are parsed and validated in a worker process, so they never hold up the serving process.

Parsing and validating the worst 1 MiB body takes tens of milliseconds in C code that keeps the interpreter
lock, so on a thread of the serving process it stalled every other client for as long (issue 18). In a
process of its own it costs the serving process only the copy of the bytes through a pipe. The worker runs
one body at a time, so big bodies queue behind each other while small ones are served at once; it runs at a
lower CPU priority, so on a busy machine the serving process comes first. It starts with the first big
body and ends with the emulator (or on its own, if the emulator's process dies).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from conformance.contract import load_contract
from conformance.emulator.exceptions import InvalidParameter, ServiceUnavailable
from conformance.emulator.models import Admitted, Backend
from conformance.emulator.rules import parse_json

OFF_PROCESS_BYTES = 64 * 1024  # bodies this big are parsed and validated in the worker process
WORKER_NICENESS = 10  # CPU weight about a tenth of the serving process's when both want a core

_backend: Backend | None = None  # in the worker: the rules, built once


class BodyWorker:
    """The worker process, started on first use: ``await worker.admit(raw, ...)``."""

    def __init__(self, contract_directory: Path) -> None:
        self._contract_directory = contract_directory
        self._pool: ProcessPoolExecutor | None = None

    async def admit(self, raw: bytes, *, with_fingerprint: bool) -> tuple[str, Admitted | str]:
        """What :func:`admit_body` answers for ``raw``, computed in the worker."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),  # a fork of a threaded server is not safe
                initializer=_start_worker,
                initargs=(str(self._contract_directory), os.getpid()),
            )
            # An app dropped without close() (an in-process test client) still ends its worker.
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, admit_body, raw, with_fingerprint)
        except BrokenProcessPool:  # the worker died (killed, out of memory): the next big body starts a new one
            self.close()
            raise ServiceUnavailable(1, "The body worker stopped; retry after 1 s") from None

    @property
    def pids(self) -> list[int]:
        """The worker's process id, once started (for tests and tools that watch it)."""
        return list(self._pool._processes) if self._pool is not None else []  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def admit_body(raw: bytes, with_fingerprint: bool) -> tuple[str, Admitted | str]:
    """``("json", message)`` when ``raw`` is not acceptable JSON, ``("rules", message)`` when the request breaks
    the contract, else ``("ok", admitted)``; the caller raises the 400s in its own order of checks."""
    assert _backend is not None, "admit_body runs in the worker"
    try:
        body = parse_json(raw)
    except InvalidParameter as exc:
        return "json", exc.message
    try:
        return "ok", _backend.admit(body, raw, with_fingerprint=with_fingerprint)
    except InvalidParameter as exc:
        return "rules", exc.message


def _start_worker(contract_directory: str, parent: int) -> None:
    global _backend
    os.nice(WORKER_NICENESS)
    _backend = Backend(contract=load_contract(Path(contract_directory)))
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End the worker when the emulator's process is gone (killed before it could stop the pool)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)
