"""A failing run understood in one screen: the digest (groups, counts, order, new/known/fixed), and an
incomplete shard set that says so."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from report_helpers import Fault, RunFactory, invoke, write_report

from conformance.report.digest import (
    LISTED_FAILURES,
    SEVERITY_ORDER,
    _groups,
    build_digest,
    explained,
    failure_path,
    highlighted,
    request_size,
)
from conformance.report.html import render_html
from conformance.report.summary import render_summary

OTHER_ACCOUNT = "AC" + "ab" * 16
# Every created conversation names another account; every invalid request is created; one 500.
TRIAGE_FAULTS: tuple[Fault, ...] = (
    ("wrong_account", None, {"account": OTHER_ACCOUNT}),
    ("accept_invalid", None, {}),
    ("status_500", 1, {}),
)


@pytest.fixture(scope="module")
def triage(make_run: RunFactory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return write_report(make_run(TRIAGE_FAULTS), tmp_path_factory.mktemp("triage"))


@pytest.fixture(scope="module")
def baseline(make_run: RunFactory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Last night: the account was wrong, and every 401 carried another code than the one the docs state."""
    faults: tuple[Fault, ...] = (TRIAGE_FAULTS[0], ("error_code", None, {"status": 401, "code": 20999}))
    return write_report(make_run(faults), tmp_path_factory.mktemp("baseline"))


def failing_cases(document: dict[str, Any], check: str) -> set[str]:
    return {c["id"] for c in document["cases"] if check in c["failed_checks"]}


def test_the_digest_groups_by_check_and_cause_counts_cases_and_puts_the_most_serious_first(
    triage: dict[str, Any],
) -> None:
    digest = build_digest(triage)
    by_key = {group.key: group for group in digest.groups}
    # Every created conversation: one group, whatever the case, counted in cases.
    account = by_key["account_identity: field accountId"]
    assert set(account.cases) == failing_cases(triage, "account_identity") and len(account.cases) > 50
    assert all(f["message"].startswith(f'accountId is "{OTHER_ACCOUNT}"') for f in account.failures)
    # Every invalid request created: one group by its status pair.
    rejected = by_key["negative_data_rejection: expected 400, got 201"]
    assert set(rejected.cases) == failing_cases(triage, "negative_data_rejection") and len(rejected.cases) > 50
    # The one 500: its own group, and the most serious.
    assert digest.groups[0].key == "no_server_error: expected 201, got 500" and len(digest.groups[0].cases) == 1
    # Most serious check first, then the biggest group; every failure in exactly one group.
    rank = {name: i for i, name in enumerate(SEVERITY_ORDER)}
    order = [(rank[g.check], -len(g.cases)) for g in digest.groups]
    assert order == sorted(order)
    assert sum(len(g.failures) for g in digest.groups) == len(triage["failures"])
    assert digest.failing_cases == len({f["case"] for f in triage["failures"]})
    assert len(digest.groups) <= 6  # hundreds of failures, a handful of causes


