"""Ctrl-C and SIGTERM during a run: both stop it the same way, and never half way through writing one case.

While a run is in progress both signals raise ``KeyboardInterrupt`` (the run then judges what it already sent
and writes its reports). Inside :meth:`Interrupts.atomic` (one judged case going to its cassette, the
recording's list and the results stream) the signal waits for the block to end, so no case is in one
output and missing from another; inside :meth:`Interrupts.held` (judging a case, writing the reports) it
waits until asked for.

A ``KeyboardInterrupt`` raised where Python cannot pass it on (a garbage-collector callback, such as the one
Hypothesis installs, or a ``__del__``) is printed as ignored and lost. So the handler remembers each one it raises
until the run says it arrived (:meth:`Interrupts.delivered`); one never delivered is raised again at the next point
between cases (:meth:`Interrupts.raise_pending`), and the run stops there instead of running on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupts:
    def __init__(self) -> None:
        self._depth = 0
        self._pending = False
        self._undelivered = False  # raised by the handler and not yet caught by the run: perhaps swallowed

    def _handler(self, _signum: int, _frame: object) -> None:
        if self._depth:
            self._pending = True
            return
        self._undelivered = True
        raise KeyboardInterrupt

    def delivered(self) -> None:
        """The run caught the interrupt: it is not to be raised again."""
        self._undelivered = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        """For the length of a run (main thread only; elsewhere the signals keep their handlers)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self._handler) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._pending = self._undelivered = False

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A signal that arrives inside is raised when the block is done (not when it failed)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending:
            self._pending = False
            raise KeyboardInterrupt

    @contextmanager
    def held(self) -> Iterator[None]:
        """A signal that arrives inside waits, pending, for the next :meth:`atomic` block to end or for
        :meth:`raise_pending` (judging a case: cut short, the case would be lost between sent and recorded)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def take_pending(self) -> bool:
        """Whether a signal waited, or was raised where it was lost (and forget it): for a caller that stops on its
        own terms."""
        if self._depth or not (self._pending or self._undelivered):
            return False
        self._pending = self._undelivered = False
        return True

    def raise_pending(self) -> None:
        """Raise the signal that waited, if one did (between cases, where stopping loses nothing)."""
        if self.take_pending():
            raise KeyboardInterrupt


INTERRUPTS = Interrupts()
