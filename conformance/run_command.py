"""`conformance run`: options in, a run, reports out, an exit code."""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from conformance.cassettes.recording import Recorder
from conformance.checks import CHECKS, DEFAULT_CLOCK_SKEW_S
from conformance.contract import load_contract
from conformance.reports import write_from_stream
from conformance.reports.document import reproduce_command
from conformance.results import CaseResult
from conformance.runner import Runner, RunOptions, plan_for
from conformance.settings import CASSETTES_ROOT, REPORTS_ROOT, TARGET_DEFAULTS, TIME_BOXED_EXAMPLES
from conformance.sinks import RunSinks
from conformance.targets import SetupError, Target, emulator_target, live_target


def point_latest_at(report_dir: Path) -> None:
    """``reports/latest`` names the newest run's folder (a symlink, swapped atomically)."""
    latest = report_dir.parent / "latest"
    temporary = report_dir.parent / f".latest.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(report_dir.name, target_is_directory=True)
    os.replace(temporary, latest)


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        index, total = (int(part) for part in value.split("/"))
    except ValueError:
        raise click.BadParameter(f"expected I/N such as 1/4, got {value!r}") from None
    if not 1 <= index <= total:
        raise click.BadParameter(f"shard index must be between 1 and {total}, got {index}")
    return index, total


def parse_duration(value: str | None) -> float | None:
    """``90``, ``90s``, ``10m`` or ``2h`` as seconds."""
    if value is None:
        return None
    number, unit = value.strip()[:-1], value.strip()[-1:]
    if unit.isdigit():
        number, unit = value.strip(), "s"
    try:
        seconds = float(number) * {"s": 1, "m": 60, "h": 3600}[unit]
    except (KeyError, ValueError):
        raise click.BadParameter(f"--max-time: expected a duration such as 90s, 10m or 2h, got {value!r}") from None
    if seconds <= 0:
        raise click.BadParameter(f"--max-time must be more than zero, got {value!r}")
    return seconds


