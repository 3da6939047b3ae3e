"""The digest: what is failing, in one screen, built from a results document alone.

Failures are grouped by check and cause: the same expected/actual status pair for the status checks,
else the same field path (indices folded: ``participants[0].name`` and ``participants[3].name`` are one
cause), else the drift items found. Each group counts its cases (one unit throughout), keeps one
representative failure, its smallest request (ties: the first in plan order), with its request, response and
the offending member, and the rest as links; where the run shrank that request (``reduced``), the reduced one is
shown, labelled. Groups come
most serious check first, then biggest. Given a baseline run, each group is new or known, and the
baseline's groups that are gone are listed as fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conformance.report.diff import Run, diff_runs
from conformance.report.document import Document, failing_cases

# Checks whose failure is a status the contract did not call for: grouped by (expected, got).
STATUS_CHECKS = frozenset({
    "no_server_error", "status_code_conformance", "positive_data_acceptance", "negative_data_rejection",
    "unknown_configuration_rejection", "unknown_id_rejection", "ignored_auth", "null_as_absent",
    "content_type_enforced",
})  # fmt: skip
# Most serious first: security, then data the caller gets wrong, then the rest of the contract.
SEVERITY_ORDER = (
    "ignored_auth", "cross_account_isolation", "no_server_error", "account_identity", "unique_ids",
    "positive_data_acceptance", "read_back", "request_echo", "request_isolation", "response_schema_conformance",
    "strict_json", "undocumented_enum_values",
    "negative_data_rejection", "unknown_configuration_rejection", "unknown_id_rejection", "status_code_conformance",
    "content_type_conformance", "error_code_conformance", "error_body_conformance", "timestamp_order",
    "timestamp_freshness", "conflict_header",
)  # fmt: skip
DIGEST_GROUPS = 8  # groups shown with their example in full; the table lists them all
# Failures kept whole (request, response) across all groups, each group its share and at least one; the others
# are counted, and results.json / results.jsonl have every one. Bounds the reports, and their memory, for any run.
LISTED_FAILURES = 1000

_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*"
_FOLLOWS = r"(?=(?: sent | is |: | was |=| \S+ is after))"  # how check messages go on after naming a member
_PATH = re.compile(rf"(?:^|; |: )(?:read-back |schema: )?(?P<path>{_SEGMENT}(?:\.{_SEGMENT})*){_FOLLOWS}")
_PREFIXES = re.compile(r"^(?:\d{3} body does not match the Conversation schema: |\d{3} error body: |"
                       r"fetched conversation differs from the created one: )")  # fmt: skip


@dataclass
class Group:
    """Failures of one check with one cause: all counted, the first of them kept whole."""

    key: str  # stable across runs: what a baseline is compared by
    check: str
    cause: str  # "expected 400, got 201", "field participants[].name", "status=ARCHIVED"
    path: str | None  # the representative's offending member (concrete indices), for highlighting
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first ones, kept whole (its share)
    anchors: list[str] = field(default_factory=list)  # where each kept failure's card is in report.html
    status: str | None = None  # "new" | "known" against a baseline; None without one
    count: int = 0  # every failure of the group, kept or not
    case_ids: dict[str, None] = field(default_factory=dict)  # every case of the group, in order
    reduced: dict[str, Any] | None = None  # the representative shrunk, when all its cases were large (shrinking.py)

    @property
    def cases(self) -> list[str]:
        return list(self.case_ids)

    @property
    def unlisted(self) -> int:
        """Failures counted but not kept (results.json has them)."""
        return self.count - len(self.failures)

    @property
    def representative(self) -> dict[str, Any]:
        return self.failures[0]

    @property
    def example(self) -> dict[str, Any]:
        """The failure the digest shows: the reduced one when the run shrank the group, else the representative."""
        return self.reduced["failure"] if self.reduced else self.representative

    @property
    def more_cases(self) -> list[tuple[str, str]]:
        """(case, anchor) of the kept failures beyond the representative, one per case."""
        seen = {self.representative["case"]}
        out = []
        for failure, anchor in zip(self.failures[1:], self.anchors[1:], strict=True):
            if failure["case"] not in seen:
                seen.add(failure["case"])
                out.append((failure["case"], anchor))
        return out


@dataclass
class Digest:
    groups: list[Group]
    failing_cases: int
    listed: int = LISTED_FAILURES  # at most this many failures kept whole, across groups
    fixed: list[dict[str, Any]] = field(default_factory=list)  # baseline groups gone: key, check, cause, cases
    baseline: str | None = None  # the baseline's run id
    regressions: list[str] = field(default_factory=list)  # what ``conformance diff`` calls a regression
    notes: list[str] = field(default_factory=list)  # and what it notes (different seeds, targets)
    diff_state: str | None = None  # its words for the change ("no change, still failing") against a baseline


def anchor(index: int) -> str:
    """The id of failure number ``index`` (its place in ``document["failures"]``) in report.html."""
    return f"failure-{index}"


def failure_path(failure: dict[str, Any]) -> str | None:
    """The response member a failure is about, when its message names one (``participants[0].name``)."""
    message = _PREFIXES.sub("", failure["message"])
    match = _PATH.search(message)
    return match.group("path") if match else None


def _folded(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _cause(failure: dict[str, Any], expected: dict[str, int | None]) -> tuple[str, str | None]:
    """(cause, concrete path) of one failure."""
    check = failure["check"]
    response = failure.get("response") or {}
    if check in STATUS_CHECKS:
        got = response.get("status")
        return f"expected {expected.get(failure['case'])}, got {got if got is not None else 'no answer'}", None
    path = failure_path(failure)
    if path is not None:
        return f"field {_folded(path)}", path
    return f"{failure['case'].rpartition('/')[0] or failure['case']}: {_shape(failure['message'])}", None


def _shape(message: str) -> str:
    """A message with its values blanked, so near-identical messages share a cause."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\b\d+(?:\.\d+)?\b', "…", message)[:80]


