"""`conformance run`: options in, a run, reports out, an exit code."""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from conformance.contract.schemas import load_contract
from conformance.interrupts import INTERRUPTS
from conformance.judge.checks import CHECKS, DEFAULT_CLOCK_SKEW_S
from conformance.judge.checks.registry import clipped
from conformance.judge.coverage import EXIT_CODES, Verdict, coverage_line
from conformance.judge.verdicts import CaseResult
from conformance.kinds import CheckOutcome, Severity, values
from conformance.plan.credentials import credential_variables
from conformance.record.atomic import note_umask
from conformance.record.cassettes.recording import Recorder
from conformance.record.results import RunResult
from conformance.record.results_file import Records
from conformance.record.sinks import RunSinks
from conformance.record.tally import Answers
from conformance.report import write_from_stream
from conformance.report.digest import build_digest
from conformance.report.document import (
    ReportInputError,
    case_counts,
    headline,
    load_results,
    reproduce_case_command,
    reproduce_command,
    undecided,
)
from conformance.report.history.store import HistoryError, HistoryStore
from conformance.run.confirmation import FailingGroups, confirm
from conformance.run.runner import STOPPED_NOT_THE_API, STOPPED_UNAVAILABLE, Runner, plan_for
from conformance.run.shrinking import large_groups, shrink
from conformance.send.targets import (
    SECOND_ACCOUNT_MISSING,
    SetupError,
    Target,
    emulator_target,
    live_target,
    refuse_credentials_in,
    refuse_short_secrets,
)
from conformance.send.transport import NOT_THE_API
from conformance.settings import CASSETTES_ROOT, REPORTS_ROOT, TARGET_DEFAULTS, TIME_BOXED_EXAMPLES, RunOptions

CONSOLE_GROUPS = 8  # failure groups printed at the end of a run; summary.md and report.html have them all


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
    if not seconds > 0 or math.isinf(seconds):  # nan is neither more nor less than zero
        raise click.BadParameter(f"--max-time must be a finite duration more than zero, got {value!r}")
    return seconds


