"""Time and ids: where a write gets its instant and its ULID-style id from (injectable, so a seeded run repeats)."""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Protocol

DETERMINISTIC_START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z


class Clock(Protocol):
    """Where the emulator gets the instant of a write from."""

    def write_instant(self) -> int:
        """Epoch milliseconds for one write (a deterministic clock advances here)."""

    def reset(self) -> None:
        """Back to the initial instant (no-op for a real clock)."""


class SystemClock:
    """Wall-clock time."""

    def write_instant(self) -> int:
        return time.time_ns() // 1_000_000

    def reset(self) -> None:
        return None


class SteppingClock:
    """A controlled clock: starts at a fixed instant and advances ``step_ms`` per write."""

    def __init__(self, start_ms: int = DETERMINISTIC_START_MS, step_ms: int = 1000) -> None:
        self.start_ms = start_ms
        self.step_ms = step_ms
        self._next = start_ms
        self._lock = threading.Lock()

    def write_instant(self) -> int:
        with self._lock:
            instant = self._next
            self._next += self.step_ms
            return instant

    def reset(self) -> None:
        with self._lock:
            self._next = self.start_ms


CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: the alphabet of every id suffix
_PAIRS = tuple(a + b for a in CROCKFORD for b in CROCKFORD)  # 10 bits -> 2 chars, index = the 10-bit value
_RANDOM_MAX = (1 << 80) - 1


class IdGenerator:
    """ULID-style ids: ``prefix`` + 10 chars of millisecond time + 16 chars of randomness.

    Lowercase Crockford base32, so ids sort by creation time; within one millisecond the
    random part counts up (monotonic ULIDs), so ids also sort in creation order.
    ``seed`` makes the random part repeatable.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._rng = random.Random(self.seed if self.seed is not None else os.urandom(16))
            self._last_ms = -1
            self._last_random = 0
            self._time_part = ""

    def new(self, prefix: str, ms: int) -> str:
        with self._lock:
            if ms == self._last_ms and self._last_random < _RANDOM_MAX:
                self._last_random += 1
            else:
                if ms != self._last_ms:
                    self._time_part = _encode_time(ms)
                self._last_ms = ms
                self._last_random = self._rng.getrandbits(80)
            r = self._last_random
            p = _PAIRS
            return "".join((prefix, self._time_part, p[r >> 70], p[(r >> 60) & 1023], p[(r >> 50) & 1023],
                            p[(r >> 40) & 1023], p[(r >> 30) & 1023], p[(r >> 20) & 1023], p[(r >> 10) & 1023],
                            p[r & 1023]))  # fmt: skip


def _encode_time(ms: int) -> str:
    chars = []
    for _ in range(10):
        chars.append(CROCKFORD[ms & 31])
        ms >>= 5
    return "".join(reversed(chars))


_timestamp_cache: tuple[int, str] = (-1, "")


def format_timestamp(ms: int) -> str:
    """Whole seconds, UTC, ``Z``: the form the docs show (``2023-07-01T12:00:00Z``)."""
    global _timestamp_cache
    second = ms // 1000
    cached_second, text = _timestamp_cache
    if cached_second != second:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        _timestamp_cache = (second, text)
    return text
