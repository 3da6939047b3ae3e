"""The CLI's defaults, in one place: what a run does when the user says nothing, and the options a run is given."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import click


@dataclass(frozen=True)
class TargetDefaults:
    max_examples: int
    max_requests: int | None  # None: unlimited
    rate: float | None  # requests/second; None: unlimited
    redact_pii: bool
    workers: int  # cases in flight at once


TARGET_DEFAULTS: Final[dict[str, TargetDefaults]] = {
    # Loopback and ours: go as fast as it answers; nothing personal is real. Six cases in flight let the emulator
    # answer several per turn of its event loop: a 10,000-example run took 13% less time than with two, at 7% less
    # CPU a request (bench/RESULTS.md, issue 25).
    "emulator": TargetDefaults(max_examples=100, max_requests=None, rate=None, redact_pii=False, workers=6),
    # A real account: a gentle rate, and personal data pseudonymised on disk. The budget covers the whole
    # contract surface once (every rule of the schema walk, the auth matrix for two credential forms,
    # the edges and their read-backs: 220 requests at 10 examples, 38 of them read-backs) with room for retries.
    # One case at a time, so the vendor sees a polite, ordered client.
    "live": TargetDefaults(max_examples=10, max_requests=400, rate=2.0, redact_pii=True, workers=1),
}
# --max-time without --max-examples: a plan no time box reaches the end of (it is drawn lazily, so its size costs
# nothing; the invalid families scale with it, a tenth per rule, so they keep coming too).
TIME_BOXED_EXAMPLES: Final = 1_000_000_000
MOST_EXAMPLES: Final = TIME_BOXED_EXAMPLES  # --max-examples above this is a typo (and would not fit a plan's length)
NOT_THE_API_STREAK: Final = 5  # consecutive answers from something in between (an HTML page...) that end a run
UNAVAILABLE_STREAK: Final = 3  # first cases still 503 after every retry, or unanswered, that end a run
DEFAULT_CLOCK_SKEW_S: Final = 300.0  # how far a timestamp may be from the moment the request was sent (--clock-skew)
REPORTS_ROOT: Final = Path("reports")
CASSETTES_ROOT: Final = Path("cassettes")


@dataclass(frozen=True)
class RunOptions:
    seed: int
    max_examples: int
    max_requests: int | None
    rate: float | None
    shard: tuple[int, int] | None = None  # (index, total), 1-based
    checks: frozenset[str] | None = None  # allow-list; None: all
    clock_skew_s: float = DEFAULT_CLOCK_SKEW_S  # how far the target's timestamps may stray from ours
    severities: Mapping[str, str] = field(default_factory=dict)  # check -> "fail" | "warn", the user's policy
    max_time_s: float | None = None  # a time-boxed run: draw and send until this is spent
    workers: int = 1  # cases in flight at once; verdicts are still reached one at a time, in plan order
    draw_apart: bool = False  # draw the plan in a child process (conformance.plan.planner) while this one sends
    deterministic: bool = False  # the emulator's seeded ids and controlled clock (kept for the reproduce line)


class FiniteFloat(click.FloatRange):
    """A float in range that is a number: ``nan`` passes a range check and ``inf`` an open one, and either would
    reach the run's records (results.json says its clock skew and its rate)."""

    what = "a finite number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = float(super().convert(value, param, ctx))
        if not math.isfinite(number):
            self.fail(f"{value!r} is not {self.what}", param, ctx)
        return number


class RequestRate(FiniteFloat):
    """Requests per second: more than zero, and a number."""

    name = "rate"
    what = "a number of requests per second"
