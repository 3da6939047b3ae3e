"""Coverage across nights: a run whose request budget is too small for the plan rotates it by the history's
coverage ledger. Nights of `conformance run --max-requests 30` against the embedded emulator, one history file:
the core every night, every family within the nights the README promises, the same cases from the same seed
and history, and today's order without a history."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.contract.schemas import load_contract
from conformance.judge.coverage import EXIT_CODES, Verdict
from conformance.kinds import family_of
from conformance.plan.cases import CasePlan, Family, build_plan
from conformance.plan.planner import drawn
from conformance.report.history import open_history
from conformance.report.history.ledger import coverage_ledger, rotation_ledger
from conformance.report.history.store import Night

SEED, BUDGET, EXAMPLES = 2207, 30, 10
NIGHTS = 5  # the README's arithmetic: ceil((84 - 14) / (30 - 14)) nights cover every family at this budget
CORE = ["valid/edge", "valid/containers", "valid/strings", "valid/duplicates", "valid/isolation",
        "valid/credentials", "valid"]  # fmt: skip
NO_ENV = dict.fromkeys(["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                        "CONFORMANCE_CONFIGURATION_ID", "CONFORMANCE_BASE_URL", "CONFORMANCE_HISTORY"])  # fmt: skip


def night(history: Path | None, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """One budget-limited run recorded into ``history``: (exit code, its results.json)."""
    args = ["run", "--target", "emulator", "--seed", str(SEED), "--max-examples", str(EXAMPLES),
            "--max-requests", str(BUDGET), "--report-dir", str(out / "report"), "--cassette-dir",
            str(out / "cassettes"), *extra]  # fmt: skip
    if history is not None:
        args += ["--history", str(history)]
    result = CliRunner().invoke(cli, args, env=NO_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads((out / "report" / "results.json").read_text())


def judged(document: dict[str, Any]) -> set[str]:
    return {name for name, row in document["families"].items() if row["passed"] or row["failed"]}


def sent_ids(document: dict[str, Any]) -> list[str]:
    return [case["id"] for case in document["cases"] if case["outcome"] != "not_run"]


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[tuple[int, dict[str, Any]]]]]:
    root = tmp_path_factory.mktemp("rotation")
    history = root / "history.sqlite"
    yield history, [night(history, root / f"night{n}") for n in range(1, NIGHTS + 1)]


def test_every_family_is_judged_within_the_promised_nights_and_the_core_every_night(
    nights: tuple[Path, list[tuple[int, dict[str, Any]]]],
) -> None:
    history, runs = nights
    families = set(runs[0][1]["families"])
    seen: set[str] = set()
    for number, (code, document) in enumerate(runs, 1):
        tonight = judged(document)
        assert set(CORE) <= tonight, (number, set(CORE) - tonight)
        assert document["cases"][: len(CORE)] and [family_of(c["id"]) for c in document["cases"][: len(CORE)]] == CORE
        assert tonight - seen or seen == families, f"night {number} judged nothing new"
        seen |= tonight
        # a budget that leaves families unjudged reads INCOMPLETE, honestly, every night
        assert (code, document["verdict"]) == (EXIT_CODES[Verdict.INCOMPLETE], "incomplete"), number
    assert seen == families, sorted(families - seen)
    assert len(judged(runs[0][1])) < len(families)  # the budget is really too small for one night
    store = open_history(history)
    try:
        ledger = coverage_ledger(store.nights())
    finally:
        store.close()
    assert set(ledger) == families and None not in ledger.values()


def test_without_rotation_the_same_budget_never_reaches_some_families(tmp_path: Path) -> None:
    """Today's order (no history) spends the budget on the same first cases every night."""
    _code, document = night(None, tmp_path)
    _code, again = night(None, tmp_path / "again")
    assert sent_ids(document) == sent_ids(again)
    assert "rotation" not in document.get("policy", {})
    assert judged(document) < set(document["families"])


def test_same_seed_and_same_history_give_the_same_cases(
    nights: tuple[Path, list[tuple[int, dict[str, Any]]]], tmp_path: Path
) -> None:
    history, _runs = nights
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    shutil.copy(history, first)
    shutil.copy(history, second)
    _code, one = night(first, tmp_path / "one")
    _code, two = night(second, tmp_path / "two", "--workers", "1")
    assert sent_ids(one) == sent_ids(two)
    store = open_history(history)
    try:
        assert one["policy"]["rotation"] == rotation_ledger(store.nights())  # results.json says what ordered it
    finally:
        store.close()
    assert [family_of(case_id) for case_id in sent_ids(one)[: len(CORE)]] == CORE


