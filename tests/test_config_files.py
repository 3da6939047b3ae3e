"""The configuration files' schemas in ``schemas/`` and the one helper that checks a file against them.

The helper validates with the report commands' compiled reader (so the gate starts light); these tests hold that
reader to jsonschema on every config schema, and the schemas' SID patterns to ``conformance.vendor``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance import vendor
from conformance.contract.config_files import (
    EMULATOR_CONFIG,
    GATE_POLICY,
    PARITY_KNOWN,
    RUN_RECORD,
    as_json,
    problem,
    schema,
    toml_line,
)
from conformance.contract.schema_reader import compile_schema

SID = "AC" + "1" * 32
KEY = "SK" + "2" * 32
ISSUE = {"check": "read_back", "reason": "ticket 1", "expires": date(2027, 1, 1)}
DIFFERENCE = {"kind": "status", "reason": "ticket 2", "expires": "2027-01-01", "route": "POST *"}
CASE = {"id": "valid/0000", "kind": "valid", "description": "d", "expected_status": 201, "auth": "valid",
        "json_payload": True, "cassette": "valid.yaml", "request": [0], "fetch": [1], "outcome": "passed"}  # fmt: skip
RUN = {"format": 1, "run_id": "r", "target": "emulator", "base_url": "http://127.0.0.1:1", "seed": 1,
       "max_examples": 5, "interrupted": False, "cases": [CASE]}  # fmt: skip
DOCUMENTS: dict[str, list[Any]] = {  # for each schema: what a file may hold, good and bad
    GATE_POLICY: [
        {}, {"max_warnings": 3, "drift_blocks": True, "min_cases": 0, "max_p95_ms": 2.5, "min_family_coverage": 1},
        {"known_issues": [ISSUE, {**ISSUE, "group": "read_back: field name"}]},
        {"max_warnings": -1}, {"max_warnings": 2.5}, {"min_cases": True}, {"drift_blocks": 1}, {"max_p95_ms": 0},
        {"min_family_coverage": 1.01}, {"min_family_coverage": 0}, {"known_issues": {}}, {"known_issues": [3]},
        {"known_issues": [{**ISSUE, "reason": " "}]}, {"known_issues": [{**ISSUE, "expires": "soon"}]},
        {"known_issues": [{"check": "read_back"}]}, {"known_issues": [{**ISSUE, "owner": "me"}]}, {"limits": {}},
    ],
    PARITY_KNOWN: [
        {}, {"differences": []}, {"differences": [DIFFERENCE, {**DIFFERENCE, "subject": "configuration.*"}]},
        {"differences": 3}, {"differences": [{**DIFFERENCE, "route": ""}]}, {"differences": [{"kind": "status"}]},
        {"differences": [{**DIFFERENCE, "expires": 2027}]}, {"differences": [{**DIFFERENCE, "owner": "x"}]},
        {"difference": []},
    ],
    EMULATOR_CONFIG: [
        {}, {"accounts": [{"accountSid": SID, "authToken": "t"}, {"accountSid": SID, "apiKey": KEY, "apiSecret": "s"}]},
        {"configurations": [{"id": "c", "displayName": "Sales"}, {"id": "d", "accountId": SID}]},
        {"accounts": [{"accountSid": "AC1"}]}, {"accounts": [{"accountSid": SID, "apiKey": "SK1"}]},
        {"accounts": [{"accountSid": SID, "authToken": 5}]}, {"accounts": [{"authToken": "t"}]},
        {"accounts": [{"accountSid": SID, "token": "t"}]}, {"accounts": {}}, {"configurations": [{"id": ""}]},
        {"configurations": [{"id": "c", "accountId": 7}]}, {"configurations": [{}]}, {"configuration": []},
    ],
    RUN_RECORD: [
        RUN, {**RUN, "severities": {"read_back": "warn"}, "families": {"valid": 3, "auth": None}, "checks": None},
        {**RUN, "cases": [{**CASE, "account": "second", "credentials": "account", "sent_at": 1.5}]},
        {**RUN, "seed": "1"}, {**RUN, "interrupted": None}, {**RUN, "severities": {"read_back": "loud"}},
        {**RUN, "clock_skew_s": -1}, {**RUN, "credential_forms": ["password"]},
        {**RUN, "cases": [{**CASE, "kind": "x"}]},
        {**RUN, "cases": [{**CASE, "request": [-1]}]}, {**RUN, "cases": [{**CASE, "account": "first"}]},
        {k: v for k, v in RUN.items() if k != "cases"},
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_compiled_reader_agrees_with_jsonschema_on_each_config_schema(name: str) -> None:
    document_schema = schema(name)
    Draft202012Validator.check_schema(document_schema)
    reference = Draft202012Validator(document_schema)
    compiled = compile_schema(document_schema)
    verdicts = []
    for document in map(as_json, DOCUMENTS[name]):
        errors = list(reference.iter_errors(document))
        found = compiled(document, None)
        assert bool(errors) == bool(found), (document, [e.message for e in errors], found)
        verdicts.append(bool(errors))
    assert False in verdicts and True in verdicts  # each schema is shown both accepting and refusing


def test_the_account_patterns_are_the_vendors() -> None:
    accounts = schema(EMULATOR_CONFIG)["properties"]["accounts"]["items"]["properties"]
    assert accounts["accountSid"]["pattern"] == vendor.ACCOUNT_SID_PATTERN.pattern
    assert accounts["apiKey"]["pattern"] == vendor.API_KEY_SID_PATTERN.pattern


def test_every_constraint_says_what_a_value_must_be() -> None:
    """A value the schema refuses is explained in the file's own terms (x-expected), never in the validator's."""

    def nodes(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            if "type" in node:
                yield where, node
            for key, value in node.items():
                yield from nodes(value, f"{where}/{key}")

    for name in DOCUMENTS:
        for where, node in nodes(schema(name), name):
            assert "x-expected" in node or where == name, where


@pytest.mark.parametrize(
    ("name", "data", "text", "said"),
    [
        (GATE_POLICY, {"max_p95_ms": "fast"}, 'max_p95_ms = "fast"\n',
         "p.toml line 1: max_p95_ms must be a number of milliseconds > 0, got 'fast'"),
        (GATE_POLICY, {"min_cases": 1, "known_issues": [{**ISSUE, "reason": ""}]},
         'min_cases = 1\n\n[[known_issues]]\ncheck = "read_back"\nreason = ""\nexpires = 2027-01-01\n',
         "p.toml line 5: known_issues[0].reason must be a non-empty string, got ''"),
        (PARITY_KNOWN, {"differences": [DIFFERENCE, {**DIFFERENCE, "expires": "soon"}]}, None,
         "p.toml: differences[1].expires must be a date such as 2027-03-31, got 'soon'"),
        (EMULATOR_CONFIG, {"configurations": [{"id": "c"}, {"id": 3}]}, None,
         "p.toml: configurations[1].id must be a non-empty string, got 3"),
    ],
)  # fmt: skip
def test_a_problem_is_one_line_with_the_file_the_line_and_the_key(name: str, data: Any, text: str | None,
                                                                   said: str) -> None:  # fmt: skip
    assert problem(data, name, Path("p.toml"), text) == said
    assert problem(DOCUMENTS[name][1], name, Path("p.toml"), text) is None


def test_toml_lines_are_found_in_the_right_table() -> None:
    text = 'a = 1\n[[t]]\nk = 1\n\n[[t]]\n"k" = 2\n[other]\nk = 3\n'
    assert toml_line(text, ["a"]) == 1
    assert toml_line(text, ["t", 0, "k"]) == 3
    assert toml_line(text, ["t", 1, "k"]) == 6
    assert toml_line(text, ["t", 1]) == 5
    assert toml_line(text, ["other"]) == 7
    assert toml_line(text, ["missing"]) is None


def test_the_first_problem_of_a_file_is_the_first_a_reader_meets() -> None:
    """A file's problems are named in the order it is read: cases[2] before cases[10] (not as text), and a bad
    member of cases[3] before a missing one of cases[5] (not the shallowest first)."""
    from conformance.contract.schema_reader import compile_schema, first_problem

    validate = compile_schema({"type": "object", "properties": {"cases": {"type": "array", "items": {
        "type": "object", "required": ["request"], "properties": {"kind": {"enum": ["valid"]}}}}}})  # fmt: skip
    cases: list[dict[str, Any]] = [{"kind": "valid", "request": []} for _ in range(11)]
    cases[2]["kind"] = cases[10]["kind"] = "odd"
    found = first_problem(validate, {"cases": cases}, in_document_order=True)
    assert found is not None and found[0] == ["cases", 2, "kind"], found
    cases[2]["kind"] = cases[10]["kind"] = "valid"
    cases[3]["kind"] = "odd"
    del cases[5]["request"]
    found = first_problem(validate, {"cases": cases}, in_document_order=True)
    assert found is not None and found[0] == ["cases", 3, "kind"], found
    assert first_problem(validate, {"cases": cases})[0] == ["cases", 5]  # type: ignore[index]  # the report's order
