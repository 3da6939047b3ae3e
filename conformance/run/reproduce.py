"""``conformance reproduce REPORT_DIR CASE_ID``: send one case of a past run again and judge it again.

The case is rebuilt from the run's seed (the plan is a function of the seed, the size and the credential
forms), so the request is the one the run sent, whole, whatever redaction or truncation did to the copy
in the reports. It goes to ``--base-url`` (credentials from the environment, as for the live target),
or, without it, to the run's own target: the live API it named, or a fresh embedded emulator (the run's
emulator is gone with the run). The same checks judge the answer.

A case that reads what the run created (a conversation, its participant, the second account's conversation)
has nothing to read when sent alone, so the cases that created it in the run are sent first, as the run sent
them: the first create, in plan order, of the account that owns it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance.judge.verdicts import CaseResult
from conformance.kinds import Account
from conformance.plan.cases import CREATED_BY_SECOND, Case
from conformance.record.run_record import CaseEntry, RunPolicy
from conformance.report.document import Document, load_results, run_target
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import SetupError, Target, emulator_target, live_target
from conformance.settings import RunOptions


@dataclass(frozen=True)
class Reproduced:
    result: CaseResult
    recorded_status: int | None  # what the run got
    target: Target
    prepared: tuple[str, ...] = ()  # the cases sent first: they create what this case reads


@contextmanager
def target_for_run(document: Document, base_url: str | None, configuration_id: str | None) -> Iterator[Target]:
    """Where to send the case again: ``base_url``, else the run's live API (a replayed live recording's too), else
    a fresh embedded emulator."""
    if base_url or run_target(document) == "live":
        yield live_target(os.environ, base_url or document["base_url"], configuration_id)
        return
    with emulator_target(deterministic=False, seed=document["seed"]) as target:
        yield target


def reproduce(report_dir: Path, case_id: str, base_url: str | None = None,
              configuration_id: str | None = None) -> Reproduced:  # fmt: skip
    """Send case ``case_id`` of the run in ``report_dir`` again; its verdict by the run's checks."""
    document = load_results(report_dir)
    recorded = {case["id"]: CaseEntry.from_json(case) for case in document["cases"]}
    if case_id not in recorded:
        raise SetupError(f"{report_dir}: no case {case_id!r} in this run (see the cases table of report.html)")
    checks = frozenset(document["checks"])
    severities = {name: row["severity"] for name, row in document["checks"].items()}
    policy = RunPolicy.from_json(document.get("policy"))  # the run's tolerance
    options = RunOptions(seed=document["seed"], max_examples=document["max_examples"], max_requests=None,
                         rate=None, checks=checks, severities=severities, clock_skew_s=policy.skew)  # fmt: skip
    with target_for_run(document, base_url, configuration_id) as target:
        cases = {case.id: case for case in plan_for(target, options).cases}
        if case_id not in cases:
            raise SetupError(f"case {case_id} needs a credential form this target lacks (the run had "
                             f"{', '.join(document['credential_forms'])}; set the same variables)")  # fmt: skip
        runner = Runner(target, options)
        try:
            prepared = prepare(runner, list(cases.values()), cases[case_id])
            result = runner.run_case(cases[case_id])
        finally:
            runner.client.close()
    return Reproduced(result, recorded[case_id].status, target, prepared)


PREPARING_AT_MOST = 5  # creates tried before giving up: a target that creates nothing leaves the case not run


def prepare(runner: Runner, plan: list[Case], case: Case) -> tuple[str, ...]:
    """Send, in plan order, the creates that make what ``case`` reads (as the run made it: the first create of the
    account that owns it), until nothing it reads is missing; the ids of the cases sent."""
    sent: list[str] = []
    for earlier in plan:
        missing = runner.reads_uncreated(case)
        if not missing or len(sent) == PREPARING_AT_MOST or earlier.id == case.id:
            break
        second = earlier.account == Account.SECOND
        wanted = CREATED_BY_SECOND in missing if second else any(p != CREATED_BY_SECOND for p in missing)
        creates = earlier.method == "POST" and earlier.expected_status == 201
        if wanted and creates and runner.unrunnable(earlier) is None:
            runner.run_case(earlier)
            sent.append(earlier.id)
    return tuple(sent)
