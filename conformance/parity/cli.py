"""`conformance parity` (imports the machinery only when it runs, so the CLI starts fast)."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click


@click.command("parity")
@click.argument("cassette_dir", type=click.Path(path_type=Path))
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where parity.json, parity.md and parity.html go (default reports/parity-<run-id>).")  # fmt: skip
@click.option("--base-url", help="An emulator already running (default: start the embedded one).")
@click.option("--known", "known_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Accepted differences (default conformance/emulator/parity-known.toml).")  # fmt: skip
def parity_command(cassette_dir: Path, report_dir: Path | None, base_url: str | None,
                   known_file: Path | None) -> None:  # fmt: skip
    """Re-send every request of a recording (CASSETTE_DIR) to the emulator and compare the answers.

    Exit 0: the emulator matches (every difference is a known one); 1: it differs, or nothing could be
    compared; 2: the recording (or the known-differences file) cannot be read, or the emulator cannot start.
    """
    from conformance.parity.engine import run_parity
    from conformance.parity.known import KNOWN_FILE, KnownFileError, load_known, shown
    from conformance.parity.report import document as parity_document
    from conformance.parity.report import exit_code, write_reports
    from conformance.parity.resend import Endpoint, embedded_emulator, redactor_for, running_emulator
    from conformance.run.replay import Recording, ReplayError
    from conformance.send.targets import SetupError, refuse_credentials_in
    from conformance.settings import REPORTS_ROOT

    def die(message: str) -> NoReturn:
        click.echo(f"conformance parity: {message}", err=True)
        sys.exit(2)

    known_file = known_file or KNOWN_FILE
    try:
        if base_url:
            refuse_credentials_in(base_url)  # it would be written into the parity reports
        known = load_known(known_file)
    except (KnownFileError, SetupError) as exc:
        die(str(exc))
    try:
        recording = Recording(cassette_dir)  # run.json first: its seed seeds the emulator's ids
        emulator: AbstractContextManager[Endpoint] = (
            nullcontext(running_emulator(base_url)) if base_url else embedded_emulator(recording.meta["seed"])
        )
        with emulator as endpoint:
            result = run_parity(recording, endpoint)
    except (ReplayError, SetupError) as exc:
        die(str(exc))
    redactor = redactor_for(endpoint)
    doc = parity_document(result, known, datetime.now(UTC).date(), shown(known_file))
    report_dir = report_dir or REPORTS_ROOT / f"parity-{result.recording['run_id']}"
    write_reports(doc, report_dir, redactor)
    counts = doc["counts"]
    click.echo(f"PARITY {doc['verdict'].upper()}: {counts['compared']} cases compared ({counts['interactions']} "
               f"answers), {counts['skipped']} skipped, {counts['differing_groups']} differing group(s), "
               f"{counts['accepted_groups']} accepted")  # fmt: skip
    for group in doc["groups"]:
        if group["status"] != "accepted":
            click.echo(redactor.text(f"  DIFF {group['route']} {group['kind']} {group['subject']}: vendor "
                                     f"{group['vendor']}, emulator {group['emulator']} ({group['occurrences']}x, "
                                     f"first {group['examples'][0]['case']})"))  # fmt: skip
    click.echo(f"reports: {report_dir}")
    sys.exit(exit_code(doc))
