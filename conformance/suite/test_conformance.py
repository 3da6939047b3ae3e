"""One test per generated case; the cases come from conformance.pytest_plugin."""

from conformance.plan.cases import Case
from conformance.pytest_plugin import check_case
from conformance.run.runner import Runner


def test_case(conformance_case: Case, conformance_runner: Runner) -> None:
    check_case(conformance_runner, conformance_case, conformance_runner.options.seed)
