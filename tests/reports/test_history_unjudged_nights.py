"""A FAILED night that never judged a group's families proves no fix: real runs against the embedded emulator.

Night 1 hands the first account's conversation to the second (cross_account_isolation fails). Night 2 has no
second account (its cross-account cases are not run) and fails for another reason: FAILED, yet the group is
unknown that night, not fixed. Night 3 judges the cross-account families again and passes: fixed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from conformance.emulator.server import EmulatorServer
from conformance.report.history import HistoryView, open_history, record_run
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions

OPTIONS = RunOptions(seed=2203, max_examples=1, max_requests=None, rate=None)
NIGHTS = {1: (("cross_account_read", {}), True), 2: (("not_echoed", {"field": "name"}), False), 3: (None, True)}


def test_a_failed_night_without_the_second_account_proves_no_fix(tmp_path: Path) -> None:
    store = open_history(tmp_path / "history.sqlite")
    views: dict[int, HistoryView] = {}
    with EmulatorServer() as emulator:
        for night, (fault, second) in NIGHTS.items():
            emulator.reset()
            if fault is not None:
                emulator.inject(fault[0], None, **fault[1])
            target = target_for(emulator)
            target = target if second else replace(target, second=None)
            runner = Runner(target, OPTIONS)
            try:
                document = runner.run(plan_for(target, OPTIONS), f"nightly-{night}").to_json()
            finally:
                runner.client.close()
            document["started_at"] = f"2026-12-0{night}T04:23:00Z"
            view = record_run(store, document)
            assert view is not None
            views[night] = view
    store.close()
    isolation = [g for g in views[1].groups if g.check == "cross_account_isolation"]
    assert isolation
    for group in isolation:
        assert group.latest.families and all(f.startswith("cross_account/") for f in group.latest.families)
        second_night = views[2].nights[-1]
        assert second_night.verdict == "FAILED" and not any(second_night.families[f] for f in group.latest.families)
        unknown = views[2].group(group.signature)
        assert unknown is not None and (unknown.status, unknown.strip) == ("new", [True, None])
        fixed = views[3].group(group.signature)
        assert fixed is not None and (fixed.status, fixed.strip) == ("fixed", [True, None, False])