def build_digest(document: Document, baseline: Document | None = None) -> Digest:
    """The digest of ``document``, marked against ``baseline`` when one is given."""
    groups = _groups(document)
    digest = Digest(groups, len(set().union(*(group.case_ids for group in groups))))
    if baseline is not None:
        before = {group.key: group for group in _groups(baseline)}
        for group in groups:
            group.status = "known" if group.key in before else "new"
        now = {group.key for group in groups}
        digest.fixed = [{"key": g.key, "check": g.check, "cause": g.cause, "cases": len(g.cases)}
                        for key, g in before.items() if key not in now]  # fmt: skip
        digest.baseline = baseline.get("run_id")
        # The nightly's verdict comes from `conformance diff`; the digest says the same, from the same code.
        compared = diff_runs(Run("baseline", baseline), Run("this run", document))
        digest.regressions, digest.notes, digest.diff_state = compared.regressions, compared.notes, compared.state
    return digest


def _groups(document: Document, listed: int = LISTED_FAILURES) -> list[Group]:
    """Every failure grouped and counted; the first ``listed`` kept whole, shared between the groups.

    ``document["failures"]`` is read twice when there are more (it may be a view of the stream), never held.
    """
    failing = {case["id"]: case["expected_status"] for case in failing_cases(document)}
    groups: dict[str, Group] = {}
    smallest: dict[str, tuple[int, int, dict[str, Any]]] = {}  # group -> (request size, index, failure)
    for index, failure in enumerate(document["failures"]):
        cause, path = _cause(failure, failing)
        key = f"{failure['check']}: {cause}"
        group = groups.setdefault(key, Group(key, failure["check"], cause, path))
        if index < listed:  # when there are no more, these are all of them
            group.failures.append(failure)
            group.anchors.append(anchor(index))
        group.count += 1
        group.case_ids[failure["case"]] = None
        if key not in smallest or request_size(failure) < smallest[key][0]:  # ties: the first in plan order
            smallest[key] = (request_size(failure), index, failure)
    if sum(group.count for group in groups.values()) > listed:  # more than the page holds: each group its share
        shares = _shares({key: group.count for key, group in groups.items()}, listed)
        for group in groups.values():
            group.failures, group.anchors = [], []
        kept_smallest: set[str] = set()
        for index, failure in enumerate(document["failures"]):
            group = groups[f"{failure['check']}: {_cause(failure, failing)[0]}"]
            representative = index == smallest[group.key][1]
            room = shares[group.key] - (group.key not in kept_smallest)  # a place stays free for the representative
            if representative or len(group.failures) < room:
                group.failures.append(failure)
                group.anchors.append(anchor(index))
                if representative:
                    kept_smallest.add(group.key)
    for key, group in groups.items():  # the representative: the group's smallest request, shown first
        _size, index, failure = smallest[key]
        at = group.anchors.index(anchor(index))
        group.failures.insert(0, group.failures.pop(at))
        group.anchors.insert(0, group.anchors.pop(at))
        group.path = _cause(failure, failing)[1]
    for reduced in document.get("reduced") or ():
        if reduced["key"] in groups:
            group = groups[reduced["key"]]
            group.reduced = reduced
            group.path = _cause(reduced["failure"], failing)[1] or group.path  # cutting an array moves its items
    rank = {name: i for i, name in enumerate(SEVERITY_ORDER)}
    return sorted(groups.values(), key=lambda g: (rank.get(g.check, len(rank)), -len(g.case_ids), g.key))


