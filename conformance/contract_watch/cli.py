"""`conformance contract` (imports the machinery only when it runs, so the CLI starts fast)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

FORMATS = ("text", "md", "json")  # conformance.contract_watch.render.FORMATS, without importing jinja2 for --help


@click.group("contract")
def contract() -> None:
    """Watch the contract: compare schemas/ with the vendor's published description."""


@contract.command("diff")
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, md for a job summary, json for tools.")  # fmt: skip
@click.option("--recording", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also replay this recording against schemas/ and against the contract SOURCE implies, and "
                   "list the verdicts that would appear and disappear.")  # fmt: skip
@click.option("--schemas", "schemas", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The schema folder to compare (default: the project's schemas/).")  # fmt: skip
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the result to this file instead of standard output.")  # fmt: skip
def diff_command(source: str, fmt: str, recording: Path | None, schemas: Path | None, output: Path | None) -> None:
    """Compare schemas/ with SOURCE, member by member, and classify each change as additive or breaking.

    SOURCE is the vendor's published OpenAPI description (a file or an http(s) URL; JSON or YAML) or a
    reference page in the docs' scraped format. It covers POST /v2/Conversations and GET
    /v2/Conversations/{id}: request and response bodies at every depth, statuses, parameters, response
    headers and security.

    Exit 0: nothing changed; 1: something changed (additive or breaking); 2: SOURCE, the schemas or the
    recording cannot be read.
    """
    from conformance.contract.schemas import ContractError, load_contract
    from conformance.contract_watch.changes import compare
    from conformance.contract_watch.provenance import matching, origins
    from conformance.contract_watch.render import document, render
    from conformance.contract_watch.shape import read_contract
    from conformance.contract_watch.source import SourceError, read_source

    try:
        current = load_contract(schemas)
        description = read_source(source, current)
    except (ContractError, SourceError) as exc:
        _fail(exc)
    changes = compare(read_contract(current), description.shape)
    effect = None
    if recording is not None:  # the replay machinery is imported only for an impact
        from conformance.contract_watch.alternative import write_alternative
        from conformance.contract_watch.impact import impact
        from conformance.run.replay import ReplayError

        with tempfile.TemporaryDirectory(prefix="contract-") as folder:
            try:
                alternative = write_alternative(current, description, changes, Path(folder))
            except (KeyError, TypeError, ValueError, ContractError) as exc:
                _fail(ValueError(f"cannot build the contract {source} implies: {type(exc).__name__}: {exc}"))
            try:
                effect = impact(recording, current, alternative)
            except (ReplayError, ContractError) as exc:
                _fail(exc)
    derived = matching(current, description.identity["sha256"])
    text = render(document(description, origins(current), changes, effect, derived), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(OSError(f"{output}: {exc.strerror or exc}"))
    sys.exit(1 if changes else 0)


def _fail(exc: Exception) -> None:
    click.echo(f"conformance contract diff: {' '.join(str(exc).split())}", err=True)
    sys.exit(2)