def parse_checks(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(names - CHECKS.keys())
    if unknown:
        raise click.BadParameter(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    return names


def parse_severities(pairs: tuple[str, ...]) -> dict[str, Severity]:
    """``CHECK=fail|warn`` pairs: the user's policy where it differs from the docs' default."""
    chosen: dict[str, Severity] = {}
    for value in pairs:
        name, _, severity = value.partition("=")
        name, severity = name.strip(), severity.strip()
        if name not in CHECKS:
            raise click.BadParameter(f"unknown check {name!r} in --severity {value!r}; known: {', '.join(CHECKS)}")
        if severity not in values(Severity):
            raise click.BadParameter(f"--severity {value!r}: expected CHECK=fail or CHECK=warn")
        chosen[name] = Severity(severity)
    return chosen


def excluded_severities(checks: str | None, severities: tuple[str, ...]) -> list[str]:
    """The checks given a severity (a flag, or pinned in a file) that the ``--checks`` allow-list leaves out."""
    allowed = parse_checks(checks)
    if allowed is None:
        return []
    return sorted(parse_severities(severities).keys() - allowed)


@contextmanager
def open_target(name: str, base_url: str | None, configuration_id: str | None, *, deterministic: bool,
                seed: int) -> Iterator[Target]:  # fmt: skip
    refuse_short_secrets(os.environ)  # both targets read the credential variables
    if name == "live":
        yield live_target(os.environ, base_url, configuration_id)
        return
    if base_url:
        refuse_credentials_in(base_url)
        raise SetupError("--base-url is for --target live; the emulator target starts its own server")
    with emulator_target(deterministic=deterministic, seed=seed) as target:
        yield target


def run_id_for(target: str, seed: int, deterministic: bool) -> str:
    if deterministic:
        return f"{target}-seed{seed}"
    now = datetime.now(UTC)  # to the millisecond: two runs started within one second are two nights, not one
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{target}-seed{seed}"


class Progress:
    """A live line on a terminal; quiet, line-oriented output in CI and pipes. Either is written at most a few
    times a second (a line every ``LINE_EVERY_S`` in CI), however fast cases come; failures always at once."""

    REDRAW_EVERY_S = 0.1
    LINE_EVERY_S = 5.0

    def __init__(self, report_dir: Path | str = "DIR", clock: Callable[[], float] = time.monotonic) -> None:
        self.interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self.report_dir = report_dir  # where the reports will be, for each failing case's reproduce line
        self.failed = 0
        self._clock = clock
        self._last = clock()

    @staticmethod
    def of(total: int) -> str:
        """The plan's size, or "?" for a time-boxed run, whose plan has no real end."""
        return "?" if total >= TIME_BOXED_EXAMPLES else str(total)

    def __call__(self, index: int, total: int, case: CaseResult) -> None:
        failed = [r for r in case.checks if r.outcome == CheckOutcome.FAILED]
        self.failed += bool(failed)
        if not self.interactive:
            for result in failed:
                click.echo(f"FAIL {case.case.id} {result.check}: {clipped(result.message, 300)}", err=True)
            if failed:
                click.echo(f"     {reproduce_case_command(self.report_dir, case.case.id)}", err=True)
        now = self._clock()
        due = now - self._last >= (self.REDRAW_EVERY_S if self.interactive else self.LINE_EVERY_S)
        if not (due or index == total):
            return
        self._last = now
        if self.interactive:
            click.echo(f"\r  [{index}/{self.of(total)}] {self.failed} failing case(s)  ", nl=False, err=True)
            if index == total:
                click.echo("", err=True)
        else:
            click.echo(f"progress {index}/{self.of(total)} cases, {self.failed} failing", err=True)


def print_summary(document: dict[str, Any], report_dir: Path, reproduce: str) -> None:
    """The verdict, then the digest's groups (most serious first), each with a line that re-sends it."""
    counts = document["counts"]
    click.echo(f"{headline(document)}: {case_counts(document)} ({counts['requests']} requests; "
               f"{counts['failures']} failed checks, {counts['warnings']} warnings)")  # fmt: skip
    if unjudged := coverage_line(document):
        click.echo(f"  {unjudged}")
    digest = build_digest(document)
    if digest.groups:
        click.echo(f"failing: {digest.failing_cases} of {counts['cases']} cases, in {len(digest.groups)} group(s)")
    confirmed = {(g["check"], g["cause"]): g for g in document.get("confirmation") or ()}
    for group in digest.groups[:CONSOLE_GROUPS]:
        example = group.example
        status = confirmation_note(confirmed.get((group.check, group.cause)))
        shrunk = group.reduced
        reduced = f" reduced ({shrunk['from_size']:,} → {shrunk['size']:,} characters)" if shrunk else ""
        click.echo(f"  FAIL {group.check}: {group.cause} ({len(group.cases)} cases){status} e.g. {example['case']}"
                   f"{reduced}: {clipped(example['message'], 300)}")  # fmt: skip
        click.echo(f"       {reproduce_case_command(report_dir, example['case'])}")
    if len(digest.groups) > CONSOLE_GROUPS:
        click.echo(f"  ... {len(digest.groups) - CONSOLE_GROUPS} more group(s) in {report_dir / 'summary.md'}")
    drift = sorted({w["message"] for w in document["warnings"]})
    for message in drift[:10]:
        click.echo(f"  warn {message}")
    click.echo(f"reports: {report_dir}")
    click.echo(f"reproduce: {reproduce}")


def confirmation_note(again: dict[str, Any] | None) -> str:
    """What re-sending a group's example showed, for its console line."""
    if again is None:
        return ""
    if not again["resent"]:
        return f" [{again['status']}: no request left in the budget to re-send it]"
    return f" [{again['status']}: failed {again['failed']} of {again['resent']} re-sends]"


def execute(target_name: str, base_url: str | None, configuration_id: str | None, seed: int | None,
            max_examples: int | None, max_requests: int | None, rate: float | None, report_dir: Path | None,
            shard: str | None, checks: str | None, deterministic: bool, cassette_dir: Path | None = None,
            redact_pii: bool | None = None, clock_skew: float = DEFAULT_CLOCK_SKEW_S,
            severities: dict[str, str] | None = None, baseline: Path | None = None,
            max_time: float | None = None, workers: int | None = None, history: Path | None = None) -> int:  # fmt: skip
    note_umask()  # before any thread starts: the reports are written with the mode it allows
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
        workers=1 if deterministic else workers or defaults.workers,
        draw_apart=True,
        deterministic=deterministic,
    )
    run_id = run_id_for(target_name, seed, deterministic)
    report_dir = report_dir or REPORTS_ROOT / run_id
    cassette_dir = cassette_dir or CASSETTES_ROOT / run_id
    redact_pii = defaults.redact_pii if redact_pii is None else redact_pii
    check_output_folders(report_dir, cassette_dir)
    before = load_baseline(baseline)
    store = open_store(history)
    with INTERRUPTS.installed(), open_target(target_name, base_url, configuration_id, deterministic=deterministic,
                                           seed=seed) as target:  # fmt: skip
        contract = load_contract()
        plan = plan_for(target, options, contract, rotation(store, options))  # drawn as it is sent
        size = f"{len(plan)} cases" if max_time is None else f"up to {max_time:g} s of cases"
        click.echo(f"conformance run {run_id}: {size} against {target.name} {target.base_url} (seed {seed})",
                   err=True)  # fmt: skip
        if target.second is None:
            click.echo(f"conformance: {SECOND_ACCOUNT_MISSING} (their families go unjudged: INCOMPLETE at best)",
                       err=True)  # fmt: skip
        recorder = Recorder.for_run(cassette_dir, target, pii=redact_pii, deterministic=deterministic)
        sinks = RunSinks(report_dir, recorder, contract)
        runner = Runner(target, options, contract=contract)
        failing = FailingGroups(sinks)
        try:
            result = runner.run(plan, run_id, Progress(report_dir), failing)
            if failing.groups and not result.interrupted:
                reconfirm(runner, failing, result)
            if failing.groups and not result.interrupted:
                reduce_examples(runner, failing, result, recorder)
        finally:
            runner.client.close()
        with INTERRUPTS.held():  # a Ctrl-C now waits until the recording and the reports are written
            problems, document = write_outputs(result, sinks, report_dir, before, store)
        received = INTERRUPTS.take_pending()
    if problems or document is None:
        click.echo(f"conformance: {problems[0]}" + (f" (and {len(problems) - 1} more)" if problems[1:] else ""),
                   err=True)  # fmt: skip
        return 2
    if received and not result.interrupted:  # the verdict was reached before it came: the reports stand as written
        click.echo("conformance: the signal came while the reports were written; they were finished first", err=True)
    if result.interrupted:
        print_summary(document, report_dir, reproduce_command(document))
        return EXIT_CODES[Verdict.INTERRUPTED]
    broken = broken_target(document)
    if broken:
        click.echo(f"conformance: {broken}; reports: {report_dir}", err=True)
        return 2
    print_summary(document, report_dir, reproduce_command(document))
    ruling = Verdict(document["verdict"])
    if ruling is Verdict.UNDECIDED:
        stopped = f"run stopped: {STOPPED_UNAVAILABLE}; " if document.get("stopped") == STOPPED_UNAVAILABLE else ""
        click.echo(f"conformance: {stopped}{undecided(document)}; reports: {report_dir}", err=True)  # not a pass
    return EXIT_CODES[ruling]


def reconfirm(runner: Runner, failing: FailingGroups, result: RunResult) -> None:
    """Before the verdict: each failure group's case sent again (``run/confirmation.py``), within the budget."""
    click.echo(f"confirming {len(failing.groups)} failure group(s): each example sent again", err=True)
    try:
        result.confirmation = confirm(runner, failing.groups.values())
    except KeyboardInterrupt:
        INTERRUPTS.delivered()
        result.interrupted = True  # stopped while confirming: the run did not reach its verdict
    finally:
        result.requests = runner.client.sent


def reduce_examples(runner: Runner, failing: FailingGroups, result: RunResult, recorder: Recorder) -> None:
    """Before the verdict: the examples of groups with only large cases shrunk (``conformance.run.shrinking``)."""
    large = large_groups(failing)
    if not large:
        return
    click.echo(f"reducing the example of {len(large)} failure group(s) with only large cases", err=True)
    try:
        result.reduced = shrink(runner, large, runner.contract, recorder.redacted, result.seed)
    except KeyboardInterrupt:
        INTERRUPTS.delivered()
        result.interrupted = True  # stopped while shrinking: the run did not reach its verdict
    finally:
        result.requests = runner.client.sent


def check_output_folders(*folders: Path) -> None:
    """Before anything is sent: each output folder is (or can become) a writable directory; leaves nothing.

    Writable is tried, not asked: ``os.access`` says yes to root everywhere, /proc and read-only mounts included,
    so a probe file is created in the nearest folder that exists and removed again."""
    for folder in folders:
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if folder.exists() and not folder.is_dir():
            raise SetupError(f"cannot write into {folder}: it is a file, not a directory")
        if not existing.is_dir():
            raise SetupError(f"cannot write into {folder}: {existing} is not a directory")
        try:
            handle, probe = tempfile.mkstemp(prefix=".conformance-write-probe-", dir=existing)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise SetupError(f"cannot write into {folder}: {existing} is not writable") from exc


def load_baseline(location: Path | None) -> dict[str, Any] | None:
    """The baseline run's results, read before anything is sent: an unusable one is a setup error."""
    if location is None:
        return None
    try:
        return load_results(location)
    except ReportInputError as exc:
        raise SetupError(f"--baseline: {exc}") from None


def open_store(location: Path | None) -> HistoryStore | None:
    """The history store, opened before anything is sent: an unusable one is a setup error."""
    if location is None:
        return None
    from conformance.report.history import open_history

    try:
        return open_history(location)
    except HistoryError as exc:
        raise SetupError(f"--history: {exc}") from None


def rotation(store: HistoryStore | None, options: RunOptions) -> dict[str, str] | None:
    """The coverage ledger a request-budgeted run with a history rotates its plan by (``CasePlan``); else None."""
    if store is None or options.max_requests is None or options.max_time_s is not None:
        return None
    from conformance.report.history.ledger import rotation_ledger

    try:
        return rotation_ledger(store.nights())
    except HistoryError as exc:
        raise SetupError(f"--history: {exc}") from None


def write_outputs(result: RunResult, sinks: RunSinks, report_dir: Path, baseline: dict[str, Any] | None = None,
                  history: HistoryStore | None = None) -> tuple[list[str], dict[str, Any] | None]:  # fmt: skip
    """The end of the recording, then results.json and the reports from the stream, and ``reports/latest``:
    each written where it can be; one line per thing that failed, and the results document when there is one."""
    problems, document = [], None
    try:
        sinks.end(result)
    except OSError as exc:
        problems.append(f"cannot finish the recording in {sinks.recorder.directory}: {exc.strerror or exc}")
    try:
        document = write_from_stream(report_dir, baseline, history, sinks.tally)
        if report_dir.parent == REPORTS_ROOT:
            point_latest_at(report_dir)
    except OSError as exc:
        problems.append(f"cannot write the reports into {report_dir}: {exc.strerror or exc}")
    except HistoryError as exc:  # the reports are written; the night is not in the history
        problems.append(f"the reports are in {report_dir}, but the run was not recorded: {exc}")
    finally:
        if history is not None:
            history.close()
    return problems, document


def answers_of(document: dict[str, Any]) -> Answers:
    """What the run's answers say of the target and the credentials: counted in the tally's pass when the document
    was built from a stream, else in one pass over its cases."""
    cases = document.get("cases") or ()
    if isinstance(cases, Records) and cases.answers is not None:
        return cases.answers
    answers = Answers()
    for case in cases:
        answers.add(case)
    return answers


def refused_credentials(document: dict[str, Any]) -> str | None:
    """One line when every request sent with one account's real credentials of one form got 401: the run's
    credentials are wrong (a rotated secret), not the vendor's contract, and its failures would say otherwise."""
    answers = answers_of(document)
    for key, count in answers.tried.items():
        if count >= REFUSED_AT_LEAST and answers.refused[key] == count:
            account, form = key
            user, password = credential_variables(account)[form]
            return (
                f"every request with the credentials in {user} and {password} got 401 ({count} case(s)): "
                "they are wrong or revoked, so nothing sent with them was judged; check them"
            )
    return None


REFUSED_AT_LEAST = 1  # cases with real credentials of one form, every one refused: the credentials are blamed


def broken_target(document: dict[str, Any]) -> str | None:
    """One line when the run's credentials were refused, or most answers did not come from the API (a proxy, an
    HTML page), or a run of them stopped the run: the target or the setup, not the contract."""
    if refused := refused_credentials(document):
        return refused
    answers = answers_of(document)
    answered, foreign = answers.answered, answers.foreign
    stopped = document.get("stopped") == STOPPED_NOT_THE_API
    if not foreign or (not stopped and foreign.total() * 2 <= answered):
        return None
    reason = foreign.most_common(1)[0][0].removeprefix(NOT_THE_API + ": ")
    if stopped:
        return (f"run stopped: {STOPPED_NOT_THE_API} ({reason}), so the rest was not sent; "
                f"is {document['base_url']} the API?")  # fmt: skip
    return (f"{foreign.total()} of {answered} answers were not the API's own, so nothing was judged "
            f"({reason}); is {document['base_url']} the API?")  # fmt: skip
