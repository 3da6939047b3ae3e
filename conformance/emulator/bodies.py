"""Big create bodies are parsed and validated in a worker process, so they never hold up the serving process.

Parsing and validating the worst 1 MiB body takes tens of milliseconds in C code that keeps the interpreter
lock, so on a thread of the serving process it stalled every other client for as long (issue 18). In a
process of its own it costs the serving process only the copy of the bytes through a pipe (done by one
helper thread, which waits on the pipe without the lock). The worker takes one body at a time, so big bodies
queue behind each other while small ones are served at once; it runs at a lower CPU priority, so on a busy
machine the serving process comes first. It starts with the first big body and ends when the emulator stops
or its process dies (its stdin reaches end of file).

The worker is a plain child process (:mod:`conformance.emulator.body_worker`), not a ``multiprocessing`` one:
those re-import the parent's ``__main__``, which fails (``python -`` and notebooks) or, without a ``__main__``
guard, re-runs the program that embeds the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import struct
import subprocess
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from conformance.emulator.exceptions import ServiceUnavailable
from conformance.emulator.models import Admitted
from conformance.plan.children import child_command, child_environment

OFF_PROCESS_BYTES = 64 * 1024  # bodies this big are parsed and validated in the worker process
WORKER_NICENESS = 10  # CPU weight about a tenth of the serving process's when both want a core
REQUEST_FRAME = struct.Struct("<I?")  # body length, whether to compute the idempotency fingerprint; then the body
ANSWER_FRAME = struct.Struct("<I")  # length of the pickled answer; then the answer

Outcome = tuple[str, Admitted | str]


class BodyWorker:
    """The worker process, started on first use: ``await worker.admit(raw, ...)``."""

    def __init__(self, contract_directory: Path) -> None:
        self._contract_directory = contract_directory
        self._child: subprocess.Popen[bytes] | None = None
        self._io: ThreadPoolExecutor | None = None

    async def admit(self, raw: bytes, *, with_fingerprint: bool) -> Outcome:
        """What :func:`conformance.emulator.body_worker.admit_body` answers for ``raw``, computed in the worker."""
        if self._io is None:
            self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-body")
            # An app dropped without close() (an in-process test client) still ends its worker.
            weakref.finalize(self, self._io.shutdown, wait=False, cancel_futures=True)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._io, self._exchange, raw, with_fingerprint)
        except (OSError, EOFError, pickle.UnpicklingError):  # the worker died (killed, out of memory)
            self._stop_child()
            raise ServiceUnavailable(1, "The body worker stopped; retry after 1 s") from None

    def _exchange(self, raw: bytes, with_fingerprint: bool) -> Outcome:
        """One body to the worker and its answer back (on the helper thread, so one at a time)."""
        child = self._child if self._child is not None else self._start()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(REQUEST_FRAME.pack(len(raw), with_fingerprint))
        child.stdin.write(raw)
        child.stdin.flush()
        (size,) = ANSWER_FRAME.unpack(_read_exactly(child.stdout, ANSWER_FRAME.size))
        outcome: Outcome = pickle.loads(_read_exactly(child.stdout, size))
        return outcome

    def _start(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            child_command("conformance.emulator.body_worker", str(self._contract_directory)),
            env=child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        weakref.finalize(self, _end, child)
        self._child = child
        return child

    @property
    def pids(self) -> list[int]:
        """The worker's process id, once started (for tests and tools that watch it)."""
        return [self._child.pid] if self._child is not None else []

    def _stop_child(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            _end(child)

    def close(self) -> None:
        """Stop the worker and its helper thread, if started."""
        if self._io is not None:
            self._io.shutdown(wait=False, cancel_futures=True)
            self._io = None
        self._stop_child()


def _end(child: subprocess.Popen[bytes]) -> None:
    """End of file on its stdin ends the worker; a worker stuck on a body is killed."""
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        child.wait(1.0)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the body worker closed its output")
    return data
