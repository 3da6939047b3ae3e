"""The report commands: ``conformance diff``, ``conformance gate`` and ``conformance report merge``.

Bad input gets one line naming the file and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from conformance.report.history import HistoryStore

PathArg = click.Path(path_type=Path)
HistoryOption = click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the run into this history file (SQLite, created on first use; default: CONFORMANCE_HISTORY).",
)


def _die(command: str, message: str) -> NoReturn:
    click.echo(f"conformance {command}: {message}", err=True)
    sys.exit(2)


def _open_history(command: str, option: Path | None) -> HistoryStore | None:
    """The history named by ``--history`` or ``CONFORMANCE_HISTORY``, opened (created) before any writing."""
    from conformance.report.history import HistoryError, history_location, open_history

    location = history_location(option)
    if location is None:
        return None
    try:
        return open_history(location)
    except HistoryError as exc:
        _die(command, f"--history: {exc}")


@click.command()
@click.argument("old", type=PathArg)
@click.argument("new", type=PathArg)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="Markdown for people and step summaries, JSON for tools.",
)
@click.option("--output", type=PathArg, help="Write the diff to FILE instead of standard output.")
def diff(old: Path, new: Path, output_format: str, output: Path | None) -> None:
    """What changed from run OLD to run NEW (report directories or results.json files).

    Exit 1 when NEW regressed (a check fails that did not, a check fails in a new case group, a
    documented response field is gone), 0 otherwise, 2 when an input cannot be read. Exit 0 is no pass:
    a NEW that still fails reads "no change, still failing" (the gate decides red).
    """
    from conformance.record.atomic import write_atomic
    from conformance.report.diff import diff_runs, load_run, render_json, render_markdown
    from conformance.report.document import ReportInputError

    try:
        before, after = load_run(old), load_run(new)
    except ReportInputError as exc:
        _die("diff", str(exc))
    result = diff_runs(before, after)
    text = render_json(result) if output_format == "json" else render_markdown(result)
    if output:
        try:
            write_atomic(output, text)
        except OSError as exc:
            _die("diff", f"cannot write {output}: {exc.strerror or exc}")
        click.echo(f"{result.state}: diff written to {output}")
    else:
        click.echo(text, nl=False)
    sys.exit(1 if result.regressed else 0)


@click.command()
@click.argument("run", type=PathArg)
@click.option("--policy", type=PathArg, help="TOML policy (default: no failure allowed).")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    hidden=True,
    help="Judge expiry dates as of this day (for reproducing a past decision).",
)
def gate(run: Path, policy: Path | None, today: object) -> None:
    """Decide whether run RUN (a report directory or results.json) may ship.

    Prints every decision with its reason. Exit 0 pass, 1 fail, 2 for a bad policy file or an
    unreadable RUN.
    """
    from conformance.report.document import ReportInputError, load_results
    from conformance.report.gate import CheckNames, Policy, PolicyError, evaluate, load_policy

    try:
        document = load_results(run)
    except ReportInputError as exc:
        _die("gate", f"RUN: {exc}")
    try:
        chosen = load_policy(policy, CheckNames(document["checks"])) if policy else Policy()
    except PolicyError as exc:
        _die("gate", str(exc))
    day = today.date() if today else date.today()  # type: ignore[attr-defined]
    result = evaluate(document, chosen, day)
    click.echo(f"gate for {document['run_id']} ({document['target']}, seed {document['seed']}) under {chosen.source}:")
    for decision in result.decisions:
        click.echo(f"  {decision.line()}")
    blocking = sum(d.blocks for d in result.decisions)
    click.echo("gate PASSED" if result.passed else f"gate FAILED: {blocking} blocking decision(s)")
    sys.exit(0 if result.passed else 1)


@click.group()
def report() -> None:
    """Work with report directories."""


@report.command("render")
@click.argument("run", type=PathArg)
@click.option("--baseline", type=PathArg, help="An earlier run: mark each failure group new or known, list the fixed.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the reports (default: RUN itself).")  # fmt: skip
def render(run: Path, baseline: Path | None, output: Path | None) -> None:
    """Write junit.xml, summary.md and report.html again from RUN's results.json (against a baseline)."""
    from conformance.report import write_formats
    from conformance.report.document import ReportInputError, load_results, results_path

    try:
        document = load_results(run)
        before = load_results(baseline) if baseline else None
    except ReportInputError as exc:
        _die("report render", str(exc))
    directory = output or results_path(run).parent
    try:
        written = write_formats(document, directory, before)
    except OSError as exc:
        _die("report render", f"cannot write into {directory}: {exc.strerror or exc}")
    click.echo(f"{', '.join(map(str, written))}")


@report.command("build")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@HistoryOption
def build(directory: Path, history: Path | None) -> None:
    """Build results.json and every report from the results stream in DIRECTORY (results.jsonl).

    A run writes its stream case by case and builds the reports at its end; this does it for a run that
    never reached its end (killed), or again; the line says the verdict (PASSED, FAILED, UNDECIDED, INCOMPLETE
    or INTERRUPTED) and the exit code is the one the run gives it (0, 1, 2, 3, 130); 2 also for no readable stream.
    """
    from conformance.judge.coverage import EXIT_CODES, Verdict, coverage_line
    from conformance.record.stream import StreamError
    from conformance.report import write_from_stream
    from conformance.report.document import headline
    from conformance.report.history import HistoryError

    store = _open_history("report build", history)
    try:
        document = write_from_stream(directory, history=store)
    except StreamError as exc:
        _die("report build", str(exc))
    except OSError as exc:
        _die("report build", f"cannot write into {directory}: {exc.strerror or exc}")
    except HistoryError as exc:
        _die("report build", f"the reports are written, but the run was not recorded: {exc}")
    finally:
        if store is not None:
            store.close()
    counts = document["counts"]
    click.echo(
        f"{headline(document)}: {counts['cases']} cases, {counts['requests']} requests, "
        f"{counts['failures']} failures, {counts['warnings']} warnings"
        + (" (interrupted: the stream has no end)" if document["interrupted"] else "")
        + f" -> {directory}"
    )
    if unjudged := coverage_line(document):
        click.echo(f"  {unjudged}")
    sys.exit(EXIT_CODES[Verdict(document["verdict"])])


