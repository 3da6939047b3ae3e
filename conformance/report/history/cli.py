"""``conformance history``: the failure groups and the nights recorded in a history store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from conformance.report.history.status import DEFAULT_WINDOW

HistoryPath = click.Path(dir_okay=False, path_type=Path)


@click.command("history")
@click.option("--history", "location", type=HistoryPath,
              help="The history file (default: CONFORMANCE_HISTORY).")  # fmt: skip
@click.option("--format", "output_format", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="text for a terminal, md for CI step summaries, json for tools.")  # fmt: skip
@click.option("--nights", "window", type=click.IntRange(min=1), default=DEFAULT_WINDOW, show_default=True,
              help="The window: nights shown, and counted in 'nights failing'.")  # fmt: skip
@click.option("--coverage", is_flag=True,
              help="Instead: when each case family was last judged, over all nights (never-judged first).")  # fmt: skip
def history_command(location: Path | None, output_format: str, window: int, coverage: bool) -> None:
    """Every failure group of the recent nights with its status, and the nights themselves.

    Statuses: new, persistent, regressed, intermittent, fixed (the README's "History" section defines them).
    With --coverage: the coverage ledger instead, when each case family was last judged (budget-limited runs
    rotate their plans by it).
    Exit 0; 2 when there is no history to read.
    """
    from conformance.report.history import HistoryError, HistoryView, history_location, open_history
    from conformance.report.history.render import render_json, render_markdown, render_text

    chosen = history_location(location)
    if chosen is None:
        _die("no history given: pass --history PATH or set CONFORMANCE_HISTORY")
    if not chosen.is_file():
        _die(f"{chosen}: no history there (a run with --history {chosen} starts one)")
    try:
        store = open_history(chosen)
        try:
            nights = store.nights() if coverage else []
            view = None if coverage else HistoryView.of(store, window)
        finally:
            store.close()
    except HistoryError as exc:
        _die(str(exc))
    if view is None:
        from conformance.report.history.ledger import coverage_ledger, render_coverage

        click.echo(render_coverage(str(chosen), coverage_ledger(nights), output_format), nl=False)
        return
    renderers = {"text": render_text, "md": render_markdown, "json": render_json}
    click.echo(renderers[output_format](view), nl=False)


def _die(message: str) -> NoReturn:
    click.echo(f"conformance history: {message}", err=True)
    sys.exit(2)
