"""Test cases: a request to send and what the contract says should come back, and the plan of a run.

The families come from their own modules, each derived from ``schemas/``: valid requests drawn by
``generation``, the documented edges (``edges``), one broken rule at a time (``negative``), who may
call what (``access``), and configurations that do not exist. :func:`build_plan` interleaves them
so a small request budget still touches every family.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import chain, cycle, islice
from typing import Any

from hypothesis import strategies as st

from conformance.contract.schemas import CREATE_PATH, Contract
from conformance.contract.surface import place
from conformance.kinds import AuthMode, CaseKind, CredentialForm, family_of
from conformance.plan.drawing import draw, examples
from conformance.plan.edges import (
    container_edges,
    duplicate_items,
    edge_cases,
    full_body,
    isolation_pairs,
    reference_edges,
    string_edges,
)
from conformance.plan.generation import from_pattern, valid_requests
from conformance.plan.negative import Violation, transport_cases, violations
from conformance.vendor import CONFIGURATION_ID_PREFIX

JSON_CONTENT_TYPE = "application/json"
UNKNOWN_REFERENCE = {"configuration": CaseKind.UNKNOWN_CONFIGURATION}  # x-references kind -> the case kind naming none
CREATED_ID = "{created}"  # in a case's path: a conversation this run created, filled in when it is sent
CREATED_PARTICIPANT_ID = "{created_participant}"  # in a case's path: a participant this run created
CREATED_ACCOUNT_ID = "{created_account}"  # in a case's path: the account a conversation this run created names


def _first_participant_id(conversation: dict[str, Any]) -> Any:
    participants = conversation.get("participants")
    first = participants[0] if isinstance(participants, list) and participants else None
    return first.get("id") if isinstance(first, dict) else None


# What a created conversation lets later cases name, by the placeholder that stands for it in their path.
CREATED_IDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    CREATED_ID: lambda conversation: conversation.get("id"),
    CREATED_PARTICIPANT_ID: _first_participant_id,
    CREATED_ACCOUNT_ID: lambda conversation: conversation.get("accountId"),
}
CREATED_BY_SECOND = "{created-by-second}"  # in a case's path: a conversation the second account created


@dataclass(frozen=True)
class Case:
    """One request and, by its kind, the status the contract calls for."""

    id: str  # stable within a seed: "valid/0003", "invalid/participants.maxItems/1"
    kind: CaseKind
    description: str
    payload: Any = None  # the JSON value sent (None when the body is not JSON)
    raw_body: bytes | None = None  # set when the body is not the JSON encoding of payload
    content_type: str | None = JSON_CONTENT_TYPE
    auth: AuthMode = AuthMode.VALID
    method: str = "POST"
    path: str = CREATE_PATH
    constraint: str | None = None  # invalid: "participants[].type.enum"; an unknown reference: "configurationId.cut"
    credentials: str | None = None  # a CredentialForm; None: the target's default
    authorization: str | None = None  # the header a malformed-credentials case sends as it is
    account: str | None = None  # Account.SECOND for the second account's requests; None: the first (the run's)

    def __post_init__(self) -> None:
        # A kind or mode read back from a record arrives as its string: held as the member, which knows its status.
        object.__setattr__(self, "kind", CaseKind(self.kind))
        object.__setattr__(self, "auth", AuthMode(self.auth))

    @property
    def expected_status(self) -> int:
        """The status the contract calls for (its kind's, on the route it calls)."""
        return self.kind.expected_status(self.method)

    @cached_property
    def body(self) -> bytes:
        """The bytes sent (worked out once: the drawing child does it, so they arrive with the case)."""
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.payload, ensure_ascii=False).encode()

    @cached_property
    def sends_null(self) -> bool:
        """Whether its body gives some object member as explicit null, at any depth (worked out once)."""
        return _sends_null(self.payload)

    @property
    def is_json_payload(self) -> bool:
        return self.raw_body is None and isinstance(self.payload, dict)

    @property
    def reads_created(self) -> list[str]:
        """The placeholders in its path: what this run created that it names (filled in when it is sent)."""
        return [placeholder for placeholder in (*CREATED_IDS, CREATED_BY_SECOND) if placeholder in self.path]

    def with_created(self, ids: dict[str, str]) -> Case:
        """The case with its path pointing at what this run created (``ids``: placeholder -> id)."""
        path = self.path
        for placeholder in self.reads_created:
            path = path.replace(placeholder, ids[placeholder])
        return replace(self, path=path) if path != self.path else self


