"""A known issue may name one failure group (its signature), so excusing one vendor bug hides no other failure
of the same check."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conformance.report.digest import build_digest
from conformance.report.gate import CheckNames, PolicyError, evaluate, load_policy

SERVER_ERROR = "no_server_error: expected 201, got 500"  # the faulty run's one 500 (report_helpers.FAULTS)


def policy_for(tmp_path: Path, faulty_dir: Path, *entries: tuple[str, str | None, str]) -> tuple[dict, object]:
    document = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    text = "".join(
        f'[[known_issues]]\ncheck = "{check}"\nreason = "vendor ticket CX-1"\nexpires = {expires}\n'
        + (f'group = "{group}"\n' if group else "")
        for check, group, expires in entries
    )
    (tmp_path / "policy.toml").write_text(text, encoding="utf-8")
    return document, load_policy(tmp_path / "policy.toml", CheckNames(document["checks"]))


def decision(document: dict, policy: object, check: str) -> tuple[str, str]:
    found = next(d for d in evaluate(document, policy, date(2026, 12, 7)).decisions if d.subject == f"check {check}")
    return found.verdict, found.reason


def test_the_named_group_is_excused(faulty_dir: Path, tmp_path: Path) -> None:
    document, policy = policy_for(tmp_path, faulty_dir, ("no_server_error", SERVER_ERROR, "2999-12-31"))
    assert [g.key for g in build_digest(document).groups if g.check == "no_server_error"] == [SERVER_ERROR]
    verdict, reason = decision(document, policy, "no_server_error")
    assert verdict == "excused" and f"{SERVER_ERROR} until 2999-12-31 (vendor ticket CX-1)" in reason


def test_another_group_of_the_same_check_stays_red(faulty_dir: Path, tmp_path: Path) -> None:
    other = "no_server_error: expected 400, got 500"
    document, policy = policy_for(tmp_path, faulty_dir, ("no_server_error", other, "2999-12-31"))
    verdict, reason = decision(document, policy, "no_server_error")
    assert verdict == "fail" and reason.endswith(f"not a known issue: {SERVER_ERROR}")
    assert not evaluate(document, policy, date(2026, 12, 7)).passed


def test_an_expired_group_no_longer_excuses(faulty_dir: Path, tmp_path: Path) -> None:
    document, policy = policy_for(tmp_path, faulty_dir, ("no_server_error", SERVER_ERROR, "2026-12-06"))
    verdict, reason = decision(document, policy, "no_server_error")
    assert verdict == "fail" and f"{SERVER_ERROR} (its known issue expired)" in reason


def test_a_group_of_another_check_is_refused(faulty_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"line 5: known_issues\[0\]\.group must be a failure group of read_back"):
        policy_for(tmp_path, faulty_dir, ("read_back", SERVER_ERROR, "2999-12-31"))
