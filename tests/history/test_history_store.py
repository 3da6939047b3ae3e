"""The history store and the statuses it gives each failure group, from nights built by hand."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.report.history import HISTORY_ENV, HistoryView, open_history
from conformance.report.history.sqlite import SQLiteHistory
from conformance.report.history.status import group_histories
from conformance.report.history.store import GroupRecord, HistoryError, Night

COUNTS = {"cases": 10, "passed_cases": 8, "inconclusive": 0, "not_run": 0, "failures": 2}


def night(number: int, *failing: str, confirmation: str | None = None) -> Night:
    groups = tuple(GroupRecord(s, s.split(":")[0], s.split(": ")[1], 2, f"valid/{number}", confirmation)
                   for s in failing)  # fmt: skip
    latency = {"create": {"count": 9, "p50": 1.0 * number, "p95": 2.0, "p99": 3.0}}
    return Night(f"run-{number}", datetime(2026, 12, number, 4, 23, tzinfo=UTC), "FAILED" if failing else "PASSED",
                 "live", 7, COUNTS, latency, groups)  # fmt: skip


def statuses(*nights: Night, window: int = 14) -> dict[str, str]:
    return {h.signature: h.status for h in group_histories(list(nights), window)}


A, B = "read_back: field name", "no_server_error: expected 201, got 500"


def test_new_then_persistent_then_fixed() -> None:
    assert statuses(night(1), night(2, A)) == {A: "new"}
    assert statuses(night(1), night(2, A), night(3, A)) == {A: "persistent"}
    assert statuses(night(1), night(2, A), night(3, A), night(4)) == {A: "fixed"}


def test_back_after_a_fix_is_regressed_and_back_twice_is_intermittent() -> None:
    assert statuses(night(1, A), night(2), night(3, A)) == {A: "regressed"}
    assert statuses(night(1, A), night(2), night(3, A), night(4, A)) == {A: "persistent"}
    assert statuses(night(1, A), night(2), night(3, A), night(4), night(5, A)) == {A: "intermittent"}
    # the window forgets: the first return (night 3) is older than the last two nights
    assert statuses(night(1, A), night(2), night(3, A), night(4), night(5, A), window=2) == {A: "regressed"}


def test_the_run_s_own_confirmation_marks_a_group_intermittent() -> None:
    assert statuses(night(1), night(2, A, confirmation="intermittent")) == {A: "intermittent"}
    assert statuses(night(1), night(2, A, confirmation="confirmed")) == {A: "new"}


def test_counts_dates_and_lines() -> None:
    [history] = group_histories([night(1, A), night(2), night(3, A), night(4, A), night(5, A)], window=4)
    assert (history.first_seen.day, history.last_seen.day, history.since.day) == ("2026-12-01", "2026-12-05",
                                                                                  "2026-12-03")  # fmt: skip
    assert (history.nights_failing, history.window, history.streak) == (3, 4, 3)
    assert history.strip == [False, True, True, True]
    assert (
        history.line()
        == "persistent: failing 3 nights, since 2026-12-03 (first seen 2026-12-01; 3 of the last 4 nights)"
    )


def test_a_night_without_a_verdict_proves_no_fix() -> None:
    interrupted = replace(night(3), verdict="INTERRUPTED")
    [history] = group_histories([night(1, A), night(2, A), interrupted])
    assert (history.status, history.streak, history.strip) == ("persistent", 2, [True, True, None])
    [history] = group_histories([night(1, A), night(2, A), interrupted, night(4)])
    assert (history.status, history.last_seen.day) == ("fixed", "2026-12-02")
    [history] = group_histories([night(1, A), replace(night(2), verdict="INCOMPLETE"), night(3, A)])
    assert history.status == "persistent"  # not regressed: night 2 never said it was gone
    # a night without a verdict still counts what it did report failing
    [history] = group_histories([night(1), replace(night(2, A), verdict="INTERRUPTED")])
    assert history.status == "new" and history.nights_failing == 1


def test_a_group_fixed_before_the_window_is_not_listed() -> None:
    assert statuses(night(1, A), night(2), night(3), window=2) == {}


def test_sqlite_round_trip_and_recording_again_replaces(tmp_path: Path) -> None:
    store = SQLiteHistory(tmp_path / "deep" / "h.sqlite")
    first = night(1, A, B, confirmation="confirmed")
    store.record(first)
    store.record(night(2))
    store.record(first)  # `report build` over the same run again
    assert [n.run_id for n in store.nights()] == ["run-1", "run-2"]
    assert store.nights()[0] == first and store.nights(last=1)[0].run_id == "run-2"
    view = HistoryView.of(store)
    assert view.total_nights == 2 and {g.status for g in view.groups} == {"fixed"}
    store.close()


@pytest.mark.parametrize("content", [b"not a database at all, just text" * 40, None])
def test_an_unusable_file_is_one_clear_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "h.sqlite"
    if content is None:  # an SQLite file of something else
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE t (x)")
    else:
        path.write_bytes(content)
    with pytest.raises(HistoryError, match=str(path)):
        open_history(path)
    with pytest.raises(HistoryError, match="is a directory"):
        open_history(tmp_path)


def test_the_history_command_without_a_history_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HISTORY_ENV, raising=False)
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 2 and "pass --history PATH or set CONFORMANCE_HISTORY" in result.stderr
    result = CliRunner().invoke(cli, ["history", "--history", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no history there" in result.stderr
    (tmp_path / "bad.sqlite").write_text("garbage" * 200, encoding="utf-8")
    monkeypatch.setenv(HISTORY_ENV, str(tmp_path / "bad.sqlite"))
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 2 and "not a usable history file" in result.stderr
    assert "Traceback" not in result.output


def test_a_run_with_an_unusable_history_stops_before_sending(tmp_path: Path) -> None:
    (tmp_path / "bad.sqlite").write_text("garbage" * 200, encoding="utf-8")
    args = ["--report-dir", str(tmp_path / "r"), "--cassette-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(cli, ["run", "--max-examples", "1", *args, "--history", str(tmp_path / "bad.sqlite")])
    assert result.exit_code == 2 and "--history:" in result.stderr and not (tmp_path / "r").exists()


def test_report_build_records_the_run_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["run", "--max-examples", "1", "--deterministic", "--seed", "5", "--report-dir",
                                      str(tmp_path / "r"), "--cassette-dir", str(tmp_path / "c")])  # fmt: skip
    assert result.exit_code == 0, result.output
    monkeypatch.setenv(HISTORY_ENV, str(tmp_path / "h.sqlite"))
    for _ in range(2):  # built twice: still one night
        result = CliRunner().invoke(cli, ["report", "build", str(tmp_path / "r")])
        assert result.exit_code == 0, result.output
    store = open_history(tmp_path / "h.sqlite")
    [recorded] = store.nights()
    store.close()
    assert recorded.run_id == "emulator-seed5" and recorded.verdict == "PASSED" and recorded.groups == ()
    assert set(recorded.latency) == {"create", "fetch"} and recorded.pass_rate == 1.0
    assert "Across nights (1 recorded" in (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")


def test_two_runs_from_the_command_line_make_two_nights(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite"
    for seed in ("1", "2"):
        args = ["--report-dir", str(tmp_path / seed), "--cassette-dir", str(tmp_path / f"c{seed}")]
        result = CliRunner().invoke(cli, ["run", "--max-examples", "1", "--deterministic", "--seed", seed, *args,
                                          "--history", str(history)])  # fmt: skip
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["history", "--history", str(history)])
    assert result.exit_code == 0 and "2 night(s) recorded" in result.stdout
    assert "emulator-seed1" in result.stdout and "emulator-seed2" in result.stdout
    page = (tmp_path / "2" / "report.html").read_text(encoding="utf-8")
    assert "Across nights: 2 recorded" in page and "no failure group" in page.lower()