def _sends_null(payload: Any) -> bool:
    if isinstance(payload, dict):
        return any(value is None or _sends_null(value) for value in payload.values())
    if isinstance(payload, list):
        return any(_sends_null(item) for item in payload)
    return False


@dataclass(frozen=True)
class PlanRecipe:
    """What :func:`build_plan` was given: enough to build the same plan in another process."""

    schemas: str  # the contract's folder
    configuration_id: str
    seed: int
    max_examples: int
    forms: tuple[str, ...]
    second_forms: tuple[str, ...] = ()  # the second account's credential forms (none: its cases are listed unrun)
    second_configuration_id: str | None = None
    ledger: dict[str, str] | None = None  # case family -> when it was last judged: the rotation's order (None: none)


@dataclass(frozen=True)
class Family:
    """Cases of one kind, in order: how many there will be, and how to draw them (afresh on each call)."""

    size: int
    open: Callable[[], Iterator[Case]]
    stub: Callable[[int], Case]  # case ``i`` as it is named: what it is, nothing drawn
    fixed: bool = False  # a short list given up front (its cases may be of several families); else drawn, one family

    @classmethod
    def of(cls, cases: Iterable[Case]) -> Family:
        fixed = list(cases)
        return cls(len(fixed), lambda: iter(fixed), fixed.__getitem__, fixed=True)