def parse_checks(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(names - CHECKS.keys())
    if unknown:
        raise click.BadParameter(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    return names


def parse_severities(values: tuple[str, ...]) -> dict[str, str]:
    """``CHECK=fail|warn`` pairs: the user's policy where it differs from the docs' default."""
    chosen: dict[str, str] = {}
    for value in values:
        name, _, severity = value.partition("=")
        name, severity = name.strip(), severity.strip()
        if name not in CHECKS:
            raise click.BadParameter(f"unknown check {name!r} in --severity {value!r}; known: {', '.join(CHECKS)}")
        if severity not in ("fail", "warn"):
            raise click.BadParameter(f"--severity {value!r}: expected CHECK=fail or CHECK=warn")
        chosen[name] = severity
    return chosen


@contextmanager
def open_target(name: str, base_url: str | None, configuration_id: str | None, *, deterministic: bool,
                seed: int) -> Iterator[Target]:  # fmt: skip
    if name == "live":
        yield live_target(os.environ, base_url, configuration_id)
        return
    if base_url:
        raise SetupError("--base-url is for --target live; the emulator target starts its own server")
    with emulator_target(deterministic=deterministic, seed=seed) as target:
        yield target


def run_id_for(target: str, seed: int, deterministic: bool) -> str:
    if deterministic:
        return f"{target}-seed{seed}"
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{target}-seed{seed}"


class Progress:
    """A live line on a terminal; quiet, line-oriented output in CI and pipes."""

    def __init__(self) -> None:
        self.interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self.failed = 0

    def __call__(self, index: int, total: int, case: CaseResult) -> None:
        failed = [r for r in case.checks if r.outcome == "failed"]
        self.failed += bool(failed)
        if self.interactive:
            click.echo(f"\r  [{index}/{total}] {self.failed} failing case(s)  ", nl=False, err=True)
            if index == total:
                click.echo("", err=True)
        else:
            for result in failed:
                click.echo(f"FAIL {case.case.id} {result.check}: {result.message[:200]}", err=True)
            if index % 100 == 0 or index == total:
                click.echo(f"progress {index}/{total} cases, {self.failed} failing", err=True)


def print_summary(document: dict[str, Any], report_dir: Path, reproduce: str) -> None:
    """The verdict, the first failure of each failing check and the drift, from a results document."""
    counts = document["counts"]
    click.echo(
        f"{document['verdict'].upper()}: {counts['cases']} cases, {counts['requests']} requests, "
        f"{counts['failures']} failures, {counts['warnings']} warnings, {counts['inconclusive']} inconclusive"
        + (" (interrupted)" if document["interrupted"] else "")
    )
    by_check: dict[str, list[dict[str, Any]]] = {}
    for failure in document["failures"]:
        by_check.setdefault(failure["check"], []).append(failure)
    for check, failures in by_check.items():
        first, more = failures[0], len(failures) - 1
        click.echo(f"  FAIL {check} [{first['case']}]: {first['message']}" + (f" (+{more} more)" if more else ""))
        if first["curl"]:
            click.echo(f"       {first['curl'][:500]}")
    for message in sorted({w["message"] for w in document["warnings"]})[:10]:
        click.echo(f"  warn {message}")
    click.echo(f"reports: {report_dir}")
    click.echo(f"reproduce: {reproduce}")


def execute(target_name: str, base_url: str | None, configuration_id: str | None, seed: int | None,
            max_examples: int | None, max_requests: int | None, rate: float | None, report_dir: Path | None,
            shard: str | None, checks: str | None, deterministic: bool, cassette_dir: Path | None = None,
            redact_pii: bool | None = None, clock_skew: float = DEFAULT_CLOCK_SKEW_S,
            severities: dict[str, str] | None = None, max_time: float | None = None) -> int:  # fmt: skip
    defaults = TARGET_DEFAULTS[target_name]
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    if max_examples is None and max_time is not None:
        max_examples = TIME_BOXED_EXAMPLES  # the clock ends the run, not the plan
    options = RunOptions(
        seed=seed,
        max_examples=max_examples or defaults.max_examples,
        max_requests=max_requests if max_requests is not None else defaults.max_requests,
        rate=rate if rate is not None else defaults.rate,
        shard=parse_shard(shard),
        checks=parse_checks(checks),
        clock_skew_s=clock_skew,
        severities=severities or {},
        max_time_s=max_time,
    )
    run_id = run_id_for(target_name, seed, deterministic)
    report_dir = report_dir or REPORTS_ROOT / run_id
    cassette_dir = cassette_dir or CASSETTES_ROOT / run_id
    redact_pii = defaults.redact_pii if redact_pii is None else redact_pii
    with sigterm_interrupts(), open_target(target_name, base_url, configuration_id, deterministic=deterministic,
                                           seed=seed) as target:  # fmt: skip
        contract = load_contract()
        plan = plan_for(target, options, contract)  # drawn as it is sent
        size = f"{len(plan)} cases" if max_time is None else f"up to {max_time:g} s of cases"
        click.echo(f"conformance run {run_id}: {size} against {target.name} {target.base_url} (seed {seed})",
                   err=True)  # fmt: skip
        recorder = Recorder.for_run(cassette_dir, target, options, run_id, pii=redact_pii, deterministic=deterministic)
        sinks = RunSinks(report_dir, recorder, contract)
        runner = Runner(target, options, contract=contract, recorder=recorder)
        try:
            result = runner.run(plan, run_id, Progress(), sinks)
        finally:
            runner.client.close()
        with signals_deferred() as received:
            sinks.end(result)
            document = write_from_stream(report_dir)
            if report_dir.parent == REPORTS_ROOT:
                point_latest_at(report_dir)
    print_summary(document, report_dir, reproduce_command(document))
    if result.interrupted or received:
        return 130
    return 1 if document["verdict"] == "failed" else 0


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM takes the Ctrl-C path: the run stops, what it did is written, the results say interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """While cassettes and reports are written, Ctrl-C and SIGTERM wait (and are listed) so none is cut short."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda signum, _frame: received.append(signum)) for signum in signals}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
