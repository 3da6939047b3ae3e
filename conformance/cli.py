"""The `conformance` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from conformance import __version__
from conformance.contract import ContractError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def cli() -> None:
    """Contract and conformance suite for Twilio Conversations v2 "Create a new Conversation"."""


@cli.group()
def schemas() -> None:
    """Work with the contract in schemas/."""


@schemas.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Schema folder (default: the project's schemas/).",
)
def schemas_check(directory: Path | None) -> None:
    """Validate the schema files and the OpenAPI document; print a one-line summary."""
    from conformance.schema_check import check_schemas

    try:
        report = check_schemas(directory)
    except ContractError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    click.echo(report.summary)
    sys.exit(1 if report.problems else 0)


def main() -> None:
    cli(prog_name="conformance")


if __name__ == "__main__":
    main()
