"""`conformance replay` (imports the machinery only when it runs, so the CLI starts fast)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("replay")
@click.argument("cassette_dir", type=click.Path(path_type=Path))
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where reports go (default reports/replay-<run-id>).")  # fmt: skip
def replay_command(cassette_dir: Path, report_dir: Path | None) -> None:
    """Re-run every check over a recorded run (CASSETTE_DIR), offline; writes the same reports as a run.

    Exit as the run would for the verdict replayed (0 PASSED, 1 FAILED, 3 INCOMPLETE, 130 INTERRUPTED: a
    recording its run never finished), 2 when the recording cannot be read.
    """
    from conformance.judge.coverage import EXIT_CODES, Verdict
    from conformance.report import write_all
    from conformance.run.replay import ReplayError, no_network, replay
    from conformance.run.run_command import print_summary
    from conformance.settings import REPORTS_ROOT

    with no_network():
        try:
            result = replay(cassette_dir)
        except ReplayError as exc:
            click.echo(f"conformance replay: {exc}", err=True)
            sys.exit(2)
        report_dir = report_dir or REPORTS_ROOT / f"replay-{result.run_id}"
        write_all(result, report_dir, ())
    document = result.to_json()
    print_summary(document, report_dir, f"conformance replay {cassette_dir}")
    sys.exit(EXIT_CODES[Verdict(document["verdict"])])
