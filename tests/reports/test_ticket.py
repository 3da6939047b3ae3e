"""``conformance ticket``: one failure group as self-contained evidence for the vendor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_helpers import RunFactory, invoke, write_report

from conformance.report.history import open_history, record_run
from conformance.report.ticket import file_stem


@pytest.fixture(scope="module")
def lenient_dir(make_run: RunFactory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run against an emulator that accepts requests breaking the schema and echoes a wrong name."""
    directory = tmp_path_factory.mktemp("lenient")
    write_report(make_run((("lenient_enums", None, {}), ("not_echoed", None, {"field": "name"}))), directory)
    return directory


def ticket(directory: Path, group: str, *extra: str) -> tuple[str, dict[str, Any]]:
    code, out, err = invoke("ticket", str(directory), group, *extra)
    assert code == 0, out + err
    stem = out.rsplit("): ", 1)[1].split(", ")[0].removesuffix(".md")
    return Path(stem + ".md").read_text(encoding="utf-8"), json.loads(Path(stem + ".json").read_text("utf-8"))


def test_an_accepted_invalid_enum_cites_the_request_rule_and_the_exchange(lenient_dir: Path) -> None:
    document = json.loads((lenient_dir / "results.json").read_text(encoding="utf-8"))
    text, data = ticket(lenient_dir, "negative_data_rejection: expected 400, got 201")
    rule = data["docs"][0]
    assert rule["member"].startswith("request participants[].") and "(enum)" in rule["member"]
    assert rule["source"].startswith("child-properties.md#") and rule["states"].startswith("enum ")
    example = data["example"]
    failures = [f for f in document["failures"] if f["check"] == "negative_data_rejection"]
    smallest = min(len(f["request"]["body"] or "") + len(f["response"]["body"] or "") for f in failures)
    assert len(example["request"]["body"]) + len(example["response"]["body"]) == smallest
    assert example["curl"].startswith("curl ") and example["curl"] in text
    assert data["run"]["run_id"] == document["run_id"] and document["run_id"] in text
    assert "No history was given" in text and data["request_id"] is None
    assert "s3cr3t" not in text and "Authorization" not in text


def test_an_echo_failure_cites_both_sides_and_its_nights(lenient_dir: Path, tmp_path: Path) -> None:
    document = json.loads((lenient_dir / "results.json").read_text(encoding="utf-8"))
    store = open_history(tmp_path / "h.sqlite")
    try:
        record_run(store, document)
    finally:
        store.close()
    text, data = ticket(lenient_dir, "request_echo: field n", "--history", str(tmp_path / "h.sqlite"))
    assert [d["member"] for d in data["docs"]] == ["response name", "request name"]
    assert "create-conversation.page.txt#Request name" in text
    assert data["history"]["status"] == "new" and data["history"]["first_seen"] == document["started_at"][:10]
    assert "failing 1 night" in text


def test_the_vendor_request_id_is_quoted_when_the_response_had_one(lenient_dir: Path, tmp_path: Path) -> None:
    document = json.loads((lenient_dir / "results.json").read_text(encoding="utf-8"))
    for failure in document["failures"]:  # as a live answer would carry it
        failure["response"]["headers"]["Twilio-Request-Id"] = "RQ" + "0" * 32
    (tmp_path / "results.json").write_text(json.dumps(document), encoding="utf-8")
    text, data = ticket(tmp_path, "1")
    assert data["request_id"] == {"header": "Twilio-Request-Id", "value": "RQ" + "0" * 32}
    assert "`Twilio-Request-Id` `RQ" in text
    assert (tmp_path / f"{file_stem(data['signature'])}.md").is_file()


def test_an_unknown_group_or_run_is_one_clear_line(lenient_dir: Path, tmp_path: Path) -> None:
    code, _out, err = invoke("ticket", str(lenient_dir), "no_such_check")
    assert code == 2 and "matches none of the run's groups (1: " in err and len(err.strip().splitlines()) == 1
    code, _out, err = invoke("ticket", str(tmp_path / "missing"), "1")
    assert code == 2 and "does not exist" in err
    code, _out, err = invoke("ticket", str(lenient_dir), "1", "--history", str(tmp_path / "none.sqlite"))
    assert code == 2 and "no history there" in err
