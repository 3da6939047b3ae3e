"""The plan is drawn lazily, and is exactly the plan an eager build would make: same cases, same order."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import strategies as st

from conformance.contract.schemas import load_contract
from conformance.contract.surface import place
from conformance.kinds import CaseKind
from conformance.plan import drawing
from conformance.plan.access import (
    auth_cases,
    credential_form_cases,
    not_found_cases,
    other_kind_id_cases,
    precedence_cases,
    unknown_id_auth_cases,
)
from conformance.plan.cases import Case, build_plan, reference_edge_cases
from conformance.plan.cross_account import cross_account_cases
from conformance.plan.drawing import draw, examples
from conformance.plan.edges import (
    container_edges,
    duplicate_items,
    edge_cases,
    full_body,
    isolation_pairs,
    string_edges,
)
from conformance.plan.generation import from_pattern, valid_requests
from conformance.plan.negative import transport_cases, violations
from conformance.vendor import CONFIGURATION_ID_PREFIX

CONTRACT = load_contract()
CONFIGURATION = "conv_configuration_0000000000000000000default"


def eager_plan(at_seed: int, max_examples: int, forms: tuple[str, ...]) -> list[Case]:
    """The plan as it was built before it became lazy: every family drawn up front, then interleaved."""

    def valid(family: str, described: Any) -> list[Case]:
        return [Case(f"valid/{family}/{i:02d}", CaseKind.VALID, f"valid: {what}", body)
                for i, (what, body) in enumerate(described)]  # fmt: skip

    families = [valid("edge", edge_cases(CONTRACT, CONFIGURATION)),
                valid("containers", container_edges(CONTRACT, CONFIGURATION, draw, at_seed + 500)),
                valid("strings", string_edges(CONTRACT, CONFIGURATION)),
                valid("duplicates", duplicate_items(CONTRACT, CONFIGURATION)),
                valid("isolation", isolation_pairs(CONTRACT, CONFIGURATION)),
                credential_form_cases(CONFIGURATION, forms, full_body(CONTRACT, CONFIGURATION))]  # fmt: skip
    generated = draw(valid_requests(CONTRACT, CONFIGURATION), max_examples, at_seed)
    families.append([Case(f"valid/{i:04d}", CaseKind.VALID, "valid: generated", body)
                     for i, body in enumerate(generated)])  # fmt: skip
    per_rule = max(1, max_examples // 10)
    bases = draw(valid_requests(CONTRACT, CONFIGURATION), per_rule, at_seed + 1)
    bases = [{k: v for k, v in body.items() if v is not None} for body in bases]
    for index, violation in enumerate(violations(CONTRACT, CONFIGURATION)):
        values, labels = list(violation.values), list(violation.labels)
        if violation.outside is not None:
            extra = draw(violation.outside, max(0, per_rule - len(values)) or 1, at_seed + 2 + index)
            values, labels = values + extra, labels + [violation.outside_label] * len(extra)
        families.append([
            Case(f"invalid/{violation.name}/{i}", CaseKind.INVALID,
                 f"invalid: {violation.location} breaks {violation.rule} ({labels[i % len(labels)]})",
                 place(CONTRACT, bases[i % len(bases)], violation.location, values[i % len(values)],
                       2 if "[]" in violation.location and i % 2 else 0),
                 constraint=violation.name)
            for i in range(max(len(values), per_rule))
        ])  # fmt: skip
    transport: dict[str, list[Case]] = {}
    for family, what, payload, raw, content_type, constraint in transport_cases(CONFIGURATION):
        cases = transport.setdefault(family, [])
        cases.append(Case(f"invalid/{family}/{len(cases)}", CaseKind.INVALID, f"invalid: {what}", payload,
                          raw_body=raw, content_type=content_type, constraint=constraint))  # fmt: skip
    families += transport.values()
    unknown = draw(from_pattern(r"^[0-9a-z]{26}$"), max(2, per_rule // 2), at_seed + 1000)
    full = full_body(CONTRACT, CONFIGURATION)
    families.append([Case(f"unknown_configuration/{i}", CaseKind.UNKNOWN_CONFIGURATION,
                          "configurationId that does not exist" + (" in a full body" if i % 2 else ""),
                          {**(full if i % 2 else {}), "configurationId": f"{CONFIGURATION_ID_PREFIX}{suffix}"})
                     for i, suffix in enumerate(unknown)])  # fmt: skip
    families.append(reference_edge_cases(CONTRACT, CONFIGURATION))
    families += auth_cases(CONFIGURATION, forms)
    families.append(precedence_cases(CONFIGURATION, at_seed))
    families.append(unknown_id_auth_cases(at_seed))
    families.append(not_found_cases(at_seed))
    families.append(other_kind_id_cases(CONFIGURATION))
    families.append(cross_account_cases(CONFIGURATION, forms, (), None, full))  # no second account: listed unrun
    longest = max(map(len, families))
    return [family[i] for i in range(longest) for family in families if i < len(family)]


@pytest.mark.parametrize(("at_seed", "max_examples", "forms"), [
    (0, 1, ("api_key",)), (7, 3, ("api_key", "account")), (12345, 25, ("api_key", "account")), (99, 40, ("account",)),
])  # fmt: skip
def test_the_lazy_plan_is_the_eager_plan(at_seed: int, max_examples: int, forms: tuple[str, ...]) -> None:
    plan = build_plan(CONTRACT, CONFIGURATION, at_seed, max_examples, forms)
    expected = eager_plan(at_seed, max_examples, forms)
    assert len(plan) == len(expected)
    assert list(plan) == expected
    assert list(plan) == expected  # iterating again draws the same cases


def test_shards_partition_the_plan_in_order() -> None:
    plan = build_plan(CONTRACT, CONFIGURATION, 3, 12, ("api_key", "account"))
    everything = plan.cases
    shards = [plan.shard(i, 3) for i in (1, 2, 3)]
    assert [len(s) for s in shards] == [len(s.cases) for s in shards]
    assert [c for i, c in enumerate(everything) if i % 3 == 1] == shards[1].cases
    assert sorted(c.id for s in shards for c in s) == sorted(c.id for c in everything)


def test_a_big_plan_starts_at_once_and_draws_only_what_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = 0
    draw_one = drawing._draw_one

    def counted(*args: Any) -> Any:
        nonlocal draws
        draws += 1
        return draw_one(*args)

    monkeypatch.setattr(drawing, "_draw_one", counted)
    plan = build_plan(CONTRACT, CONFIGURATION, 1, 1_000_000)
    first = list(itertools.islice(plan, 200))
    assert draws < 1_000, draws  # about 80; drawing all of it would be millions (an hour)
    monkeypatch.undo()
    assert len(plan) > 2_000_000 and len(first) == 200
    assert first == list(itertools.islice(build_plan(CONTRACT, CONFIGURATION, 1, 1_000_000), 200))


# --- drawing outside the test engine (conformance/plan/drawing.py uses Hypothesis internals) ---


def test_drawing_is_pinned_to_the_seed() -> None:
    """Fails when a Hypothesis upgrade changes what a seed draws: seeds of old runs would stop reproducing them."""
    assert draw(st.integers(0, 10**6), 5, 1) == [114236, 3206, 56340, 47, 41725]
    assert draw(st.text(alphabet="abc", max_size=5), 5, 1) == ["abbaa", "", "cabaa", "", "aa"]
    assert draw(st.lists(st.booleans(), max_size=3), 4, 2) == [[], [], [True], []]


def test_a_prefix_of_a_stream_is_the_shorter_draw_and_imports_do_not_change_it() -> None:
    strategy = valid_requests(CONTRACT, CONFIGURATION)
    before = draw(strategy, 10, 5)
    import conformance.parity.compare  # noqa: F401  a local module with constants of its own: ignored

    assert list(itertools.islice(examples(strategy, 5), 4)) == before[:4]
    assert draw(strategy, 10, 5) == before


def test_drawing_without_the_span_record_draws_what_hypothesis_draws_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """conformance/plan/drawing.py skips ConjectureData's record of spans and draws nested strategies its own leaner
    way; the values must not depend on either."""
    from hypothesis.internal.conjecture.data import ConjectureData

    import conformance.plan.drawing

    strategies = [
        valid_requests(CONTRACT, CONFIGURATION),
        st.recursive(st.integers(), st.lists, max_leaves=20),
        st.lists(st.text(max_size=4), unique=True, max_size=8),
        st.integers().filter(lambda v: v % 3 == 0),
        st.integers(0, 3).flatmap(lambda n: st.lists(st.text(max_size=2), min_size=n, max_size=n)),
        st.fixed_dictionaries(
            {"a": st.none() | st.booleans()}, optional={"b": st.sampled_from("xyz").filter(str.isalpha)}
        ),
        st.tuples(st.just(1), st.nothing() | st.integers(), st.builds(dict, x=st.floats(allow_nan=False))),
        st.recursive(st.booleans(), lambda inner: st.lists(inner, min_size=1, max_size=2), max_leaves=200),
    ]
    lean = [draw(strategy, 30, 9) for strategy in strategies]
    monkeypatch.setattr(conformance.plan.drawing, "_UnrecordedData", ConjectureData)
    assert [draw(strategy, 30, 9) for strategy in strategies] == lean


def test_a_filter_that_rejects_draws_again_from_the_same_stream() -> None:
    assert all(v % 2 == 0 for v in draw(st.integers(0, 100).filter(lambda v: v % 2 == 0), 20, 3))


def test_the_cases_planned_per_family_are_counted_without_drawing_them() -> None:
    from collections import Counter

    from conformance.kinds import family_of

    for size, forms in ((12, ("api_key", "account")), (37, ("api_key",))):
        plan = build_plan(CONTRACT, CONFIGURATION, 4, size, forms)
        for shard in (None, (1, 2), (2, 3), (4, 7)):
            part = plan.shard(*shard) if shard else plan
            assert part.planned() == Counter(family_of(case.id) for case in part.cases), (size, shard)
    huge = build_plan(CONTRACT, CONFIGURATION, 4, 10**9, ("api_key",)).shard(2, 5)  # counted, never walked
    assert sum(huge.planned().values()) == len(huge)


def test_every_schema_pattern_draws_strings_that_match_it() -> None:
    import json
    import re

    from conformance.plan.generation import from_pattern

    patterns = set(re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps([CONTRACT.schema(name) for name in (
        "request", "address", "configuration")])))  # fmt: skip
    patterns = {json.loads(f'"{p}"') for p in patterns}
    assert r"^\+[1-9][0-9]{7,14}$" in patterns
    for pattern in patterns:
        assert all(re.fullmatch(pattern, value) for value in draw(from_pattern(pattern), 100, 1)), pattern
