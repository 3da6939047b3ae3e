"""The checks: one small function per property of the contract, registered by one decorator.

``registry`` holds the machinery and what a check sees; the checks live by theme, registered in
the order reports list them: ``isolation`` (one account never reaches another's data), ``protocol`` (statuses,
wire format, the error contract),
``semantics`` (echo, identity, ids, time, read-back), ``undocumented`` (drift).
"""

from conformance.contract.members import field_paths, walk_enum_drift, walk_undocumented
from conformance.judge.checks import isolation, protocol, semantics, undocumented  # noqa: F401 - importing registers them
from conformance.judge.checks.registry import (
    CHECKS,
    DEFAULT_CLOCK_SKEW_S,
    Check,
    CheckFailed,
    Context,
    RunState,
    schema_problems,
)
from conformance.judge.checks.undocumented import STANDARD_HEADERS

__all__ = [
    "CHECKS",
    "DEFAULT_CLOCK_SKEW_S",
    "STANDARD_HEADERS",
    "Check",
    "CheckFailed",
    "Context",
    "RunState",
    "field_paths",
    "schema_problems",
    "walk_enum_drift",
    "walk_undocumented",
]