@pytest.fixture(scope="module")
def plan_parts() -> tuple[Any, ...]:
    contract = load_contract()
    return (contract, "conf_configuration_01kd5r1v4e8m2c7n6p3q9s0t5w", SEED, EXAMPLES, ("api_key", "account"),
            ("api_key",), "conf_configuration_01kd5r1v4e8m2c7n6p3q9s0t5x")  # fmt: skip


def round_robin(families: list[Family]) -> list[str]:
    """The plan's order without a ledger: round ``i`` takes case ``i`` of every family long enough."""
    return [family.stub(i).id for i in range(max(f.size for f in families)) for family in families if i < family.size]


def test_no_ledger_is_today_s_round_robin_and_a_ledger_puts_the_stalest_first(plan_parts: tuple[Any, ...]) -> None:
    plain = build_plan(*plan_parts)
    assert [case.id for case in plain] == round_robin(plain.families)
    ledger = {name: "2026-12-01T04:00:00+00:00" for name in plain.planned()}
    ledger["not_found"] = "2026-11-30T04:00:00+00:00"  # judged longest ago: first after the core
    del ledger["invalid/content_type"]  # never judged: before everything judged
    rotated = [case.id for case in build_plan(*plan_parts, ledger=ledger)]
    assert [family_of(i) for i in rotated[: len(CORE) + 2]] == [*CORE, "invalid/content_type", "not_found"]
    assert sorted(rotated) == sorted(case.id for case in plain)  # the same cases, drawn alike; only the order moves


def test_the_planner_child_and_shards_follow_the_rotation(plan_parts: tuple[Any, ...]) -> None:
    ledger = {"valid": "2026-12-02T04:00:00+00:00", "invalid/name.type": "2026-12-01T04:00:00+00:00"}
    plan: CasePlan = build_plan(*plan_parts, ledger=ledger)
    order = [case.id for case in plan]
    assert [case.id for case in drawn(plan)] == order  # the recipe carries the ledger to the child
    shards = [plan.shard(index, 3) for index in (1, 2, 3)]
    assert [case.id for case in drawn(shards[1])] == order[1::3]
    for shard in shards:
        counted: dict[str, int] = {}
        for case in shard:
            counted[family_of(case.id)] = counted.get(family_of(case.id), 0) + 1
        assert shard.planned() == counted


def test_history_coverage_shows_when_each_family_was_last_judged(
    nights: tuple[Path, list[tuple[int, dict[str, Any]]]], tmp_path: Path
) -> None:
    history, runs = nights
    partial = tmp_path / "one-night.sqlite"
    night(partial, tmp_path / "night")
    result = CliRunner().invoke(cli, ["history", "--history", str(partial), "--coverage"], env=NO_ENV)
    assert result.exit_code == 0, result.output
    never = set(runs[0][1]["families"]) - judged(runs[0][1])
    lines = result.output.splitlines()
    assert f"{len(runs[0][1]['families'])} case families, {len(never)} never judged" in lines[0]
    assert {line.split()[-1] for line in lines[1 : 1 + len(never)]} == never  # never-judged first
    assert all(line.split()[0] == "never" for line in lines[1 : 1 + len(never)])
    assert all(line.split()[0] != "never" for line in lines[1 + len(never) :])
    as_json = CliRunner().invoke(cli, ["history", "--history", str(history), "--coverage", "--format", "json"])
    assert json.loads(as_json.output)["never_judged"] == []
    store = open_history(partial)
    try:
        assert set(rotation_ledger(store.nights())) == judged(runs[0][1])
    finally:
        store.close()


def test_a_layout_1_history_gains_the_families_table_and_keeps_its_nights(tmp_path: Path) -> None:
    location = tmp_path / "old.sqlite"
    before = Night("run-1", datetime(2026, 12, 1, 4, tzinfo=UTC), "PASSED", "live", 1, {"cases": 1}, {})
    store = open_history(location)
    store.record(before)
    store.close()
    with sqlite3.connect(location) as db:  # as a layout 1 file was: no families table
        db.execute("DROP TABLE families")
        db.execute("PRAGMA user_version = 1")
    store = open_history(location)
    try:
        store.record(Night("run-2", datetime(2026, 12, 2, 4, tzinfo=UTC), "INCOMPLETE", "live", 1, {"cases": 2}, {},
                           families={"valid": True, "not_found": False}))  # fmt: skip
        old, new = store.nights()
    finally:
        store.close()
    assert (old.run_id, old.families) == ("run-1", {})
    assert coverage_ledger([old, new]) == {"not_found": None, "valid": "2026-12-02T04:00:00+00:00"}