@report.command("merge")
@click.argument("directories", nargs=-1, required=True, type=PathArg)
@click.option(
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the merged results.json and every other format.",
)
@click.option("--baseline", type=PathArg, help="An earlier run: mark each failure group new or known.")
@HistoryOption
def merge(directories: tuple[Path, ...], output: Path, baseline: Path | None, history: Path | None) -> None:
    """Merge the reports of the shards of one run (DIR... each holding results.json) into one."""
    from conformance.judge.coverage import EXIT_CODES, Verdict
    from conformance.report import write_document
    from conformance.report.document import ReportInputError, headline, load_results, missing_shards
    from conformance.report.merge import MergeError, merge_documents

    try:
        documents = [load_results(directory) for directory in directories]
        merged = merge_documents(documents, [str(d) for d in directories])
        before = load_results(baseline) if baseline else None
    except (ReportInputError, MergeError) as exc:
        _die("report merge", str(exc))
    from conformance.report.history import HistoryError

    store = _open_history("report merge", history)
    try:
        written = write_document(merged, output, before, store)
    except OSError as exc:
        _die("report merge", f"cannot write into {output}: {exc.strerror or exc}")
    except HistoryError as exc:
        _die("report merge", f"the reports are written, but the run was not recorded: {exc}")
    finally:
        if store is not None:
            store.close()
    counts = merged["counts"]
    missing = missing_shards(merged["shard"])
    if missing:  # the gate fails such a merge; say it here too, where the shards are chosen
        click.echo(f"conformance report merge: INCOMPLETE shard set: {merged['shard']} without "
                   f"{', '.join(missing)}", err=True)  # fmt: skip
    verdict = headline(merged)
    click.echo(
        f"{verdict}: {len(directories)} shard(s) merged, {counts['cases']} cases, "
        f"{counts['failures']} failures, {counts['warnings']} warnings -> {', '.join(map(str, written))}"
    )
    # The merged run's verdict decides, as a run's does: shards missing from the set leave families unjudged.
    sys.exit(EXIT_CODES[Verdict(merged["verdict"])] if "verdict" in merged else 0)


@click.command()
@click.argument("report_dir", type=PathArg)
@click.argument("group")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path),
              help="Read first seen and nights failing from this history (default: CONFORMANCE_HISTORY).")  # fmt: skip
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the ticket files (default: REPORT_DIR).")  # fmt: skip
def ticket(report_dir: Path, group: str, history: Path | None, output: Path | None) -> None:
    """Write one failure GROUP of the run in REPORT_DIR as a vendor support ticket: ticket-<group>.md and .json.

    GROUP is the group's signature as the digest and `conformance history` print it (check: cause), its number
    in the digest (1 is the first), or the start of its signature. Exit 0; 2 when the run, the group or the
    history cannot be used.
    """
    from conformance.contract.schemas import ContractError, load_contract
    from conformance.record.atomic import write_atomic
    from conformance.report.digest import build_digest
    from conformance.report.document import ReportInputError, load_results, results_path
    from conformance.report.history import HistoryError, HistoryView, history_location, open_history
    from conformance.report.ticket import (
        TicketError,
        build_ticket,
        file_stem,
        find_group,
        render_json,
        render_markdown,
    )

    try:
        document = load_results(report_dir)
        chosen = find_group(build_digest(document), group)
        contract = load_contract()
    except (ReportInputError, TicketError, ContractError) as exc:
        _die("ticket", str(exc))
    nights = None
    location = history_location(history)
    if location is not None:
        if not location.is_file():
            _die("ticket", f"--history: {location}: no history there")
        try:
            store = open_history(location)
            try:
                view = HistoryView.of(store)
            finally:
                store.close()
        except HistoryError as exc:
            _die("ticket", f"--history: {exc}")
        found = view.group(chosen.key)
        nights = {"location": str(location), "found": found is not None}
        if found is not None:
            nights |= {"status": found.status, "line": found.line(), "first_seen": found.first_seen.day,
                       "last_seen": found.last_seen.day, "nights_failing": found.nights_failing,
                       "window": found.window}  # fmt: skip
    made = build_ticket(document, chosen, contract, nights)
    directory = output or results_path(report_dir).parent
    stem = directory / file_stem(chosen.key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(stem.with_suffix(".md"), render_markdown(made))
        write_atomic(stem.with_suffix(".json"), render_json(made))
    except OSError as exc:
        _die("ticket", f"cannot write into {directory}: {exc.strerror or exc}")
    click.echo(f"ticket for {chosen.key!r} ({len(chosen.case_ids)} cases): {stem}.md, {stem}.json")


__all__ = ["diff", "gate", "report", "ticket"]
