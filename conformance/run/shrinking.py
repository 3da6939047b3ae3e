"""Shrinking: a failure group whose every case is large gets a reduced example, the way Hypothesis shrinks.

A group is *large* when even its smallest case (the digest's example) sends a JSON body over ``LARGE`` characters.
Its request body is reduced step by step (long strings halved, or their last half kept; arrays cut down to one item;
members dropped) and each candidate re-sent, with the case's own account and credentials. A candidate is kept only
when it still fails the same check in the same digest group, and reads the same to the request schema (a valid
body stays valid, an invalid one breaks the same rules), so it fails for the same reason. Re-sends are few
(``PER_GROUP``, ``IN_ALL``) and never pass ``--max-requests``. What was kept lands in ``reduced`` of results.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from conformance.contract.schemas import Contract
from conformance.interrupts import INTERRUPTS
from conformance.judge.verdicts import CaseResult
from conformance.kinds import CheckOutcome
from conformance.plan.cases import Case
from conformance.record.results import failure_record
from conformance.run.confirmation import FailingGroups, failing_keys
from conformance.run.runner import Runner
from conformance.send.client import BudgetExhausted, Stopped

LARGE = 1000  # characters of request body past which a group's example is shrunk
PER_GROUP = 20  # re-sends spent on one group at most
IN_ALL = 60  # and on all groups of a run together

Path = tuple[str | int, ...]
Step = tuple[Any, ...]  # what a candidate changed: ("drop", path), ("head", path)...


@dataclass(frozen=True)
class LargeGroup:
    key: str
    check: str
    case: Case  # the group's smallest case, as it was sent


def body_size(case: Case) -> int:
    """Characters of the request body (what ``LARGE`` and the "N → M characters" label count)."""
    return len(case.body.decode("utf-8", errors="replace"))


def large_groups(failing: FailingGroups) -> list[LargeGroup]:
    """The failure groups whose smallest case still sends a JSON body over ``LARGE`` characters."""
    return [LargeGroup(key, failing.groups[key].check, case) for key, (_size, case) in failing.smallest.items()
            if case.is_json_payload and body_size(case) > LARGE]  # fmt: skip


def shrink(runner: Runner, groups: Iterable[LargeGroup], contract: Contract, show: Callable[[CaseResult], CaseResult],
           seed: int, per_group: int = PER_GROUP, in_all: int = IN_ALL) -> list[dict[str, Any]]:  # fmt: skip
    """Each large group's smallest case reduced as far as its re-sends allow; one entry per group reduced.

    ``show`` redacts a judged case as the reports show it (it is not recorded: replay never sees it)."""
    reduced, left = [], in_all
    for group in groups:
        if left <= 0:
            break
        found, spent = _reduce(runner, group, contract, show, min(per_group, left))
        left -= spent
        if found is not None:
            result = show(found)
            check = next(r for r in result.checks if r.check == group.check and r.outcome == CheckOutcome.FAILED)
            reduced.append({"key": group.key, "check": group.check, "case": group.case.id,
                            "from_size": body_size(group.case), "size": body_size(found.case), "resent": spent,
                            "failure": failure_record(result, check, seed)})  # fmt: skip
    return reduced


def _reduce(runner: Runner, group: LargeGroup, contract: Contract, show: Callable[[CaseResult], CaseResult],
            budget: int) -> tuple[CaseResult | None, int]:  # fmt: skip
    """(the smallest failing reduction found, or None; re-sends spent). Greedy: the smallest candidate that still
    fails becomes the new starting point, until none does or the budget is spent. A step that once stopped the
    failure (a member dropped, a string cut at one end) is not tried again."""
    payload, best, spent = group.case.payload, None, 0
    rules = _broken_rules(contract, payload)
    useless: set[Step] = set()
    improved = True
    while improved and spent < budget:
        improved = False
        for step, candidate in _candidates(payload):
            if step in useless or _broken_rules(contract, candidate) != rules:
                continue  # the schema would read it otherwise: it would fail (or pass) for another reason
            if spent >= budget:
                break
            try:
                again = runner.run_case(replace(group.case, payload=candidate, raw_body=None))
            except (BudgetExhausted, Stopped):
                return best, spent
            spent += 1
            INTERRUPTS.raise_pending()  # a signal that waited while the candidate was judged
            if any(key == group.key for key, _check, _cause in failing_keys(show(again))):
                payload, best, improved = candidate, again, True
                break
            useless.add(step)
    return best, spent


def _broken_rules(contract: Contract, payload: Any) -> frozenset[tuple[str, str]]:
    """What the request schema says of a body: the rules it breaks, where (indices folded)."""
    return frozenset(
        (error.validator, ".".join("[]" if isinstance(step, int) else step for step in error.absolute_path))
        for error in contract.errors("request", payload)
    )  # fmt: skip


def _candidates(payload: Any) -> list[tuple[Step, Any]]:
    """Smaller bodies, smallest first, each with the step that made it: every string halved at once; each string
    halved (its first half, then its last, where a changed end shows), or cut by a quarter or an eighth; each array
    cut to one of its items; each member dropped."""
    strings = [(path, text) for path, text in _leaves(payload, ()) if len(text) > 1]
    steps: list[tuple[Step, Any]] = []
    if len(strings) > 1:
        halved = payload
        for path, text in strings:
            halved = _set(halved, path, text[: len(text) // 2])
        steps.append((("halve all",), halved))
    for path, text in strings:
        steps.append((("head", path), _set(payload, path, text[: len(text) // 2])))
        steps.append((("tail", path), _set(payload, path, text[len(text) - len(text) // 2 :])))
        steps += [((f"cut {part}", path), _set(payload, path, text[: len(text) - len(text) // part]))
                  for part in (4, 8) if len(text) // part]  # fmt: skip
    for path, items in _arrays(payload, ()):
        steps += [(("one item", path, index), _set(payload, path, [item])) for index, item in enumerate(items)]
    steps += [(("drop", path), _dropped(payload, path)) for path in _members(payload, ())]
    return sorted(steps, key=lambda step: len(json.dumps(step[1], ensure_ascii=False)))  # stable: ties keep order


def _leaves(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from _leaves(inner, (*path, name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, (*path, index))


def _arrays(value: Any, path: Path) -> Iterator[tuple[Path, list[Any]]]:
    if isinstance(value, list):
        if len(value) > 1:
            yield path, value
        for index, inner in enumerate(value):
            yield from _arrays(inner, (*path, index))
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from _arrays(inner, (*path, name))


def _members(value: Any, path: Path) -> Iterator[Path]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield (*path, name)
            yield from _members(inner, (*path, name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _members(inner, (*path, index))


def _set(value: Any, path: Path, new: Any) -> Any:
    """A copy of ``value`` with the member at ``path`` replaced by ``new`` (the original is left alone)."""
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return copy


def _dropped(value: Any, path: Path) -> Any:
    copy = json.loads(json.dumps(value))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return copy
