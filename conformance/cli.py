"""The `conformance` command.

Each command imports what it needs when it runs: the report commands (``diff``, ``gate``, ``report``) read
documents, and never pay for the checks, generation, validation or the emulator.
"""

from __future__ import annotations

import signal
import sys

INTERRUPTED_STARTING = "conformance: interrupted while starting; nothing was sent"

try:  # a Ctrl-C while the command loads: one line and 130, as for any interrupted run, never a traceback
    import importlib
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, ClassVar

    import click

    from conformance import __version__
    from conformance.settings import DEFAULT_CLOCK_SKEW_S, MOST_EXAMPLES, FiniteFloat, RequestRate
    from conformance.vendor import ENV_CONFIGURATION_ID
except KeyboardInterrupt:
    print(INTERRUPTED_STARTING, file=sys.stderr)
    raise SystemExit(130) from None


class _Commands(click.Group):
    """The command group; the commands defined in other modules are imported only when named (or listed)."""

    ELSEWHERE: ClassVar[dict[str, str]] = {
        "emulator": "conformance.emulator.cli:emulator_command",
        "diff": "conformance.report.cli:diff",
        "gate": "conformance.report.cli:gate",
        "report": "conformance.report.cli:report",
        "replay": "conformance.run.replay_command:replay_command",
        "parity": "conformance.parity.cli:parity_command",
        "contract": "conformance.contract_watch.cli:contract",
        "history": "conformance.report.history.cli:history_command",
        "ticket": "conformance.report.cli:ticket",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.ELSEWHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.ELSEWHERE and cmd_name not in self.commands:
            module, _, name = self.ELSEWHERE[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
    from conformance.contract.schema_check import check_schemas
    from conformance.contract.schemas import ContractError

    try:
        report = check_schemas(directory)
    except ContractError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    click.echo(report.summary)
    sys.exit(1 if report.problems else 0)


class _PinnedRun(click.Command):
    """``run``, whose defaults may be pinned in ``conformance.toml`` or ``pyproject.toml`` (``run/run_config.py``)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:  # fmt: skip
        from conformance.run.run_config import pinned_defaults, pinned_flags

        def parsers() -> dict[str, Callable[[Any], object]]:  # imported only when a file pins options
            from conformance.run.run_command import parse_checks, parse_duration, parse_severities, parse_shard

            return {"max-time": parse_duration, "shard": parse_shard, "checks": parse_checks,
                    "severity": parse_severities}  # fmt: skip

        path, defaults = pinned_defaults(self, Path.cwd(), parsers)
        context = super().make_context(info_name, args, parent, default_map=defaults or None, **extra)
        context.meta[PINNED] = (path, pinned_flags(self, defaults))
        return context


PINNED = "conformance.pinned"  # the context's note of which file pinned which options


def _per_target(setting: str) -> str:
    """A run default as --help shows it, per target, from the one place defaults live."""
    from conformance.settings import TARGET_DEFAULTS

    def shown(value: object) -> str:
        if value is None:
            return "unlimited"
        if isinstance(value, bool):
            return "on" if value else "off"
        return f"{value:g}" if isinstance(value, float) else str(value)

    return ", ".join(f"{name} {shown(getattr(defaults, setting))}" for name, defaults in TARGET_DEFAULTS.items())


@cli.command(cls=_PinnedRun)
@click.option(
    "--target",
    type=click.Choice(["emulator", "live"]),
    default="emulator",
    show_default=True,
    help="Where to send requests: the embedded emulator or the live API.",
)
@click.option("--base-url", help="Live API base URL (default: CONFORMANCE_BASE_URL, else "
              "https://conversations.twilio.com); the emulator target ignores that variable.")  # fmt: skip
@click.option("--configuration-id", envvar=ENV_CONFIGURATION_ID, help="An existing configuration (live).")
@click.option("--seed", type=int, help="Reproduce a run: the same seed sends the same requests.")
@click.option("--max-examples", type=click.IntRange(min=1, max=MOST_EXAMPLES),
              help="Generated valid requests; invalid ones scale with it "
              f"(default {_per_target('max_examples')}).")  # fmt: skip
@click.option("--max-requests", type=click.IntRange(min=1),
              help="Request budget, retries and read-backs included "
              f"(default {_per_target('max_requests')}).")  # fmt: skip
@click.option("--max-time", metavar="DURATION",
              help="Time-boxed (soak, fuzz): draw and send until DURATION (90s, 10m, 2h) is spent.")  # fmt: skip
@click.option("--rate", type=RequestRate(min=0, min_open=True),
              help=f"Requests per second (default {_per_target('rate')}).")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1, max=64),
              help="Cases in flight at once; verdicts still come in plan order "
              f"(default {_per_target('workers')}; --deterministic sends one at a time).")  # fmt: skip
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), help="Where reports go.")
@click.option("--shard", help="Run shard I of N (for a CI matrix), e.g. 2/4.")
@click.option("--checks", "check_names", help="Comma-separated allow-list of checks to run.")
@click.option("--deterministic", is_flag=True, help="Emulator only: seeded ids and a controlled clock.")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the recording goes (default cassettes/<run-id>).")  # fmt: skip
@click.option("--redact-pii/--no-redact-pii", default=None,
              help="Pseudonymise the names, addresses and ids the vendor returns that the suite did not send "
              f"(default {_per_target('redact_pii')}).")  # fmt: skip
@click.option("--clock-skew", type=FiniteFloat(min=0), default=DEFAULT_CLOCK_SKEW_S, show_default=True,
              help="Seconds a createdAt/updatedAt may stray from the moment the request was sent.")  # fmt: skip
@click.option("--severity", "severities", multiple=True, metavar="CHECK=fail|warn",
              help="Your policy for one check, overriding the docs' default (repeatable).")  # fmt: skip
@click.option("--baseline", type=click.Path(path_type=Path),
              help="An earlier run (report directory or results.json): the digest marks each failure group "
              "new or known, and lists the fixed ones.")  # fmt: skip
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the run into this history file (SQLite, created on first use; default: "
              "CONFORMANCE_HISTORY); the reports then show each failure group across nights.")  # fmt: skip
def run(target: str, base_url: str | None, configuration_id: str | None, seed: int | None, max_examples: int | None,
        max_requests: int | None, max_time: str | None, rate: float | None, workers: int | None,
        report_dir: Path | None, shard: str | None, check_names: str | None, deterministic: bool,
        cassette_dir: Path | None, redact_pii: bool | None, clock_skew: float, severities: tuple[str, ...],
        baseline: Path | None, history: Path | None) -> None:  # fmt: skip
    """Send generated create requests to a target and check every response.

    Options may be pinned in conformance.toml, or [tool.conformance] of pyproject.toml, in the current folder
    (max-examples = 50, ...); flags given here win.

    \b
    Exit codes:
      0  PASSED: no check failed (drift warnings allowed) and every case family was judged
      1  FAILED: a check failed (confirmed or intermittent when re-sent)
      2  a usage or setup error, an unwritable output folder, a target whose answers are mostly
         not the API's own (an HTML page, a gateway 502/504), or UNDECIDED: a run that left part
         of the contract unjudged (most cases, or a whole family, throttled): one line says which
      3  INCOMPLETE: nothing failed, but a budget left case families unjudged (they are named)
      130  INTERRUPTED (the reports written say so, never PASSED)
    """
    try:  # the run's modules take a moment to load: a Ctrl-C meanwhile is one line and 130 (click would say 1)
        from conformance.contract.schemas import ContractError
        from conformance.report.history import history_location
        from conformance.run.run_command import excluded_severities, execute, parse_duration, parse_severities
        from conformance.send.targets import SetupError
    except KeyboardInterrupt:
        click.echo(INTERRUPTED_STARTING, err=True)
        sys.exit(130)

    path, pinned = click.get_current_context().meta.get(PINNED, (None, []))
    if path is not None:
        click.echo(f"conformance: options pinned in {path}: {', '.join(pinned)} (flags given win)", err=True)
    if deterministic and target != "emulator":
        raise click.UsageError("--deterministic applies to the emulator target only")
    if deterministic and workers is not None and workers > 1:
        raise click.UsageError("--deterministic sends one case at a time (its ids and clock follow the order "
                               "requests arrive); drop --workers")  # fmt: skip
    excluded = excluded_severities(check_names, severities)
    if excluded:
        click.echo(f"conformance: --severity for {', '.join(excluded)} has no effect: --checks leaves "
                   f"{'it' if len(excluded) == 1 else 'them'} out", err=True)  # fmt: skip
    if shard and history_location(history):
        click.echo("conformance: a shard is not recorded into the history; `conformance report merge --history` "
                   "records the whole run", err=True)  # fmt: skip
    try:
        code = execute(target, base_url, configuration_id, seed, max_examples, max_requests, rate, report_dir,
                       shard, check_names, deterministic, cassette_dir, redact_pii, clock_skew,
                       parse_severities(severities), baseline, parse_duration(max_time), workers,
                       history_location(history))  # fmt: skip
    except (SetupError, ContractError) as exc:
        click.echo(f"conformance: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a sink that could not append (disk full, folder removed): what was written stays
        click.echo(f"conformance: cannot write {exc.filename or 'an output file'}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:  # before the first request: nothing was sent, nothing written
        click.echo("conformance: interrupted before the run started; nothing written", err=True)
        sys.exit(130)
    sys.exit(code)


@cli.command("reproduce")
@click.argument("report_dir", type=click.Path(path_type=Path))
@click.argument("case_id")
@click.option("--base-url", help="Send it here (credentials from the environment). Default: the run's target; "
              "for an emulator run, a fresh embedded emulator.")  # fmt: skip
@click.option("--configuration-id", envvar=ENV_CONFIGURATION_ID, help="An existing configuration (live).")
def reproduce_command(report_dir: Path, case_id: str, base_url: str | None, configuration_id: str | None) -> None:
    """Send case CASE_ID of the run in REPORT_DIR again and judge it again with the same checks.

    Exit 0: it passes now; 1: it still fails; 2: the run, the case or the target cannot be used.
    """
    from conformance.contract.schemas import ContractError
    from conformance.kinds import FOUND, UNJUDGED, CaseOutcome, CheckOutcome
    from conformance.record.cassettes.redaction import Redactor
    from conformance.report.document import ReportInputError
    from conformance.run.reproduce import reproduce
    from conformance.send.targets import SetupError

    try:
        done = reproduce(report_dir, case_id, base_url, configuration_id)
    except (SetupError, ReportInputError, ContractError) as exc:
        click.echo(f"conformance reproduce: {exc}", err=True)
        sys.exit(2)
    result = done.result
    status = result.exchange.status if result.exchange else None
    # What the vendor said reaches stdout (a CI log): redacted as the run's outputs are.
    redacted = Redactor.for_target(done.target, pii=False).message
    if done.prepared:
        click.echo(f"sent first, as the run did (they create what {case_id} reads): {', '.join(done.prepared)}")
    click.echo(f"{case_id} against {done.target.name} {done.target.base_url}: got {status}, "
               f"the run got {done.recorded_status}")  # fmt: skip
    for check in result.checks:
        if check.outcome in FOUND:
            shown = "FAIL" if check.outcome == CheckOutcome.FAILED else "warn"
            click.echo(redacted(f"  {shown} {check.check}: {check.message}"))
    if result.outcome in UNJUDGED:
        click.echo(redacted(f"  {result.outcome.replace('_', ' ')}: {result.reason}"))
    click.echo({CaseOutcome.PASSED: "PASSED now", CaseOutcome.FAILED: "FAILED again"}.get(result.outcome,
                                                                                        "INCONCLUSIVE"))  # fmt: skip
    sys.exit({CaseOutcome.PASSED: 0, CaseOutcome.FAILED: 1}.get(result.outcome, 2))


def main() -> None:
    # Started in the background by a shell without job control (`conformance run &` in a script), the process
    # inherits SIGINT ignored, so a `kill -INT` before a run installs its handler would be lost: a run stops on
    # SIGINT wherever it was started, so it does from here on (interpreter start-up itself stays out of reach).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = cli.main(prog_name="conformance", standalone_mode=False)
    except KeyboardInterrupt:  # outside any command (click turns one inside a command into "Aborted!")
        click.echo(INTERRUPTED_STARTING, err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group called bare: its help, as click shows it
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # one line, where click would print its usage block first
        helping = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"Error: {exc.format_message()}{helping}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)  # --help and --version end here with 0


if __name__ == "__main__":
    main()
