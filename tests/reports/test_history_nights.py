"""Nights against the embedded emulator with a fault switched on and off by night: the history remembers.

Night 1 is faithful, nights 2-4 echo the wrong name back, night 5 is fixed. Each night's start is set to its date
(a fake clock: nothing sleeps). Red every faulty night, not only the first; the group is first seen on night 2,
persistent through night 4 and fixed on night 5.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from report_helpers import RunFactory, invoke, write_report
from test_report_html_browser import CHROMIUM, browse

from conformance.emulator.server import EmulatorServer
from conformance.kinds import family_of
from conformance.report import write_document
from conformance.report.diff import diff_runs, load_run
from conformance.report.document import headline
from conformance.report.gate import Policy, evaluate
from conformance.report.history import HistoryView, open_history, record_run
from conformance.report.history.record import night_of
from conformance.report.html import COPY_SCRIPT
from conformance.run.runner import Runner, plan_for
from conformance.send.targets import target_for
from conformance.settings import RunOptions

OPTIONS = RunOptions(seed=2202, max_examples=1, max_requests=None, rate=None)
FAULTY = {2, 3, 4}
ECHO = "request_echo: field name"  # the group's signature: check and cause (the digest's key)


def day(night: int) -> date:
    return date(2026, 12, night)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[int, dict[str, Any]]]]:
    """Five nights recorded into one history: (the history file, night -> its report directory and view)."""
    root = tmp_path_factory.mktemp("nights")
    history = root / "history.sqlite"
    out: dict[int, dict[str, Any]] = {}
    with EmulatorServer() as emulator:
        for night in range(1, 6):
            emulator.reset()
            if night in FAULTY:
                emulator.inject("not_echoed", None, field="name")
            target = target_for(emulator)
            runner = Runner(target, OPTIONS)
            try:
                result = runner.run(plan_for(target, OPTIONS), f"nightly-{night}")
            finally:
                runner.client.close()
            document = result.to_json()
            document["started_at"] = f"{day(night).isoformat()}T04:23:00Z"  # the night's clock
            store = open_history(history)
            try:
                write_document(document, root / f"night{night}", history=store)
                view = HistoryView.of(store)
            finally:
                store.close()
            out[night] = {"dir": root / f"night{night}", "document": document, "view": view}
    yield history, out


def test_red_on_every_faulty_night_not_only_the_first(nights: tuple[Path, dict[int, dict[str, Any]]]) -> None:
    _history, by_night = nights
    for night, seen in by_night.items():
        decision = evaluate(seen["document"], Policy(), day(night))
        assert decision.passed is (night not in FAULTY), (night, [d.line() for d in decision.decisions])
        assert headline(seen["document"]) == ("FAILED" if night in FAULTY else "PASSED")


def test_first_seen_on_night_two_persistent_then_fixed_on_night_five(
    nights: tuple[Path, dict[int, dict[str, Any]]],
) -> None:
    _history, by_night = nights
    assert by_night[1]["view"].groups == []
    statuses = {}
    for night in range(2, 6):
        group = by_night[night]["view"].group(ECHO)
        assert group is not None, [g.signature for g in by_night[night]["view"].groups]
        assert group.first_seen.day == "2026-12-02"
        statuses[night] = group.status
    assert statuses == {2: "new", 3: "persistent", 4: "persistent", 5: "fixed"}
    fixed = by_night[5]["view"].group(ECHO)
    assert fixed.last_seen.day == "2026-12-04" and fixed.nights_failing == 3 and fixed.window == 5
    assert fixed.strip == [False, True, True, True, False]


def test_summary_gives_each_group_its_nights(nights: tuple[Path, dict[int, dict[str, Any]]]) -> None:
    _history, by_night = nights
    summary = (by_night[4]["dir"] / "summary.md").read_text(encoding="utf-8")
    assert "persistent: failing 3 nights, since 2026-12-02 (3 of the last 4 nights)" in summary
    fixed = (by_night[5]["dir"] / "summary.md").read_text(encoding="utf-8")
    assert "fixed: last seen 2026-12-04" in fixed


def test_the_history_command_lists_groups_and_nights(nights: tuple[Path, dict[int, dict[str, Any]]]) -> None:
    history, _by_night = nights
    code, out, _err = invoke("history", "--history", str(history), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["nights_recorded"] == 5
    assert [n["verdict"] for n in data["nights"]] == ["PASSED", "FAILED", "FAILED", "FAILED", "PASSED"]
    assert all(set(n["latency"]) == {"create", "fetch"} for n in data["nights"])
    echo = next(g for g in data["groups"] if g["signature"] == ECHO)
    assert (echo["status"], echo["first_seen"], echo["last_seen"], echo["nights_failing"]) == (
        "fixed", "2026-12-02", "2026-12-04", 3)  # fmt: skip
    code, text, _err = invoke("history", "--history", str(history))
    assert code == 0 and "fixed: last seen 2026-12-04" in text and "nightly-3" in text
    code, md, _err = invoke("history", "--history", str(history), "--format", "md", "--nights", "2")
    assert code == 0 and "| fixed |" in md and "nightly-3" not in md and "nightly-4" in md


def test_a_failing_run_diffed_against_itself_is_no_change_still_failing(
    nights: tuple[Path, dict[int, dict[str, Any]]],
) -> None:
    _history, by_night = nights
    same = load_run(by_night[3]["dir"])
    assert diff_runs(same, same).state == "no change, still failing"
    code, out, _err = invoke("diff", str(by_night[3]["dir"]), str(by_night[3]["dir"]))
    assert code == 0 and "no change, still failing" in out and "no regression" not in out
    code, out, _err = invoke("diff", str(by_night[3]["dir"]), str(by_night[4]["dir"]), "--format", "json")
    assert json.loads(out)["state"] == "no change, still failing"
    assert diff_runs(load_run(by_night[1]["dir"]), load_run(by_night[5]["dir"])).state == "no regression"


def test_the_page_draws_the_strip_and_the_trends(nights: tuple[Path, dict[int, dict[str, Any]]]) -> None:
    _history, by_night = nights
    page = (by_night[5]["dir"] / "report.html").read_text(encoding="utf-8")
    assert 'id="history"' in page and 'id="chart-history-strip"' in page
    row = page[page.index(f'data-signature="{ECHO}"') :].split("</g>")[0]
    assert row.count('class="night failing"') == 3 and row.count('class="night clear"') == 2
    assert 'id="chart-history-create-latency"' in page and 'id="chart-history-fetch-latency"' in page
    assert page.count("<script") == 1 and f"<script>{COPY_SCRIPT}</script>" in page  # the copy buttons' only


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_history_section_in_a_real_browser(nights: tuple[Path, dict[int, dict[str, Any]]], tmp_path: Path) -> None:
    """What a person sees: the strip's row for the group, red on nights 2-4, and one line per route."""
    _history, by_night = nights
    dom = browse(by_night[5]["dir"] / "report.html", tmp_path / "profile", "--dump-dom").stdout
    strip = re.search(r'<svg id="chart-history-strip".*?</svg>', dom, re.S)
    assert strip, "the strip is not in the rendered DOM"
    row = re.search(rf'<g class="history-row" data-signature="{re.escape(ECHO)}" data-status="fixed">(.*?)</g>',
                    strip.group(0), re.S)  # fmt: skip
    assert row
    nights_drawn = re.findall(r'class="night (failing|clear)"[^>]*><title>(2026-12-0\d)', row.group(1))
    assert nights_drawn == [("clear", "2026-12-01"), ("failing", "2026-12-02"), ("failing", "2026-12-03"),
                            ("failing", "2026-12-04"), ("clear", "2026-12-05")]  # fmt: skip
    for route in ("create", "fetch"):
        plot = re.search(rf'<svg id="chart-history-{route}-latency".*?</svg>', dom, re.S)
        assert plot and plot.group(0).count("<polyline") == 3  # p50, p95, p99 across the five nights
    rate = re.search(r'<svg id="chart-history-pass-rate-judged-cases".*?</svg>', dom, re.S)
    assert rate and rate.group(0).count("<circle") == 5
    assert '<a href="#history">History</a>' in dom