class CasePlan:
    """Everything one run will send, drawn only as it is needed.

    The families are interleaved round-robin (round ``i`` takes case ``i`` of every family long enough)
    so a small request budget still touches every family; a shard takes every ``total``-th case of that
    order. Iterating twice gives the same cases: each family draws from its own seeded stream.

    With a coverage ``ledger`` (case family -> the day it was last judged, from the history) the order rotates:
    first the core, one case of each valid family (they create what later cases read) in plan order; then the first
    case of every other case family, those judged longest ago (or never) first, even deep inside a big fixed family
    (the auth matrix); then the rest, round-robin. A drawn family's cases keep their order, and what each case is
    does not depend on the order (same seed and same ledger: same cases, same order).
    """

    def __init__(self, seed: int, families: Sequence[Family], shard: tuple[int, int] | None = None,
                 recipe: PlanRecipe | None = None, ledger: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.seed = seed
        self.families = [family for family in families if family.size]
        self.shard_of = shard  # (index, total), 1-based
        self.recipe = recipe  # how to build the same plan elsewhere (another process draws it: plan/planner.py)
        self.ledger = ledger

    def __len__(self) -> int:
        planned = sum(family.size for family in self.families)
        if self.shard_of is None:
            return planned
        index, total = self.shard_of
        return len(range(index - 1, planned, total))

    def _slots(self) -> Iterator[tuple[Family, int]]:
        """(family, index in it) of this shard's cases, in plan order; nothing is drawn."""
        index, total = self.shard_of or (1, 1)
        for position, slot in enumerate(self._order()):
            if position % total == index - 1:
                yield slot

    def _order(self) -> Iterator[tuple[Family, int]]:
        """(family, index in it) of every case, in plan order (rotated by the ledger when there is one)."""
        longest = max((family.size for family in self.families), default=0)
        first = [] if self.ledger is None else self._rotation(self.ledger)
        sent = {(id(family), i) for family, i in first}
        yield from first
        for i in range(longest):
            for family in self.families:
                if i < family.size and (id(family), i) not in sent:
                    yield family, i

    def _rotation(self, ledger: Mapping[str, str]) -> list[tuple[Family, int]]:
        """The cases that come before the round-robin: the core (case 0 of each valid family), then the first case
        of every other case family, stalest first (never judged before any night; ties keep plan order), after the
        creates of its own family it reads. A drawn family is one case family, so its cases stay in order; a fixed
        family's cases are picked by index."""
        core: list[tuple[Family, int]] = []
        firsts: dict[str, tuple[int, Family, int]] = {}  # case family -> (its place in plan order, family, index)
        for family in self.families:
            if family.stub(0).kind == CaseKind.VALID:
                core.append((family, 0))
                continue
            for i in range(family.size if family.fixed else 1):
                firsts.setdefault(family_of(family.stub(i).id), (len(firsts), family, i))
        turns, taken = list(core), set()
        for _, (_, family, i) in sorted(firsts.items(), key=lambda item: (ledger.get(item[0], ""), item[1][0])):
            # a case reading what its own family creates (the second account's conversation) goes after that create
            creates = [j for j in range(i) if family.stub(j).kind == CaseKind.VALID][:1]
            for j in (*(creates if family.stub(i).reads_created else ()), i):
                if (id(family), j) not in taken:
                    taken.add((id(family), j))
                    turns.append((family, j))
        return turns

    def __iter__(self) -> Iterator[Case]:
        streams = {id(family): family.open() for family in self.families}
        drawn = dict.fromkeys(streams, 0)
        for family, i in self._slots():
            if family.fixed:  # given up front: case ``i`` is at hand, in whatever order the rotation asks for it
                yield family.stub(i)
                continue
            key = id(family)
            while drawn[key] <= i:  # past the cases of other shards: the stream must stay aligned
                case = next(streams[key])
                drawn[key] += 1
            yield case

    def planned(self) -> dict[str, int]:
        """Cases of this shard per case family (``conformance.judge.coverage``), counted without drawing
        or walking them: a family's cases sit at evenly spaced places of the interleaved order between the sizes
        where the set of families still giving cases changes, so each stretch is counted by arithmetic."""
        counts: dict[str, int] = {}
        index, total = self.shard_of or (1, 1)
        if self.ledger is not None and total > 1:  # a rotated order: the shard's share is counted by walking it
            for family, i in self._slots():
                name = family_of(family.stub(i if family.fixed else 0).id)
                counts[name] = counts.get(name, 0) + 1
            return counts
        start, round_ = 0, 0  # where the current stretch of rounds begins: its first place, its first round
        for end in sorted({family.size for family in self.families}):
            alive = [family for family in self.families if family.size >= end]  # families giving cases this stretch
            rounds = end - round_
            for offset, family in enumerate(alive):
                first = start + offset  # the family's place in the stretch's first round; then every len(alive)
                if family.fixed:  # a few cases, perhaps of several families (auth/fetch_unknown/MODE): each named
                    for i in range(rounds):
                        if (first + i * len(alive)) % total == index - 1:
                            name = family_of(family.stub(round_ + i).id)
                            counts[name] = counts.get(name, 0) + 1
                    continue
                name = family_of(family.stub(0).id)
                counts[name] = counts.get(name, 0) + _on_shard(first, len(alive), rounds, index - 1, total)
            start, round_ = start + rounds * len(alive), end
        return {name: count for name, count in counts.items() if count}

    @property
    def cases(self) -> list[Case]:
        """Every case, drawn now (for small plans: tests, the pytest plugin)."""
        return list(self)

    def shard(self, index: int, total: int) -> CasePlan:
        """Cases ``index`` (1-based) of ``total`` round-robin shards."""
        return CasePlan(self.seed, self.families, (index, total), self.recipe, self.ledger)


def _on_shard(first: int, step: int, count: int, residue: int, total: int) -> int:
    """How many of the places ``first + step * i`` (``i`` below ``count``) fall on a shard: place % total == residue."""
    if total == 1:
        return count
    hits = 0
    for i in range(min(count, total)):  # the residues repeat every ``total`` terms at most
        if (first + step * i) % total == residue:
            hits += (count - 1 - i) // total + 1
    return hits


class _Drawn:
    """A seeded stream of examples read by index, mostly in order (several families index the same bases).

    The last ``KEEP`` are kept; an index before them draws the stream again from its start (a second
    pass over the plan), so an endless time-boxed plan does not grow."""

    KEEP = 4096

    def __init__(self, strategy: st.SearchStrategy[Any], at_seed: int) -> None:
        self._strategy, self._seed = strategy, at_seed
        self._restart()

    def _restart(self) -> None:
        self._stream = examples(self._strategy, self._seed)
        self._seen: deque[Any] = deque(maxlen=self.KEEP)
        self._drawn = 0

    def __getitem__(self, index: int) -> Any:
        if index < self._drawn - len(self._seen):
            self._restart()
        while self._drawn <= index:
            self._seen.append(next(self._stream))
            self._drawn += 1
        return self._seen[index - (self._drawn - len(self._seen))]


def build_plan(contract: Contract, configuration_id: str, at_seed: int, max_examples: int,
               forms: tuple[str, ...] = (CredentialForm.API_KEY,), second_forms: tuple[str, ...] = (),
               second_configuration_id: str | None = None,
               ledger: Mapping[str, str] | None = None) -> CasePlan:  # fmt: skip
    """Every case of a run, interleaved so a small request budget still touches every family (rotated by
    the coverage ``ledger`` when given: :class:`CasePlan`).

    Only the cheap families are built here; generated cases are drawn when the plan is iterated.
    """
    from conformance.plan.access import (  # it builds on Case
        auth_cases,
        credential_form_cases,
        not_found_cases,
        other_kind_id_cases,
        precedence_cases,
        unknown_id_auth_cases,
    )
    from conformance.plan.cross_account import cross_account_cases

    def valid(family: str, described: Any) -> list[Case]:
        return [Case(f"valid/{family}/{i:02d}", CaseKind.VALID, f"valid: {what}", body)
                for i, (what, body) in enumerate(described)]  # fmt: skip

    full = full_body(contract, configuration_id)
    families: list[Family] = [
        Family.of(valid("edge", edge_cases(contract, configuration_id))),
        Family.of(valid("containers", container_edges(contract, configuration_id, draw, at_seed + 500))),
        Family.of(valid("strings", string_edges(contract, configuration_id))),
        Family.of(valid("duplicates", duplicate_items(contract, configuration_id))),
        Family.of(valid("isolation", isolation_pairs(contract, configuration_id))),
        Family.of(credential_form_cases(configuration_id, forms, full)),
    ]
    requests = valid_requests(contract, configuration_id)

    def generated() -> Iterator[Case]:
        for i, body in enumerate(islice(examples(requests, at_seed), max_examples)):
            yield Case(f"valid/{i:04d}", CaseKind.VALID, "valid: generated", body)

    families.append(Family(max_examples, generated, lambda i: Case(f"valid/{i:04d}", CaseKind.VALID,
                                                                   "valid: generated")))  # fmt: skip
    per_rule = max(1, max_examples // 10)
    bases = _Drawn(requests.map(lambda body: {k: v for k, v in body.items() if v is not None}), at_seed + 1)
    for index, violation in enumerate(violations(contract, configuration_id)):
        families.append(_violation_family(contract, violation, bases, per_rule, at_seed + 2 + index))
    transport: dict[str, list[Case]] = {}
    for family, what, payload, raw, content_type, constraint in transport_cases(configuration_id):
        cases = transport.setdefault(family, [])
        cases.append(Case(f"invalid/{family}/{len(cases)}", CaseKind.INVALID, f"invalid: {what}", payload,
                          raw_body=raw, content_type=content_type, constraint=constraint))  # fmt: skip
    families += map(Family.of, transport.values())
    unknown = max(2, per_rule // 2)

    def unknown_stub(i: int, payload: Any = None) -> Case:  # alone, and in a body using every member
        return Case(f"unknown_configuration/{i}", CaseKind.UNKNOWN_CONFIGURATION,
                    "configurationId that does not exist" + (" in a full body" if i % 2 else ""),
                    payload)  # fmt: skip

    def unknown_configurations() -> Iterator[Case]:
        suffixes = examples(from_pattern(r"^[0-9a-z]{26}$"), at_seed + 1000)
        for i, suffix in enumerate(islice(suffixes, unknown)):
            configuration = {"configurationId": f"{CONFIGURATION_ID_PREFIX}{suffix}"}
            yield unknown_stub(i, {**full, **configuration} if i % 2 else configuration)

    families.append(Family(unknown, unknown_configurations, unknown_stub))
    families.append(Family.of(reference_edge_cases(contract, configuration_id)))
    families += map(Family.of, auth_cases(configuration_id, forms))
    families.append(Family.of(precedence_cases(configuration_id, at_seed)))
    families.append(Family.of(unknown_id_auth_cases(at_seed)))
    families.append(Family.of(not_found_cases(at_seed)))
    families.append(Family.of(other_kind_id_cases(configuration_id)))
    families.append(Family.of(cross_account_cases(configuration_id, forms, second_forms, second_configuration_id,
                                                  full)))  # fmt: skip
    recipe = PlanRecipe(str(contract.directory), configuration_id, at_seed, max_examples, tuple(forms),
                        tuple(second_forms), second_configuration_id,
                        None if ledger is None else dict(ledger))  # fmt: skip
    return CasePlan(at_seed, families, recipe=recipe, ledger=ledger)


def reference_edge_cases(contract: Contract, configuration_id: str) -> list[Case]:
    """Every member naming an existing thing, set to the real id changed at one edge: it names nothing."""
    return [Case(f"unknown_{kind}/edges/{location}.{edge}", UNKNOWN_REFERENCE[kind],
                 f"{location} is the real {kind} id changed at an edge ({edge}): names nothing", body,
                 constraint=f"{location}.{edge}")
            for kind, location, edge, body in reference_edges(contract, configuration_id)]  # fmt: skip


def _violation_family(contract: Contract, violation: Violation, bases: _Drawn, per_rule: int,
                      at_seed: int) -> Family:  # fmt: skip
    """One broken rule: its named breaking values, then values drawn outside it, each placed in a valid base."""
    fixed = len(violation.values)
    extra = (max(0, per_rule - fixed) or 1) if violation.outside is not None else 0
    size = max(fixed + extra, per_rule)

    def stub(i: int, payload: Any = None) -> Case:
        label = violation.labels[i % fixed] if i < fixed or extra == 0 else violation.outside_label
        return Case(f"invalid/{violation.name}/{i}", CaseKind.INVALID,
                    f"invalid: {violation.location} breaks {violation.rule} ({label})", payload,
                    constraint=violation.name)  # fmt: skip

    def cases() -> Iterator[Case]:
        if violation.outside is None:  # fewer values than per_rule: around again, each in another base
            values: Iterator[Any] = cycle(violation.values)
        else:
            values = chain(violation.values, islice(examples(violation.outside, at_seed), extra))
        for i, value in zip(range(size), values, strict=False):
            # Every other case breaks the rule in a later item (after two valid ones) where there are items.
            item = 2 if "[]" in violation.location and i % 2 else 0
            yield stub(i, place(contract, bases[i % per_rule], violation.location, value, item))

    return Family(size, cases, stub)
