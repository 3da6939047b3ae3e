"""A night proves a group fixed only where it judged it: its check ran and every family it failed in was judged.

A FAILED night outranks an incomplete one, so a budget-limited night, or a live night without the second
account's credentials (its cross-account families unjudged), must not count as a fix of what it never looked at.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from conformance.report.history.sqlite import SQLiteHistory
from conformance.report.history.status import group_histories
from conformance.report.history.store import GroupRecord, Night

COUNTS = {"cases": 10, "passed_cases": 8, "inconclusive": 0, "not_run": 0, "failures": 2}
CROSS = "cross_account_isolation: expected 404, got 200"
OTHER = "read_back: field name"
CROSS_FAMILIES = ("cross_account/read/second_reads_first", "cross_account/read/first_reads_second")
FAMILIES = ("valid", "valid/edge", *CROSS_FAMILIES)


def group(signature: str, families: tuple[str, ...]) -> GroupRecord:
    return GroupRecord(signature, signature.split(":")[0], signature.split(": ")[1], 2, f"{families[0]}/0", None,
                       families)  # fmt: skip


def night(number: int, *groups: GroupRecord, unjudged: tuple[str, ...] = (),
          checks: tuple[str, ...] | None = None) -> Night:  # fmt: skip
    return Night(f"run-{number}", datetime(2026, 12, number, 4, 23, tzinfo=UTC), "FAILED" if groups else "PASSED",
                 "live", 7, COUNTS, {}, groups, {name: name not in unjudged for name in FAMILIES}, checks)  # fmt: skip


def history(*nights: Night) -> dict[str, tuple[str, list[bool | None]]]:
    return {h.signature: (h.status, h.strip) for h in group_histories(list(nights))}


CROSS_GROUP, OTHER_GROUP = group(CROSS, CROSS_FAMILIES), group(OTHER, ("valid",))


def test_a_failed_night_that_left_the_group_s_families_unjudged_proves_no_fix() -> None:
    first = night(1, CROSS_GROUP)
    no_second_account = night(2, OTHER_GROUP, unjudged=CROSS_FAMILIES)  # FAILED for another reason
    assert history(first, no_second_account)[CROSS] == ("new", [True, None])  # unknown that night, not fixed
    twice = (night(1, CROSS_GROUP), night(2, CROSS_GROUP), night(3, OTHER_GROUP, unjudged=CROSS_FAMILIES))
    assert history(*twice)[CROSS] == ("persistent", [True, True, None])
    judged_and_passing = night(3, OTHER_GROUP)
    assert history(first, no_second_account, judged_and_passing)[CROSS] == ("fixed", [True, None, False])
    # one of its families judged is not enough: the other may still fail
    partly = night(2, OTHER_GROUP, unjudged=CROSS_FAMILIES[1:])
    assert history(first, partly)[CROSS][1] == [True, None]
    # a family the night did not plan at all is not judged either
    unplanned = replace(night(2, OTHER_GROUP), families={"valid": True})
    assert history(first, unplanned)[CROSS][1] == [True, None]


def test_a_night_whose_allow_list_left_the_check_out_proves_no_fix() -> None:
    first = night(1, CROSS_GROUP)
    assert history(first, night(2, checks=("read_back", "status_code")))[CROSS] == ("new", [True, None])
    assert history(first, night(2, checks=("cross_account_isolation",)))[CROSS] == ("fixed", [True, False])


def test_nights_recorded_before_families_were_kept_are_judged_by_their_verdict() -> None:
    old = GroupRecord(OTHER, "read_back", "field name", 2, "valid/1")
    assert history(replace(night(1), groups=(old,), verdict="FAILED", families={}), replace(night(2), families={}))[
        OTHER
    ] == ("fixed", [True, False])


def test_families_and_checks_survive_the_store(tmp_path: Path) -> None:
    store = SQLiteHistory(tmp_path / "h.sqlite")
    nights = [night(1, CROSS_GROUP, OTHER_GROUP, checks=("cross_account_isolation", "read_back")),
              night(2, OTHER_GROUP, unjudged=CROSS_FAMILIES)]  # fmt: skip
    for each in nights:
        store.record(each)
    assert store.nights() == nights
    store.close()


def test_a_layout_2_history_gains_the_tables_and_its_old_nights_are_judged_by_verdict(tmp_path: Path) -> None:
    location = tmp_path / "old.sqlite"
    store = SQLiteHistory(location)
    store.record(night(1, CROSS_GROUP))
    store.close()
    with sqlite3.connect(location) as db:  # as a layout 2 file was: families kept, nothing per group or check
        db.execute("DROP TABLE group_families")
        db.execute("DROP TABLE allowed_checks")
        db.execute("PRAGMA user_version = 2")
    store = SQLiteHistory(location)
    try:
        store.record(night(2, OTHER_GROUP, unjudged=CROSS_FAMILIES, checks=("read_back",)))
        old, new = store.nights()
    finally:
        store.close()
    assert old.groups[0].families == () and new.groups[0].families == ("valid",) and new.checks == ("read_back",)
    # the old record does not say where the group failed; the new night's allow-list still leaves its check out
    assert history(old, new)[CROSS] == ("new", [True, None])
