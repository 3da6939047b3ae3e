"""`conformance diff OLD NEW`: newly failing and passing checks, new drift, lost fields, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from report_helpers import assert_one_clear_line, invoke, write_report

from conformance.record.results import RunResult


def diff_json(old: Path, new: Path) -> tuple[int, dict[str, Any]]:
    code, stdout, stderr = invoke("diff", str(old), str(new), "--format", "json")
    assert code in (0, 1), stderr
    return code, json.loads(stdout)


def test_a_run_against_itself_has_no_changes(clean_dir: Path) -> None:
    code, result = diff_json(clean_dir, clean_dir)
    assert code == 0 and not result["regressed"]
    changed = ("newly_failing", "newly_passing", "new_failures", "fields_added", "fields_removed", "regressions")
    assert all(result[key] == [] for key in changed) and result["drift_added"] == {}


def test_newly_failing_checks_new_failures_and_new_drift_are_a_regression(clean_dir: Path, faulty_dir: Path) -> None:
    code, result = diff_json(clean_dir, faulty_dir)
    faulty = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    failing = {name for name, row in faulty["checks"].items() if row["failed"]}
    assert code == 1 and result["regressed"]
    assert {item["check"] for item in result["newly_failing"]} == failing
    assert all(item["previously"] == "passed" for item in result["newly_failing"])
    assert {(i["check"], i["group"]) for i in result["new_failures"]} == {
        (f["check"], f["case"].rsplit("/", 1)[0]) for f in faulty["failures"]}  # fmt: skip
    assert result["drift_added"] == {"fields": ["metadata"], "enum_values": ["status=ARCHIVED"],
                                     "headers": ["x-emulator-extra"]}  # fmt: skip
    assert "metadata" in result["fields_added"] and result["documented_fields_removed"] == []
    assert result["status_codes"]["500"] == [0, 1]


def test_the_way_back_is_newly_passing_and_not_a_regression(clean_dir: Path, faulty_dir: Path) -> None:
    code, result = diff_json(faulty_dir, clean_dir)
    assert code == 0 and not result["regressed"]
    assert {i["check"] for i in result["newly_passing"]} == {i["check"] for i in diff_json(clean_dir, faulty_dir)[1]
                                                             ["newly_failing"]}  # fmt: skip
    assert result["drift_gone"]["fields"] == ["metadata"] and result["resolved_failures"]


def test_a_documented_field_that_disappears_is_a_regression(make_run: Any, clean_dir: Path, tmp_path: Path) -> None:
    # the vendor stops sending updatedAt: the diff names the path it lost
    lost: RunResult = make_run((("missing_field", None, {"field": "updatedAt"}),))
    write_report(lost, tmp_path)
    code, result = diff_json(clean_dir, tmp_path)
    assert code == 1
    assert result["documented_fields_removed"] == ["updatedAt"]
    assert any("documented response field updatedAt" in reason for reason in result["regressions"])


def test_a_lost_field_alone_is_a_regression_even_when_no_check_notices(clean_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(clean_dir, tmp_path / "new")
    document = json.loads((tmp_path / "new" / "results.json").read_text(encoding="utf-8"))
    document["observed_fields"].remove("participants[].addresses[].channelId")
    (tmp_path / "new" / "results.json").write_text(json.dumps(document), encoding="utf-8")
    code, result = diff_json(clean_dir, tmp_path / "new")
    assert code == 1 and result["newly_failing"] == []
    assert result["documented_fields_removed"] == ["participants[].addresses[].channelId"]


def cassette(directory: Path, body: dict[str, Any], headers: dict[str, list[str]]) -> None:
    """A vcrpy cassette with one create interaction."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "http://127.0.0.1/v2/Conversations", "body": "{}", "headers": {}},
        "response": {"status": {"code": 201, "message": "Created"}, "headers": headers,
                     "body": {"string": json.dumps(body)}},
    }]}  # fmt: skip
    (directory / "run.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_cassettes_add_field_paths_and_header_names(clean_dir: Path, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(clean_dir, old)
    shutil.copytree(clean_dir, new)
    cassette(old / "cassettes", {"id": "c1", "configuration": {"displayName": "x"}}, {"X-Old-Trace": ["1"]})
    cassette(new / "cassettes", {"id": "c1", "configuration": {"displayName": "x", "tier": "gold"}},
             {"X-New-Trace": ["1"]})  # fmt: skip
    code, result = diff_json(old, new)
    assert result["new"]["cassettes"] == str(new / "cassettes")
    assert result["fields_added"] == ["configuration.tier"]
    assert result["headers_added"] == ["x-new-trace"] and result["headers_removed"] == ["x-old-trace"]
    assert code == 0  # an added field is drift, not a regression


def test_markdown_output_to_a_file(clean_dir: Path, faulty_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "diff.md"
    code, stdout, _stderr = invoke("diff", str(clean_dir), str(faulty_dir), "--output", str(out))
    assert code == 1 and "regressed" in stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## Conformance diff: ❌ REGRESSED")
    assert "### Newly failing checks" in text and "| `no_server_error` | 1 | passed |" in text
    assert "### Latency (ms)" in text and "| p95 |" in text and "### Status codes" in text


@pytest.mark.parametrize("broken", ["missing", "not_json", "not_results", "bad_cassette"])
def test_unreadable_input_is_one_line_naming_the_file_and_exit_2(clean_dir: Path, tmp_path: Path,
                                                                 broken: str) -> None:  # fmt: skip
    new = tmp_path / "new"
    if broken != "missing":
        shutil.copytree(clean_dir, new)
    if broken == "not_json":
        (new / "results.json").write_text("{nope", encoding="utf-8")
    elif broken == "not_results":
        (new / "results.json").write_text('{"target": "emulator"}', encoding="utf-8")
    elif broken == "bad_cassette":
        (new / "cassettes").mkdir()
        (new / "cassettes" / "x.yaml").write_text("interactions: [unclosed", encoding="utf-8")
    code, stdout, stderr = invoke("diff", str(clean_dir), str(new))
    expected = str(new / "cassettes" / "x.yaml") if broken == "bad_cassette" else str(new)
    assert_one_clear_line(code, stdout, stderr, "conformance diff:", expected)
