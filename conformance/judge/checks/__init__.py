"""The checks: one small function per property of the contract, registered by one decorator.

``registry`` holds the machinery and what a check sees; the checks live by theme, registered in
the order reports list them: ``isolation`` (one account never reaches another's data: ``cross_account_isolation``),
``protocol`` (statuses, wire format, the error contract), then what a created conversation means: ``echo`` (what was
sent comes back), ``identity`` (the caller's account, ids of its own), ``request_isolation`` (nothing of one request
shows up in another), ``timestamps``, ``read_back``; last ``undocumented`` (drift).
"""

from conformance.contract.members import field_paths, walk_enum_drift, walk_undocumented

# isort: off
# Importing registers the checks, in the order of these imports: the order every report lists them in.
from conformance.judge.checks import (  # noqa: F401
    isolation,
    protocol,
    echo,
    identity,
    request_isolation,
    timestamps,
    read_back,
    undocumented,
)

# isort: on
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
