"""`conformance gate RUN [--policy FILE]`: decisions with reasons, known issues, limits, bad policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_helpers import assert_one_clear_line, invoke, write_report

from conformance.judge.checks import CHECKS
from conformance.report.gate import load_policy

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_POLICY = ROOT / ".github" / "conformance-policy.toml"


def failing(directory: Path) -> dict[str, int]:
    document = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    return {name: row["failed"] for name, row in document["checks"].items() if row["failed"]}


def policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def known_issues(checks: Any, expires: str) -> str:
    return "".join(f'[[known_issues]]\ncheck = "{name}"\nreason = "ticket for {name}"\nexpires = {expires}\n\n'
                   for name in checks)  # fmt: skip


def gate(run: Path, *args: str) -> tuple[int, list[str]]:
    code, stdout, stderr = invoke("gate", str(run), *args)
    assert code in (0, 1), stdout + stderr
    return code, stdout.splitlines()


def test_default_policy_passes_a_clean_run_and_fails_each_failing_check(clean_dir: Path, faulty_dir: Path) -> None:
    code, lines = gate(clean_dir)
    assert code == 0 and lines[-1] == "gate PASSED"
    assert "under the default policy (no failure allowed)" in lines[0]
    code, lines = gate(faulty_dir)
    assert code == 1
    for name, count in failing(faulty_dir).items():
        assert f"  FAIL    check {name}: {count} failure(s), not a known issue" in lines
    assert lines[-1] == f"gate FAILED: {len(failing(faulty_dir))} blocking decision(s)"


def test_known_issues_excuse_their_checks_until_they_expire(faulty_dir: Path, tmp_path: Path) -> None:
    checks = failing(faulty_dir)
    code, lines = gate(faulty_dir, "--policy", str(policy(tmp_path, known_issues(checks, "2999-12-31"))))
    assert code == 0, lines
    for name in checks:
        assert any(line.startswith(f"  EXCUSED check {name}:") and f"ticket for {name}" in line for line in lines)
    code, lines = gate(faulty_dir, "--policy", str(policy(tmp_path, known_issues(checks, "2000-01-01"))))
    assert code == 1
    for name in checks:
        assert any(f"check {name}:" in line and "expired on 2000-01-01" in line and "no longer excuses" in line
                   for line in lines if line.startswith("  FAIL"))  # fmt: skip


def test_an_entry_excuses_through_its_expiry_day_and_not_after(faulty_dir: Path, tmp_path: Path) -> None:
    path = policy(tmp_path, known_issues(failing(faulty_dir), "2030-06-30"))
    assert gate(faulty_dir, "--policy", str(path), "--today", "2030-06-30")[0] == 0
    assert gate(faulty_dir, "--policy", str(path), "--today", "2030-07-01")[0] == 1


def test_only_the_excused_check_is_excused(faulty_dir: Path, tmp_path: Path) -> None:
    first, *others = failing(faulty_dir)
    code, lines = gate(faulty_dir, "--policy", str(policy(tmp_path, known_issues([first], "2999-12-31"))))
    assert code == 1 and lines[-1] == f"gate FAILED: {len(others)} blocking decision(s)"


def test_an_unused_known_issue_is_reported(clean_dir: Path, tmp_path: Path) -> None:
    code, lines = gate(clean_dir, "--policy", str(policy(tmp_path, known_issues(["read_back"], "2999-12-31"))))
    assert code == 0
    assert any(line.startswith("  INFO    known issue read_back: did not fail") for line in lines)


@pytest.mark.parametrize(
    ("limits", "blocking"),
    [
        ("max_warnings = 1000\nmin_cases = 10\nmax_p95_ms = 60000\n", None),
        ("max_warnings = 0\n", "max_warnings: {warnings} warning(s) > 0"),
        ("min_cases = 100000\n", "min_cases: {cases} judged case(s) < 100000"),
        ("max_p95_ms = 0.0001\n", "max_p95_ms: p95 {p95} ms > 0.0001 ms"),
        ("drift_blocks = true\n", "check undocumented_fields: {fields} drift warning(s) (metadata); drift_blocks"),
    ],
)
def test_limits(faulty_dir: Path, tmp_path: Path, limits: str, blocking: str | None) -> None:
    document = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    facts = {
        "warnings": document["counts"]["warnings"],
        "cases": document["counts"]["cases"],
        "p95": document["latency_ms"]["p95"],
        "fields": document["checks"]["undocumented_fields"]["warned"],
    }
    excused = known_issues(failing(faulty_dir), "2999-12-31")
    code, lines = gate(faulty_dir, "--policy", str(policy(tmp_path, limits + "\n" + excused)))
    fails = [line for line in lines if line.startswith("  FAIL")]
    if blocking is None:
        assert code == 0 and fails == []
    else:
        assert code == 1 and any(blocking.format(**facts) in line for line in fails), lines


def test_drift_blocks_can_be_excused_by_a_known_issue_for_the_drift_check(faulty_dir: Path, tmp_path: Path) -> None:
    drift = ["undocumented_fields", "undocumented_enum_values", "undocumented_headers"]
    text = "drift_blocks = true\n" + known_issues([*failing(faulty_dir), *drift], "2999-12-31")
    code, lines = gate(faulty_dir, "--policy", str(policy(tmp_path, text)))
    assert code == 0, lines
    assert any(line.startswith("  EXCUSED check undocumented_headers: 1 drift warning(s)") for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_warnings = 3\nmin_cases = = 2\n", "not valid TOML: Invalid value (at line 2, column 13)"),
        ("max_warnings = 3\n\nmax_warning = 4\n", "line 3: unknown key 'max_warning'"),
        ("min_cases = -1\n", "line 1: min_cases must be a whole number >= 0, got -1"),
        ("max_warnings = 'ten'\n", "line 1: max_warnings must be a whole number >= 0, got 'ten'"),
        ("drift_blocks = 'yes'\n", "line 1: drift_blocks must be true or false"),
        ("max_p95_ms = 0\n", "line 1: max_p95_ms must be a number of milliseconds > 0"),
        (
            '[[known_issues]]\ncheck = "read_back"\nreason = "r"\nexpires = 2026-01-01\n\n'
            '[[known_issues]]\ncheck = "no_such_check"\nreason = "r"\nexpires = 2026-01-01\n',
            "line 7: known_issues[1].check 'no_such_check' is not a check name",
        ),
        (
            '[[known_issues]]\ncheck = "read_bak"\nreason = "r"\nexpires = 2026-01-01\n',
            "line 2: known_issues[0].check 'read_bak' is not a check name (did you mean read_back?)",
        ),
        (
            '[[known_issues]]\ncheck = "read_back"\nreason = "r"\nexpires = "soon"\n',
            "line 4: known_issues[0].expires must be a date such as 2026-12-31, got 'soon'",
        ),
        ('[[known_issues]]\ncheck = "read_back"\nexpires = 2026-01-01\n', "line 1: known_issues[0]: missing 'reason'"),
        (
            '[[known_issues]]\ncheck = "read_back"\nreason = "r"\nexpires = 2026-01-01\nowner = "me"\n',
            "line 5: known_issues[0]: unknown key 'owner'",
        ),
        ("[limits]\nmax_warnings = 3\n", "line 1: unknown key 'limits'"),
        ("min_family_coverage = 1.5\n", "line 1: min_family_coverage must be a share > 0 and <= 1"),
        ("max_warnings = 1\nmin_family_coverage = 0\n", "line 2: min_family_coverage must be a share > 0 and <= 1"),
        ('intermittent_fails = "no"\n', "line 1: intermittent_fails must be true or false, got 'no'"),
        # checked by schemas/gate-policy.schema.json: a wrong type, an unknown key, a missing key, one line each
        ("max_warnings = true\n", "line 1: max_warnings must be a whole number >= 0, got True"),
        ("min_cases = 2\nknown_issues = 3\n", "line 2: known_issues must be [[known_issues]] tables, got 3"),
        (
            '[[known_issues]]\ncheck = "read_back"\nreason = 7\nexpires = 2026-01-01\n',
            "line 3: known_issues[0].reason must be a non-empty string, got 7",
        ),
        (
            '[[known_issues]]\ncheck = "read_back"\nreason = "r"\nexpires = 2026-01-01\ngroups = "x"\n',
            "line 5: known_issues[0]: unknown key 'groups' (known: check, reason, expires, group)",
        ),
        (
            'max_warnings = 1\n[[known_issues]]\nreason = "r"\nexpires = 2026-01-01\n',
            "line 2: known_issues[0]: missing 'check'",
        ),
    ],
)
def test_a_bad_policy_is_one_line_with_its_line_number_and_exit_2(clean_dir: Path, tmp_path: Path, text: str,
                                                                  expected: str) -> None:  # fmt: skip
    path = policy(tmp_path, text)
    code, stdout, stderr = invoke("gate", str(clean_dir), "--policy", str(path))
    assert_one_clear_line(code, stdout, stderr, f"conformance gate: {path}", expected)


def test_missing_inputs_are_exit_2(clean_dir: Path, tmp_path: Path) -> None:
    code, stdout, stderr = invoke("gate", str(tmp_path / "no-such-run"))
    assert_one_clear_line(code, stdout, stderr, "RUN:", "no-such-run does not exist")
    code, stdout, stderr = invoke("gate", str(tmp_path))
    assert_one_clear_line(code, stdout, stderr, "RUN:", "has no results.json")
    code, stdout, stderr = invoke("gate", str(clean_dir), "--policy", str(tmp_path / "nope.toml"))
    assert_one_clear_line(code, stdout, stderr, "nope.toml: policy file does not exist")


def test_the_shipped_policy_loads_and_judges_a_run(make_run: Any, tmp_path: Path) -> None:
    shipped = load_policy(SHIPPED_POLICY, frozenset(CHECKS))
    assert shipped.drift_blocks and shipped.min_cases > 0 and shipped.max_p95_ms
    write_report(make_run(shard=(1, 2)), tmp_path)  # half of the tests' small run: surely too small to ship
    code, lines = gate(tmp_path, "--policy", str(SHIPPED_POLICY))
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["counts"]["cases"] < shipped.min_cases
    failing = [line for line in lines if line.startswith("  FAIL")]
    assert code == 1 and "  FAIL    shards: incomplete shard set: 1/2 without 2/2" in failing
    assert any(line.startswith("  FAIL    min_cases: ") and f"judged case(s) < {shipped.min_cases}" in line
               for line in failing)  # fmt: skip
    # a cross-account read whose conversation the other shard created is not run, so its family goes unjudged
    assert [line.split(":")[0] for line in failing] == ["  FAIL    coverage", "  FAIL    shards", "  FAIL    min_cases"]
    assert any(line.startswith("  PASS    max_p95_ms") for line in lines)


def test_the_readme_policy_example_is_a_valid_policy(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- reports:start -->", 1)[1].split("<!-- reports:end -->", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    loaded = load_policy(policy(tmp_path, example), frozenset(CHECKS))
    assert loaded.max_warnings == 25 and loaded.drift_blocks and loaded.min_cases == 200
    assert [issue.check for issue in loaded.known_issues] == ["error_code_conformance"]


def test_a_known_issue_may_name_a_check_the_run_left_out(clean_dir: Path, tmp_path: Path) -> None:
    """A run with --checks lists only the checks it ran; the gate still knows the others (from the registry)."""
    document = json.loads((clean_dir / "results.json").read_text(encoding="utf-8"))
    del document["checks"]["read_back"]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text(json.dumps(document), encoding="utf-8")
    text = known_issues(["read_back"], "2999-12-31")
    code, lines = gate(tmp_path / "run", "--policy", str(policy(tmp_path, text)))
    assert code in (0, 1) and not any("is not a check name" in line for line in lines), lines
    code, stdout, stderr = invoke("gate", str(tmp_path / "run"), "--policy",
                                  str(policy(tmp_path, known_issues(["read_bak"], "2999-12-31"))))  # fmt: skip
    assert_one_clear_line(code, stdout, stderr, "'read_bak' is not a check name (did you mean read_back?)")