def test_a_merged_run_is_recorded_as_one_night(make_run: RunFactory, tmp_path: Path) -> None:
    for index in (1, 2):
        write_report(make_run((("not_echoed", None, {"field": "name"}),), seed=31, max_examples=1, shard=(index, 2)),
                     tmp_path / f"shard{index}")  # fmt: skip
    history = tmp_path / "h.sqlite"
    code, out, err = invoke("report", "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"),
                            "--output", str(tmp_path / "merged"), "--history", str(history))  # fmt: skip
    assert code == 1, out + err  # the merged night is FAILED
    store = open_history(history)
    try:
        shard = json.loads((tmp_path / "shard1" / "results.json").read_text("utf-8"))
        assert record_run(store, shard) is None  # part of a run is not a night
        [merged] = store.nights()
    finally:
        store.close()
    assert merged.verdict == "FAILED" and ECHO in merged.failing
    assert (
        merged.counts["cases"]
        == json.loads((tmp_path / "merged" / "results.json").read_text("utf-8"))["counts"]["cases"]
    )
    assert f"{ECHO}" in (tmp_path / "merged" / "summary.md").read_text(encoding="utf-8").split("### Across nights")[1]


def test_each_group_keeps_the_families_it_failed_in_and_the_night_its_checks(
    nights: tuple[Path, dict[int, dict[str, Any]]],
) -> None:
    history, by_night = nights
    store = open_history(history)
    recorded = store.nights()
    store.close()
    [echo] = [g for g in recorded[1].groups if g.signature == ECHO]
    failed_in = {family_of(case["id"]) for case in by_night[2]["document"]["cases"]
                 if "request_echo" in case.get("failed_checks", ())}  # fmt: skip
    assert failed_in and set(echo.families) == failed_in
    assert recorded[1].checks is None and all(recorded[1].families[family] for family in failed_in)
    allow_listed = {**by_night[2]["document"], "policy": {"checks": ["request_echo", "status_code"]}}
    assert night_of(allow_listed).checks == ("request_echo", "status_code")
