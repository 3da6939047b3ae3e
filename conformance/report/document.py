"""Reading results.json, and the small facts every report format derives from it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.judge.coverage import Coverage, Verdict
from conformance.judge.drift import DRIFT_CHECKS
from conformance.kinds import family_of
from conformance.record import RESULTS_FILE
from conformance.record.results_file import NO_FAILED_CHECK, Records
from conformance.record.run_record import RunPolicy
from conformance.vendor import DEFAULT_BASE_URL

Document = dict[str, Any]


class ReportInputError(Exception):
    """An input cannot be used: one line that names the file."""


def results_path(location: Path) -> Path:
    """``location`` itself when it is a file, else its ``results.json``."""
    return location if location.is_file() else location / RESULTS_FILE


def load_results(location: Path) -> Document:
    """Read and validate a results.json (or a report directory holding one)."""
    if not location.exists():
        raise ReportInputError(f"{location} does not exist")
    path = results_path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = f"{location} has no {RESULTS_FILE}" if location.is_dir() else f"{path} does not exist"
        raise ReportInputError(where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"{path}: cannot read it ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: not JSON ({exc})") from None
    problem = schema_problem(document)
    if problem:
        raise ReportInputError(f"{path}: not a conformance results file: {problem}")
    return document


def schema_problem(document: Any) -> str | None:
    """The first way ``document`` breaks schemas/report.schema.json, or None (read without jsonschema)."""
    from conformance.contract.schema_reader import problem

    return problem(document)


case_group = family_of  # a case's group in the reports is its family


def drift_warnings(document: Document) -> list[dict[str, Any]]:
    return [w for w in document["warnings"] if w["check"] in DRIFT_CHECKS]


def other_warnings(document: Document) -> list[dict[str, Any]]:
    return [w for w in document["warnings"] if w["check"] not in DRIFT_CHECKS]


def judged_cases(document: Document) -> int:
    """Cases that got a verdict (neither inconclusive nor left unsent)."""
    counts = document["counts"]
    return counts["cases"] - counts["inconclusive"] - counts["not_run"]


def headline(document: Document) -> str:
    """The run's verdict in one word (results.json's ``verdict``, upper case): never PASSED for an interrupted
    run, one that left the contract unjudged, or one that did not reach every case family. Results written before
    verdicts said so (no ``coverage``) said only passed or failed: the rest is worked out as it was then."""
    if document["interrupted"]:
        return Verdict.INTERRUPTED.upper()
    if "coverage" not in document and document["verdict"] == Verdict.PASSED and undecided(document):
        return Verdict.UNDECIDED.upper()
    return str(document["verdict"]).upper()


def failing_cases(document: Document) -> Iterator[dict[str, Any]]:
    """The cases with a failed check; from a stream, the lines of the others are skipped unparsed."""
    cases = document["cases"]
    found = cases.skipping(NO_FAILED_CHECK) if isinstance(cases, Records) else cases
    return (case for case in found if case["failed_checks"])


def undecided(document: Document) -> str | None:
    """One line when the answers left part of the contract unjudged (throttled or unanswered throughout):
    most cases, or every case of a family (every read-back of the valid family, every invalid enum...).
    A document built from a stream was judged so in the tally's pass; otherwise one pass over the cases."""
    cases = document.get("cases") or ()
    if isinstance(cases, Records) and cases.coverage is not None:
        return cases.coverage.undecided()
    coverage = Coverage()
    for case in cases:
        coverage.add(case)
    return coverage.undecided()


def case_counts(document: Document) -> str:
    """The run's counts in one unit, cases, side by side (failed checks and warnings are per check, said apart)."""
    counts = document["counts"]
    failed = counts["cases"] - counts["passed_cases"] - counts["inconclusive"] - counts["not_run"]
    parts = [f"{counts['passed_cases']} passed", f"{failed} failed", f"{counts['inconclusive']} inconclusive"]
    if counts["not_run"]:
        parts.append(f"{counts['not_run']} not run")
    drawn = f"{counts['cases']} cases: {', '.join(parts)}"
    return drawn + (f"; {counts['not_drawn']} more planned, never drawn" if counts.get("not_drawn") else "")


def missing_shards(shard: str | None) -> list[str]:
    """The shards a (merged) run lacks: ``1/2`` alone misses ``2/2``; a whole run misses none."""
    if not shard:
        return []
    have: set[int] = set()
    total = 0
    for part in shard.split("+"):
        index, _, count = part.partition("/")
        if not (index.isdigit() and count.isdigit()):
            return []
        have.add(int(index))
        total = int(count)
    return [f"{i}/{total}" for i in range(1, total + 1) if i not in have]


REPLAYED = "replay:"  # a replay's document names the recorded run's target after this prefix


def run_target(document: Document) -> str:
    """The target the run sent to (``live`` or ``emulator``), for a replay's document too."""
    return str(document["target"]).removeprefix(REPLAYED)


def reproduce_case_command(report_dir: Path | str, case_id: str) -> str:
    """The command line that sends one case of the run in ``report_dir`` again and judges it again."""
    return f"conformance reproduce {shlex.quote(str(report_dir))} {shlex.quote(case_id)}"


def reproduce_command(document: Document) -> str:
    """The command line that sends the same requests again and judges them the same way: every option of the run
    that changes what is sent or judged (the credentials and configuration come from the environment)."""
    target = run_target(document)
    command = f"conformance run --target {target} --seed {document['seed']}"
    if target == "live" and document.get("base_url") not in (None, DEFAULT_BASE_URL):
        command += f" --base-url {shlex.quote(document['base_url'])}"
    if document.get("time_budget_s"):  # a time-boxed run: the same sequence, as far as the time allows
        command += f" --max-time {document['time_budget_s']:g}s"
    else:
        command += f" --max-examples {document['max_examples']}"
    policy = RunPolicy.from_json(document.get("policy"))  # the command sends and judges as the run did
    if policy.max_requests is not None:
        command += f" --max-requests {policy.max_requests}"
    if policy.rate is not None:
        command += f" --rate {policy.rate:g}"
    if policy.deterministic:
        command += " --deterministic"
    if policy.checks is not None:
        command += f" --checks {shlex.quote(','.join(policy.checks))}"
    for name, severity in sorted(policy.severities.items()):
        command += f" --severity {name}={severity}"
    if policy.clock_skew_s is not None:
        command += f" --clock-skew {policy.clock_skew_s:g}"
    shard = document.get("shard")
    if shard and "/" in shard and "+" not in shard:
        command += f" --shard {shard}"
    return command