def request_size(failure: dict[str, Any]) -> int:
    """How big a failure's request is: its curl line (the whole request; results.json cuts long bodies), else its
    body as kept."""
    if failure.get("curl"):
        return len(failure["curl"])
    return len((failure.get("request") or {}).get("body") or "")


def _shares(counts: dict[str, int], listed: int) -> dict[str, int]:
    """How many failures each group keeps: an equal part of ``listed``, what a small group leaves going to the
    bigger ones, and at least one each (its representative)."""
    shares, left = {}, listed
    waiting = sorted(counts, key=lambda key: counts[key])
    for position, key in enumerate(waiting):
        shares[key] = min(counts[key], max(1, left // (len(waiting) - position)))
        left -= shares[key]
    return shares


_SAME_BOTH_SIDES = re.compile(r"sent (?P<value>\S.*?), got (?P=value)(?P<end>;|$)")


def explained(message: str) -> str:
    """A message whose two sides print the same (redaction mapped both to one placeholder) says so."""
    if "(differs" in message or "(same text" in message or "(first difference" in message:
        return message
    return _SAME_BOTH_SIDES.sub(
        lambda m: (
            f"sent {m['value']}, got {m['value']} (they differ before redaction, which wrote both as the "
            f"same placeholder; the cassette keeps the vendor's side){m['end']}"
        ),
        message,
    )


def highlighted(body: str | None, path: str | None) -> list[tuple[str, bool]]:
    """A JSON body pretty-printed as (line, offending) pairs; the member at ``path`` is marked.

    A body that is not JSON comes back as its lines, none marked; so does one without that member.
    """
    if not body:
        return []
    try:
        value = json.loads(body)
    except ValueError:
        return [(line, False) for line in body.splitlines()]
    marker = "\u0000offending\u0000"
    located = _replace_at(value, _steps(path), marker) if path else None
    if located is None:
        return [(line, False) for line in json.dumps(value, indent=2, ensure_ascii=False).splitlines()]
    marked_doc, original = located
    out: list[tuple[str, bool]] = []
    for line in json.dumps(marked_doc, indent=2, ensure_ascii=False).splitlines():
        quoted = json.dumps(marker)
        if quoted not in line:
            out.append((line, False))
            continue
        before, _, after = line.partition(quoted)
        indent = " " * (len(line) - len(line.lstrip()))
        shown = json.dumps(original, indent=2, ensure_ascii=False).splitlines()
        shown = [before + shown[0]] + [indent + part for part in shown[1:]]
        shown[-1] += after
        out += [(part, True) for part in shown]
    return out


AROUND = 12  # lines of a long response shown either side of the offending member


def around(lines: list[tuple[str, bool]], context: int = AROUND) -> list[tuple[str, bool]]:
    """The lines around the offending member (or the first ones), "…" where lines are left out: however long
    the body, the marked member is on screen."""
    hits = [i for i, (_line, hit) in enumerate(lines) if hit]
    first, last = (hits[0], hits[-1]) if hits else (0, 0)
    start, end = max(0, first - context), min(len(lines), max(last + context + 1, context * 2))
    return [("…", False)] * bool(start) + lines[start:end] + [("…", False)] * (end < len(lines))


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for segment in path.split("."):
        name, *indices = re.split(r"\[|\]\[?", segment.rstrip("]"))
        steps.append(name)
        steps += [int(i) for i in indices if i.isdigit()]
    return steps


def _replace_at(value: Any, steps: list[str | int], marker: str) -> tuple[Any, Any] | None:
    """(a copy of ``value`` with the member at ``steps`` replaced by ``marker``, that member), or None."""
    if not steps:
        return marker, value
    head, rest = steps[0], steps[1:]
    if isinstance(head, str) and isinstance(value, dict) and head in value:
        inner = _replace_at(value[head], rest, marker)
        return None if inner is None else ({**value, head: inner[0]}, inner[1])
    if isinstance(head, int) and isinstance(value, list) and 0 <= head < len(value):
        inner = _replace_at(value[head], rest, marker)
        return None if inner is None else ([*value[:head], inner[0], *value[head + 1 :]], inner[1])
    return None


def group_of(failure: dict[str, Any], expected_status: int | None) -> tuple[str, str]:
    """(key, cause) of the digest group one failure record falls in (a run files its failing cases by it too)."""
    cause, _path = _cause(failure, {failure["case"]: expected_status})
    return f"{failure['check']}: {cause}", cause
