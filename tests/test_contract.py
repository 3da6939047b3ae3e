"""The schemas folder is sound on its own, and the one loading point behaves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import schemathesis
from click.testing import CliRunner

from conformance.cli import cli
from conformance.contract.schema_check import check_schemas
from conformance.contract.schemas import OPENAPI_FILE, SCHEMA_FILES, ContractError, load_contract, schemas_dir

CONVERSATION = {"id": "conv_conversation_x", "accountId": "AC1", "configurationId": "conv_configuration_y"}


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), copy)
    return copy


def test_schemas_check_is_clean() -> None:
    report = check_schemas()
    assert report.problems == ()
    assert report.schemas >= len(SCHEMA_FILES) and report.properties > 40 and report.examples > 5


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("address.schema.json", lambda d: d.update(type="text"), "not a valid 2020-12 schema"),
        ("conversation.schema.json", lambda d: d["properties"]["configuration"].update({"$ref": "nope.json"}),
         "does not resolve"),
        ("error.schema.json", lambda d: d["properties"]["more_info"].update(examples=[7]), "example 7 fails"),
    ],
)  # fmt: skip
def test_schemas_check_reports_broken_schemas(schema_copy: Path, file: str, change, expected: str) -> None:
    document = json.loads((schema_copy / file).read_text())
    change(document)
    (schema_copy / file).write_text(json.dumps(document))
    report = check_schemas(schema_copy)
    assert any(expected in problem for problem in report.problems), report.problems


def test_schemas_check_reports_an_invalid_openapi_document(schema_copy: Path) -> None:
    text = (schema_copy / OPENAPI_FILE).read_text().replace("openapi: 3.1.0", "openapi: 3.1.0\nbogus_root_key: 1")
    (schema_copy / OPENAPI_FILE).write_text(text.replace("operationId: CreateConversation", "operationId: [1]"))
    assert any("not valid OpenAPI 3.1" in problem for problem in check_schemas(schema_copy).problems)


def test_openapi_loads_in_schemathesis() -> None:
    schema = schemathesis.openapi.from_path(schemas_dir() / OPENAPI_FILE)
    assert schema["/v2/Conversations"]["POST"].label == "POST /v2/Conversations"
    assert schema["/v2/Conversations/{id}"]["GET"].label == "GET /v2/Conversations/{id}"


def test_validators_check_formats() -> None:
    contract = load_contract()
    assert contract.errors("conversation", {**CONVERSATION, "createdAt": "2023-07-01T12:00:00Z"}) == []
    for bad in ("2023-07-01 12:00:00", "yesterday", "2023-13-01T00:00:00Z"):
        assert not contract.is_valid("conversation", {**CONVERSATION, "createdAt": bad})
        assert [e.validator for e in contract.errors("conversation", {**CONVERSATION, "createdAt": bad})] == ["format"]


def test_fast_and_detailed_validation_agree() -> None:
    contract = load_contract()
    samples = [
        {"configurationId": "c"},
        {"configurationId": 1},
        {"configurationId": "c", "participants": [{}] * 51},
        {"configurationId": "c", "participants": [{"type": "ROBOT"}]},
        {"configurationId": "c", "participants": [{"addresses": [{"channel": "SMS"}]}]},
        {"configurationId": "c", "configuration": {"intelligenceConfigurationIds": ["a"] * 6}},
        [],
    ]
    for sample in samples:
        walked = list(contract.validator("request").iter_errors(sample))  # the full walk, not the fast path
        assert contract.is_valid("request", sample) == (walked == []), sample
        assert (contract.errors("request", sample) == []) == (walked == []), sample


def test_response_objects_stay_open_to_new_fields() -> None:
    contract = load_contract()
    assert contract.errors("conversation", {**CONVERSATION, "metadata": {"a": "b"}, "actionId": "x"}) == []


def test_missing_schema_file_is_a_clear_error(schema_copy: Path) -> None:
    (schema_copy / SCHEMA_FILES["address"]).unlink()
    with pytest.raises(ContractError, match=r"missing schema files address\.schema\.json"):
        load_contract(schema_copy)


def test_unparseable_schema_file_is_a_clear_error(schema_copy: Path) -> None:
    (schema_copy / SCHEMA_FILES["error"]).write_text("{not json")
    with pytest.raises(ContractError, match=r"error\.schema\.json: not valid JSON"):
        load_contract(schema_copy)


def test_cli_schemas_check_prints_one_line() -> None:
    result = CliRunner().invoke(cli, ["schemas", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().count("\n") == 0 and result.output.startswith("schemas ok:")


def test_cli_schemas_check_fails_on_a_bad_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schemas", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0 and "missing schema files" in result.output


def test_readme_lists_every_check_with_its_severity() -> None:
    from conformance.judge.checks import CHECKS

    readme = (schemas_dir().parent / "README.md").read_text(encoding="utf-8")
    for check in CHECKS.values():
        row = f"| `{check.name}` | {check.severity} | {check.description} |"
        assert row in readme, f"README does not list {check.name} as the code describes it: {row}"
