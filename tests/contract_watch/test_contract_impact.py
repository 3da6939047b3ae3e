"""The impact of a description on a recording: replay against schemas/ and against the contract it implies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conformance.cli import cli
from conformance.contract.schema_check import check_schemas
from conformance.contract.schemas import load_contract
from conformance.contract_watch.alternative import write_alternative
from conformance.contract_watch.changes import compare
from conformance.contract_watch.provenance import DERIVED_FROM, origins
from conformance.contract_watch.shape import read_contract
from conformance.contract_watch.source import read_source

FIXTURES = Path(__file__).parent / "fixtures"
BASELINE = Path(__file__).parents[2] / "cassettes" / "baseline"


def impact_of(fixture: str, recording: Path) -> dict:
    result = CliRunner().invoke(cli, ["contract", "diff", str(FIXTURES / fixture), "--recording", str(recording),
                                      "--format", "json"])  # fmt: skip
    assert result.exit_code == 1, result.stderr
    return json.loads(result.stdout)["impact"]


@pytest.fixture
def vendor_sends_metadata(tmp_path: Path) -> Path:
    """The baseline, as if the vendor had started sending ``metadata`` on the first create and its read-back."""
    recording = tmp_path / "recording"
    shutil.copytree(BASELINE, recording)
    cassette = recording / "valid.yaml"
    document = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    for interaction in document["interactions"][:2]:
        response = interaction["response"]
        body = json.loads(response["body"]["string"])
        response["body"]["string"] = json.dumps({**body, "metadata": {"ticket": "T-1"}})
        response["headers"]["content-length"] = [str(len(response["body"]["string"].encode()))]
    cassette.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return recording


def test_documenting_metadata_makes_its_warning_disappear(vendor_sends_metadata: Path) -> None:
    impact = impact_of("additive.json", vendor_sends_metadata)
    assert impact["appear"] == []
    assert impact["disappear"] == [{"case": "valid/0000", "check": "undocumented_fields", "outcome": "warned",
                                    "message": "undocumented response fields: metadata"}]  # fmt: skip


def test_the_additive_description_changes_no_verdict_on_the_baseline() -> None:
    # The emulator never sends metadata: documenting it changes nothing the baseline recorded.
    impact = impact_of("additive.json", BASELINE)
    assert (impact["appear"], impact["disappear"]) == ([], [])
    assert impact["cases"] == len(json.loads((BASELINE / "run.json").read_text(encoding="utf-8"))["cases"])


def test_a_retyped_member_makes_every_recorded_conversation_fail() -> None:
    impact = impact_of("retyped.json", BASELINE)
    assert impact["disappear"] == []
    failing = {(v["check"], v["outcome"]) for v in impact["appear"]}
    assert failing == {("response_schema_conformance", "failed"), ("read_back", "failed")}
    created = {v["case"] for v in impact["appear"] if v["check"] == "response_schema_conformance"}
    assert "valid/0000" in created and len(created) >= 20
    assert all("memoryExtractionEnabled" in v["message"] for v in impact["appear"])


def test_a_removed_member_is_reported_as_undocumented_where_it_was_recorded() -> None:
    impact = impact_of("removal.json", BASELINE)
    assert impact["disappear"] == [] and impact["appear"]
    assert {v["message"] for v in impact["appear"]} == {"undocumented response fields: updatedAt"}


def test_an_unreadable_recording_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["contract", "diff", str(FIXTURES / "additive.json"), "--recording",
                                      str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("fixture", ["additive.json", "removal.json", "retyped.json", "tightened.json",
                                     "new-header.json"])  # fmt: skip
def test_the_alternative_schemas_say_what_the_source_says_and_are_sound(fixture: str, tmp_path: Path) -> None:
    current = load_contract()
    description = read_source(str(FIXTURES / fixture), current)
    changes = compare(read_contract(current), description.shape)
    alternative = write_alternative(current, description, changes, tmp_path)
    assert compare(read_contract(alternative), description.shape) == []
    assert not check_schemas(tmp_path).problems
    # provenance: the source is listed, and what it changed names it
    assert alternative.openapi["info"][DERIVED_FROM][-1]["file"] == str(FIXTURES / fixture)
    assert [o.cited for o in origins(alternative) if o.file == str(FIXTURES / fixture)] != [0]
    assert read_contract(current) is not None and load_contract() is current  # schemas/ itself untouched


def test_the_alternative_turns_published_nullable_and_example_into_2020_12(tmp_path: Path) -> None:
    current = load_contract()
    description = read_source(str(FIXTURES / "additive.json"), current)
    alternative = write_alternative(current, description, compare(read_contract(current), description.shape),
                                    tmp_path)  # fmt: skip
    metadata = alternative.node("conversation", "metadata")
    assert metadata["examples"] == [{"ticket": "T-1"}] and "example" not in metadata
    assert metadata["additionalProperties"] == {"type": "string", "maxLength": 512}
    assert alternative.errors("conversation", {"id": "c", "accountId": "a", "configurationId": "x",
                                               "metadata": {"k": "v" * 513}})  # fmt: skip


def test_the_alternative_drops_a_body_the_source_does_not_document(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "identical.json").read_text(encoding="utf-8"))
    del document["components"]["responses"]["NotFound"]["content"]
    source = tmp_path / "no-404-body.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    current = load_contract()
    description = read_source(str(source), current)
    changes = compare(read_contract(current), description.shape)
    assert [(c.kind, c.subject) for c in changes] == [("member removed", "(body)")]
    (tmp_path / "alternative").mkdir()
    alternative = write_alternative(current, description, changes, tmp_path / "alternative")
    assert compare(read_contract(alternative), description.shape) == []
    assert alternative.response_schema("/v2/Conversations", "post", 404) is None
    assert alternative.response_schema("/v2/Conversations", "post", 400) == "error"  # the shared Error untouched


def test_the_drift_walk_reads_documented_maps_and_nullable_objects() -> None:
    # What an alternative contract may hold (a published description's maps and nullable objects).
    from conformance.contract.members import walk_undocumented
    from conformance.contract.schemas import Contract

    current = load_contract()
    documents = json.loads(json.dumps(dict(current.documents)))
    properties = documents["conversation.schema.json"]["properties"]
    properties["metadata"] = {"type": "object", "additionalProperties": {"type": "string"}}
    properties["action"] = {"type": ["object", "null"], "properties": {"id": {"type": "string"}}}
    contract = Contract(current.directory, documents, current.openapi)
    body = {"id": "c", "metadata": {"ticket": "T-1"}, "action": {"id": "a", "extra": 1}, "other": 2}
    assert sorted(walk_undocumented(contract, "conversation", body)) == ["action.extra", "other"]