def test_summary_opens_with_the_digest_in_one_unit(triage: dict[str, Any]) -> None:
    summary = render_summary(triage)
    head, _, rest = summary.partition("### Checks")
    digest = build_digest(triage)
    assert f"### What is failing: {digest.failing_cases} of {triage['counts']['cases']} cases, in " in head
    rows = [line for line in head.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(digest.groups)
    for row, group in zip(rows, digest.groups, strict=True):
        assert f"`{group.check}`" in row and row.endswith(f"| {len(group.cases)} |")
    assert "- " + '  "accountId": ' + json.dumps(OTHER_ACCOUNT) in head  # the offending member, marked
    assert "conformance reproduce DIR " in head  # an emulator run: its emulator is gone, reproduce re-sends
    assert "#### 1. `no_server_error`" in head and "What is failing" not in rest


def test_report_html_puts_the_digest_first_with_request_beside_the_highlighted_response(
    triage: dict[str, Any],
) -> None:
    page = render_html(triage)
    main = page[page.index("<main>") :]
    assert main.index('<section id="digest"') < main.index("<nav>") < main.index('<section id="failures"')
    digest = build_digest(triage)
    assert main.count('<article class="group"') == len(digest.groups)
    assert f"<mark>  &#34;accountId&#34;: &#34;{OTHER_ACCOUNT}&#34;,</mark>" in main
    account = next(g for g in digest.groups if g.check == "account_identity")
    for case, anchor in account.more_cases:  # the rest of the group, one link each, to its card
        assert f'href="#{anchor}">{case}</a>' in main and f'id="{anchor}"' in main


def test_a_baseline_marks_groups_new_or_known_and_lists_the_fixed(
    triage: dict[str, Any], baseline: dict[str, Any]
) -> None:
    digest = build_digest(triage, baseline)
    status = {group.key: group.status for group in digest.groups}
    assert status["account_identity: field accountId"] == "known"
    assert status["negative_data_rejection: expected 400, got 201"] == "new"
    assert Counter(status.values())["known"] == 1
    before = {group.key for group in build_digest(baseline).groups}
    assert {g["key"] for g in digest.fixed} == before - set(status) and digest.fixed
    summary = render_summary(triage, baseline)
    assert f"Against the baseline run `{baseline['run_id']}`: " in summary and "| **new** |" in summary
    assert "Fixed since the baseline: " in summary
    assert "`conformance diff` against it: **regressed**: check " in summary  # the nightly's verdict, same code
    page = render_html(triage, baseline)
    assert 'data-status="new"' in page and 'data-status="known"' in page and 'id="digest-fixed"' in page


def test_report_render_takes_a_baseline(triage: dict[str, Any], baseline: dict[str, Any], tmp_path: Path) -> None:
    for name, document in (("new", triage), ("old", baseline)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(document), encoding="utf-8")
    code, stdout, stderr = invoke("report", "render", str(tmp_path / "new"), "--baseline", str(tmp_path / "old"))
    assert code == 0, stdout + stderr
    assert "| **new** |" in (tmp_path / "new" / "summary.md").read_text(encoding="utf-8")


def test_messages_name_the_member_and_redaction_collapse_is_explained() -> None:
    assert failure_path({"message": 'participants[2].accountId is null, the conversation\'s accountId is "AC1"'}) == (
        "participants[2].accountId"
    )
    assert failure_path({"message": "fetched conversation differs from the created one: status: created"}) == "status"
    assert failure_path({"message": 'name sent "a", got "b"'}) == "name"
    placeholder = json.dumps("AC" + "0" * 31 + "1")
    collapsed = explained(f"accountId sent {placeholder}, got {placeholder}")
    assert "differ before redaction" in collapsed
    visible = 'name sent "Zoë", got "Zoë" (same text in another Unicode normalisation form)'
    assert explained(visible) == visible


def test_highlighting_marks_the_member_and_keeps_the_rest() -> None:
    body = json.dumps({"id": "c1", "participants": [{"name": "a"}, {"name": "b", "addresses": [{"x": 1}]}]})
    lines = highlighted(body, "participants[1].addresses")
    marked = [line for line, hit in lines if hit]
    assert marked[0].strip().startswith('"addresses": [') and marked[-1].strip() == "]"
    assert "\n".join(line for line, _hit in lines) == json.dumps(json.loads(body), indent=2)
    assert not any(hit for _line, hit in highlighted(body, "participants[5].name"))  # absent: nothing marked
    assert highlighted("<html>", "name") == [("<html>", False)]


def test_a_merge_of_an_incomplete_shard_set_says_so_and_the_gate_fails_it(make_run: RunFactory, tmp_path: Path) -> None:
    write_report(make_run(shard=(1, 2), max_examples=1), tmp_path / "shard-1")
    code, stdout, stderr = invoke("report", "merge", str(tmp_path / "shard-1"), "--output", str(tmp_path / "merged"))
    assert code == 3, stdout + stderr  # the merged run is INCOMPLETE: shard 2's families were never seen
    assert "INCOMPLETE shard set: 1/2 without 2/2" in stderr and stdout.startswith("INCOMPLETE: ")
    code, stdout, _stderr = invoke("gate", str(tmp_path / "merged"))
    assert code == 1 and "incomplete shard set: 1/2 without 2/2" in stdout


def test_each_groups_example_is_its_smallest_request_ties_by_plan_order(make_run: RunFactory) -> None:
    """Every participant name comes back changed: the example is the case with the smallest request, not the
    first (a 5,000-character name would be), and the first of equal ones; kept with the group's share too."""
    document = make_run((("append_to_names", None, {}),)).to_json()
    for listed in (LISTED_FAILURES, 3):
        for group in _groups(document, listed):
            mine = [(request_size(f), i) for i, f in enumerate(document["failures"]) if f["case"] in group.case_ids
                    and f["check"] == group.check]  # fmt: skip
            size, index = min(mine)
            assert request_size(group.representative) == size
            assert group.representative is document["failures"][index] and group.anchors[0] == f"failure-{index}"
            assert len(group.failures) <= max(1, listed)
    echo = next(g for g in _groups(document) if g.check == "request_echo")
    assert len(echo.cases) > 5 and not echo.representative["case"].startswith("valid/strings/")
