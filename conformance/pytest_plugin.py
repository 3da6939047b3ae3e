"""Run the conformance suite under plain pytest: one test per generated case.

    pytest --pyargs conformance.suite [--conformance-target live] [--conformance-seed N] \
        [--conformance-shard I/N] [-n auto]

The options mirror `conformance run`. Under pytest-xdist every worker builds the same plan
(the seed is fixed per test run) and starts its own emulator; --conformance-shard splits the
cases for a CI matrix.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Iterator

import click
import pytest

from conformance.kinds import CaseOutcome, CheckOutcome
from conformance.plan.cases import Case
from conformance.record.cassettes.redaction import Redactor
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import SetupError, Target, emulator_target, live_target
from conformance.settings import MOST_EXAMPLES, TARGET_DEFAULTS, RequestRate, RunOptions


class ConformanceDriftWarning(UserWarning):
    """The API sent something the docs do not name (a warn-severity check)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Conversations v2 conformance suite")
    group.addoption("--conformance-target", choices=["emulator", "live"], default="emulator")
    group.addoption("--conformance-base-url", default=None)
    group.addoption("--conformance-configuration-id", default=None)
    group.addoption("--conformance-seed", type=int, default=None)
    group.addoption("--conformance-max-examples", type=int, default=None)
    group.addoption("--conformance-max-requests", type=int, default=None)
    group.addoption("--conformance-rate", type=float, default=None)
    group.addoption("--conformance-shard", default=None, help="I/N: run only shard I of N")


def _bounded(bound: click.ParamType) -> Callable[[object], object]:
    """A check with the same bounds as `conformance run`'s option (click's types, so the two cannot drift)."""
    return lambda value: bound.convert(value, None, None)


def _shard(value: object) -> object:
    from conformance.run.run_command import parse_shard

    return parse_shard(str(value))


CHECKED: dict[str, Callable[[object], object]] = {
    "--conformance-max-examples": _bounded(click.IntRange(min=1, max=MOST_EXAMPLES)),
    "--conformance-max-requests": _bounded(click.IntRange(min=1)),
    "--conformance-rate": _bounded(RequestRate(min=0, min_open=True)),
    "--conformance-shard": _shard,
}


def pytest_configure(config: pytest.Config) -> None:
    """A bad option is one line (pytest's ``ERROR:``) and exit 4 (usage error), before anything is collected."""
    for option, check in CHECKED.items():
        value = config.getoption(option)
        if value is None:
            continue
        try:
            check(value)
        except click.BadParameter as exc:
            raise pytest.UsageError(f"{option}: {exc.message}") from None


def _seed(config: pytest.Config) -> int:
    seed = config.getoption("--conformance-seed")
    if seed is not None:
        return seed
    # Same for every xdist worker of one test run (they must collect identical cases), new per run.
    run_uid = os.environ.get("PYTEST_XDIST_TESTRUNUID") or getattr(config, "_conformance_uid", None)
    if run_uid is None:
        run_uid = config._conformance_uid = os.urandom(8).hex()  # type: ignore[attr-defined]
    return int(hashlib.sha256(run_uid.encode()).hexdigest()[:8], 16)


def _options(config: pytest.Config) -> RunOptions:
    from conformance.run.run_command import parse_shard

    target = config.getoption("--conformance-target")
    defaults = TARGET_DEFAULTS[target]
    max_requests = config.getoption("--conformance-max-requests")
    rate = config.getoption("--conformance-rate")
    return RunOptions(
        seed=_seed(config),
        max_examples=config.getoption("--conformance-max-examples") or defaults.max_examples,
        max_requests=max_requests if max_requests is not None else defaults.max_requests,
        rate=rate if rate is not None else defaults.rate,
        shard=parse_shard(config.getoption("--conformance-shard")),
    )


def _planned_target(config: pytest.Config) -> Target:
    """The target as far as planning needs it, without starting anything."""
    if config.getoption("--conformance-target") == "live":
        return live_target(os.environ, config.getoption("--conformance-base-url"),
                           config.getoption("--conformance-configuration-id"))  # fmt: skip
    from conformance.emulator.config import EmulatorSettings
    from conformance.emulator.exceptions import EmulatorConfigError

    try:
        settings = EmulatorSettings().with_environment(os.environ)
    except EmulatorConfigError as exc:
        raise SetupError(f"emulator: {exc}") from None
    from conformance.send.targets import settings_target

    return settings_target(settings, "http://127.0.0.1")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_case" not in metafunc.fixturenames:
        return
    try:
        plan = plan_for(_planned_target(metafunc.config), _options(metafunc.config))
    except SetupError as exc:
        raise pytest.UsageError(str(exc)) from None
    metafunc.parametrize("conformance_case", plan.cases, ids=[case.id for case in plan.cases])


@pytest.fixture(scope="session")
def conformance_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    if pytestconfig.getoption("--conformance-target") == "live":
        yield _planned_target(pytestconfig)
        return
    with emulator_target() as target:
        yield target


@pytest.fixture(scope="session")
def conformance_runner(pytestconfig: pytest.Config, conformance_target: Target) -> Iterator[Runner]:
    runner = Runner(conformance_target, _options(pytestconfig))
    yield runner
    runner.client.close()


def check_case(runner: Runner, case: Case, seed: int) -> None:
    """Send one case, turn warnings into pytest warnings and failures into an assertion with a curl line."""
    result = runner.run_case(case)
    # What the vendor said reaches pytest's output (a CI log): redacted as a run's outputs are.
    redacted = _redactor(runner).message
    if result.outcome == CaseOutcome.INCONCLUSIVE:
        pytest.skip(redacted(f"inconclusive: {result.reason}"))
    if result.outcome == CaseOutcome.NOT_RUN:  # a cross-account case without a second account
        pytest.skip(redacted(result.reason or "not run"))
    for check in result.checks:
        if check.outcome == CheckOutcome.WARNED:
            warnings.warn(ConformanceDriftWarning(redacted(f"{check.check}: {check.message}")), stacklevel=2)
    failed = [check for check in result.checks if check.outcome == CheckOutcome.FAILED]
    if failed:
        lines = [f"{check.check}: {check.message}" for check in failed]
        if result.exchange is not None:
            lines.append(f"reproduce: {result.exchange.curl()}")
        lines.append(f"seed: {seed} (--conformance-seed {seed})")
        pytest.fail(redacted("\n".join(lines)), pytrace=False)


_SESSION_REDACTOR: list[tuple[Runner, Redactor]] = []  # building one compiles its patterns: once a session


def _redactor(runner: Runner) -> Redactor:
    if not _SESSION_REDACTOR or _SESSION_REDACTOR[0][0] is not runner:
        _SESSION_REDACTOR[:] = [(runner, Redactor.for_target(runner.target, pii=False))]
    return _SESSION_REDACTOR[0][1]
