"""results.json is described exactly by schemas/report.schema.json, for real runs and edge cases alike."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from report_helpers import invoke

from conformance.contract.schema_reader import SchemaKeywordError, compile_schema
from conformance.contract.schemas import load_contract
from conformance.judge.coverage import Confirmation, Verdict
from conformance.judge.verdicts import CaseResult, CheckResult
from conformance.kinds import AuthMode, CaseKind, CaseOutcome, CredentialForm, values
from conformance.plan.cases import Case
from conformance.record.results import RunResult
from conformance.report import FORMATS, write_all
from conformance.report.document import ReportInputError, load_results, schema_problem
from conformance.send.exchange import Exchange

SECRET = "pa55-w0rd-that-must-not-leak"


def strict(schema: Any) -> Any:
    """The schema with every described object closed: a key the schema does not name is an error."""
    if isinstance(schema, dict):
        closed = {key: strict(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def problems(document: dict[str, Any]) -> list[str]:
    schema = strict(load_contract().schema("report.schema.json"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def edge_run() -> RunResult:
    """A run built by hand with every kind of case outcome, a recorded failure and a secret echoed back."""
    sent = Exchange(
        "POST",
        "http://127.0.0.1:9/v2/Conversations",
        {"content-type": "application/json"},
        b'{"configurationId": "c"}',
        "valid",
        500,
        {"content-type": "application/json"},
        f'{{"message": "boom {SECRET}"}}'.encode(),
        12.5,
        cassette="run/cassette.yaml",
        interaction=3,
    )
    throttled = Exchange(
        "POST", "http://127.0.0.1:9/v2/Conversations", {}, b"{}", "valid", 429, {}, b"", 3.0, attempts=3
    )
    lost = Exchange("POST", "http://127.0.0.1:9/v2/Conversations", {}, b"{}", "none", None, error="refused")
    cases = [
        CaseResult(Case("valid/0000", "valid", "valid: generated", {"configurationId": "c"}), "failed", sent,
                   checks=[CheckResult("no_server_error", "fail", "failed", f"got 500 ({SECRET})"),
                           CheckResult("undocumented_headers", "warn", "warned", "undocumented response headers: x-a",
                                       ("x-a",)),
                           CheckResult("request_echo", "fail", "skipped")]),
        CaseResult(Case("valid/0001", "valid", "valid: generated", {}), "inconclusive", throttled,
                   reason="still 429 after 3 attempts"),
        CaseResult(Case("auth/none", "auth", "credentials: none", {}, auth="none"), "inconclusive", lost,
                   reason="no answer: refused"),
        CaseResult(Case("auth/wrong_secret", "auth", "credentials: wrong secret", {}), "not_run",
                   reason="request budget spent"),
    ]  # fmt: skip
    return RunResult(run_id="edge", target="live", base_url="http://127.0.0.1:9", seed=5, max_examples=1,
                     started_at="2026-11-24T10:00:00Z", finished_at="2026-11-24T10:00:01Z", duration_s=1.0,
                     interrupted=True, requests=6, cases=cases,
                     check_names={"no_server_error": ("fail", "No 500."), "request_echo": ("fail", "Echo.")},
                     observed_fields={"id"}, cassette_dir="cassettes/edge")  # fmt: skip


def test_real_runs_validate_against_the_report_schema(clean_dir: Path, faulty_dir: Path) -> None:
    for directory in (clean_dir, faulty_dir):
        document = json.loads((directory / "results.json").read_text(encoding="utf-8"))
        assert problems(document) == []
    faulty = json.loads((faulty_dir / "results.json").read_text(encoding="utf-8"))
    assert faulty["failures"] and faulty["warnings"] and all(f["curl"] for f in faulty["failures"])


def test_edge_cases_validate_and_secrets_reach_no_report_file(tmp_path: Path) -> None:
    written = write_all(edge_run(), tmp_path, (SECRET,))
    assert sorted(p.name for p in written) == sorted(["results.json", *FORMATS])
    document = load_results(tmp_path)
    assert problems(document) == []
    assert document["counts"] == {"requests": 6, "cases": 4, "failures": 1, "warnings": 1, "inconclusive": 2,
                                       "not_run": 1, "not_drawn": 0, "passed_cases": 0}  # fmt: skip
    assert document["latency_ms"]["count"] == 2  # the unanswered request has no latency
    assert document["failures"][0]["cassette"] == "run/cassette.yaml" and document["failures"][0]["interaction"] == 3
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text, path.name
        assert "authorization" not in text.lower(), path.name


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["counts"].pop("failures"), "counts"),
        (lambda d: d.update(seed="7"), "seed"),
        (lambda d: d["failures"].append({"check": "x", "severity": "fail", "message": "m"}), "failures/0"),
        (lambda d: d.update(verdict="maybe"), "verdict"),
        (lambda d: d["cases"][0].update(surprise=1), "cases/0"),
        (lambda d: d.update(started_at="yesterday"), "started_at"),
    ],
)
def test_the_schema_rejects_what_results_json_never_holds(clean_dir: Path, mutate: Any, where: str) -> None:
    document = copy.deepcopy(json.loads((clean_dir / "results.json").read_text(encoding="utf-8")))
    mutate(document)
    found = problems(document)
    assert found and any(p.startswith(where) for p in found), found


BREAKAGES: list[Any] = [
    lambda d: d["counts"].pop("failures"),
    lambda d: d.update(seed="7"),
    lambda d: d.update(seed=True),
    lambda d: d.update(seed=7.0),  # JSON Schema: a whole float is an integer
    lambda d: d.update(format=True),
    lambda d: d.update(format=1.0),
    lambda d: d.update(verdict="maybe"),
    lambda d: d.update(run_id=""),
    lambda d: d.update(max_examples=0),
    lambda d: d.update(duration_s=-0.5),
    lambda d: d.update(time_budget_s=0),
    lambda d: d.update(started_at="yesterday"),
    lambda d: d.update(started_at="2026-02-30T10:00:00Z"),
    lambda d: d.update(started_at="2026-11-24t10:00:00.5z"),
    lambda d: d.update(finished_at=""),
    lambda d: d.update(shard=3),
    lambda d: d.update(policy={"severities": {"read_back": "maybe"}}),
    lambda d: d["failures"].append({"check": "x", "severity": "fail", "message": "m"}),
    lambda d: d["cases"][0].update(status="x"),
    lambda d: d["cases"][0].update(credentials="neither"),
    lambda d: d["cases"][-1].update(kind="other"),
    lambda d: d["status_codes"].update({"600": 1}),
    lambda d: d["status_codes"].update({"200": -1}),
    lambda d: d["created_conversations"].extend(["a", "a"]),
    lambda d: d["latency_ms"].pop("p50"),
    lambda d: d.update(latency_ms={"count": 0}),
    lambda d: d["checks"].update(read_back={"severity": "fail"}),
    lambda d: d["undocumented"].update(headers=[1]),
    lambda d: d.update(cases={}),
    lambda d: d.update(tool=None),
]


@pytest.mark.parametrize("index", range(len(BREAKAGES)))
def test_the_report_commands_reader_agrees_with_jsonschema(clean_dir: Path, faulty_dir: Path, index: int) -> None:
    """load_results checks documents without jsonschema (``contract/schema_reader.py``): it must say what jsonschema
    says, document by document, and point at the same place."""
    contract = load_contract()
    for directory in (clean_dir, faulty_dir):
        document = json.loads((directory / "results.json").read_text(encoding="utf-8"))
        assert schema_problem(document) is None and contract.is_valid("report.schema.json", document)
        mutate = BREAKAGES[index]
        mutate(document)
        errors = contract.errors("report.schema.json", document)
        found = schema_problem(document)
        if not errors:
            assert found is None
            continue
        where = "/".join(map(str, errors[0].absolute_path)) or "(root)"
        assert found is not None and found.startswith(f"{where}: "), (found, errors[0].message)


def test_the_reader_refuses_a_keyword_it_does_not_implement() -> None:
    with pytest.raises(SchemaKeywordError, match="not"):
        compile_schema({"type": "object", "properties": {"a": {"not": {"type": "string"}}}})
    with pytest.raises(SchemaKeywordError, match="format 'uri'"):
        compile_schema({"$defs": {"u": {"format": "uri"}}, "$ref": "#/$defs/u"})


def test_a_file_that_is_not_results_json_is_refused_with_the_reason(tmp_path: Path, clean_dir: Path) -> None:
    document = json.loads((clean_dir / "results.json").read_text(encoding="utf-8"))
    del document["counts"]
    (tmp_path / "results.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReportInputError, match=r"not a conformance results file: .*counts"):
        load_results(tmp_path)


def test_conformance_run_writes_every_format_and_a_valid_results_json(tmp_path: Path) -> None:
    report = tmp_path / "report"
    code, stdout, stderr = invoke("run", "--max-examples", "2", "--seed", "3", "--deterministic", "--report-dir",
                                  str(report), "--cassette-dir", str(tmp_path / "cassettes"))  # fmt: skip
    assert code == 0, stdout + stderr
    assert sorted(p.name for p in report.iterdir()) == sorted(["results.json", "results.jsonl", *FORMATS])
    document = load_results(report)
    assert problems(document) == []
    assert document["seed"] == 3 and document["verdict"] == "passed" and document["counts"]["cases"] > 20


VOCABULARIES = [("caseKind", CaseKind), ("caseOutcome", CaseOutcome), ("authMode", AuthMode),
                ("credentialForm", CredentialForm), ("verdict", Verdict),
                ("confirmationStatus", Confirmation)]  # fmt: skip


@pytest.mark.parametrize(("definition", "enum"), VOCABULARIES)
def test_the_report_schema_lists_exactly_each_vocabulary(definition: str, enum: type) -> None:
    schema = load_contract().schema("report.schema.json")
    assert schema["$defs"][definition]["enum"] == list(values(enum))


@pytest.mark.parametrize(("definition", "enum"), VOCABULARIES[:4])
def test_replay_reads_the_same_vocabularies(definition: str, enum: type) -> None:
    """Replay checks run.json against schemas/run-record.schema.json: the same vocabularies."""
    schema = load_contract().schema("run-record.schema.json")
    assert schema["$defs"][definition]["enum"] == list(values(enum))
    case = schema["$defs"]["case"]["properties"]
    assert case["credentials"]["enum"] == [*values(CredentialForm), None]
