"""The schemas say what the docs say: no more, no less."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from docs_page import CHILD_PROPERTIES, PAGE, parse_child_tables, parse_page, require_docs, required_lists
from docs_trace import child_mismatches, page_mismatches

from conformance.contract.schemas import SCHEMA_FILES, load_contract, schemas_dir

pytestmark = pytest.mark.docs


@pytest.fixture(scope="module")
def docs() -> Path:
    return require_docs()


@pytest.fixture(scope="module")
def page(docs: Path):
    return parse_page((docs / PAGE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def child_text(docs: Path) -> str:
    return (docs / CHILD_PROPERTIES).read_text(encoding="utf-8")


def test_page_parser_found_both_tables(page) -> None:
    # Guards the parser itself: an empty parse would make every comparison below pass vacuously.
    assert [p.name for p in page.request][:1] == ["configurationId"]
    assert len(page.request) >= 4 and len(page.response_201) >= 9
    assert any(p.enum_glued for p in page.response_201)
    assert any(p.max_items for p in page.request)


def test_every_page_property_is_in_the_schemas_with_its_type_and_requiredness(page) -> None:
    assert page_mismatches(load_contract(), page) == []


def test_every_child_property_is_in_the_schemas_with_its_constraints(child_text: str) -> None:
    tables = parse_child_tables(child_text)
    assert len(tables) >= 8
    assert child_mismatches(load_contract(), tables, required_lists(child_text)) == []


def test_the_pages_response_example_validates(page) -> None:
    assert page.response_example is not None
    assert load_contract().errors("conversation", page.response_example) == []


def test_the_pages_request_sample_validates(page) -> None:
    assert page.request_sample == {"configurationId": "configurationId"}
    assert load_contract().errors("request", page.request_sample) == []


def test_openapi_documents_the_pages_statuses_plus_401(page) -> None:
    contract = load_contract()
    assert contract.documented_statuses("/v2/Conversations", "POST") == {*page.documented_statuses, 401}
    assert contract.documented_headers("/v2/Conversations", "POST", 409) == {"x-conflicting-resource-id"}
    assert contract.documented_statuses("/v2/Conversations/{id}", "GET") == {200, 401, 404}


# --- the comparisons above can fail: mutate a copy of schemas/ and watch them object ---


def _mutated(tmp_path: Path, file: str, change) -> object:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), copy)
    document = json.loads((copy / file).read_text())
    change(document)
    (copy / file).write_text(json.dumps(document))
    return load_contract(copy)


def test_dropping_configuration_id_from_required_is_caught(tmp_path: Path, page, child_text: str) -> None:
    contract = _mutated(tmp_path, SCHEMA_FILES["request"], lambda d: d.update(required=[]))
    assert any("configurationId" in p and "required" in p for p in page_mismatches(contract, page))
    problems = child_mismatches(contract, parse_child_tables(child_text), required_lists(child_text))
    assert any("request.configurationId" in p for p in problems)


def test_changing_a_documented_enum_is_caught(tmp_path: Path, page) -> None:
    contract = _mutated(tmp_path, SCHEMA_FILES["conversation"],
                        lambda d: d["properties"]["status"].update(enum=["ACTIVE", "CLOSED"]))  # fmt: skip
    assert any("status" in p and "enum" in p for p in page_mismatches(contract, page))


def test_changing_a_child_enum_is_caught(tmp_path: Path, child_text: str) -> None:
    contract = _mutated(tmp_path, SCHEMA_FILES["address"],
                        lambda d: d["properties"]["channel"]["enum"].append("EMAIL"))  # fmt: skip
    problems = child_mismatches(contract, parse_child_tables(child_text), required_lists(child_text))
    assert any("address.channel" in p for p in problems)


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (SCHEMA_FILES["request"], lambda d: d["properties"]["participants"].update(maxItems=60), "participants"),
        (SCHEMA_FILES["configuration"], lambda d: d["properties"]["displayName"].update(maxLength=64), "displayName"),
        (SCHEMA_FILES["configuration"], lambda d: d["properties"]["statusCallbacks"]["items"].update(required=[]),
         "statusCallbacks[].url"),
        (SCHEMA_FILES["participant"], lambda d: d.update(required=["id"]), "Participant (response)"),
        (SCHEMA_FILES["conversation"], lambda d: d["properties"]["name"].update(type="string"), "conversation.name"),
        (SCHEMA_FILES["error"], lambda d: d["properties"]["code"].update(type="string"), "error.code"),
        (SCHEMA_FILES["participant"], lambda d: d["properties"]["createdAt"].pop("format"), "participant.createdAt"),
        (SCHEMA_FILES["conversation"], lambda d: d["properties"].pop("updatedAt"), "conversation.updatedAt"),
    ],
)  # fmt: skip
def test_other_deviations_are_caught(tmp_path: Path, page, child_text: str, file: str, change, expected: str) -> None:
    contract = _mutated(tmp_path, file, change)
    problems = page_mismatches(contract, page) + child_mismatches(
        contract, parse_child_tables(child_text), required_lists(child_text)
    )
    assert any(expected in p for p in problems), problems


def _properties(node: object, path: str = "") -> list[tuple[str, dict]]:
    found = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{path}.{name}".lstrip("."), sub))
            found += _properties(sub, f"{path}.{name}")
        for key in ("items", "$defs"):
            if key in node:
                subs = node[key].values() if key == "$defs" else [node[key]]
                for sub in subs:
                    found += _properties(sub, path)
    return found


def invented_properties(contract, page: str, child: str) -> list[str]:
    """Schema properties the docs never name."""
    invented = []
    for name, file in SCHEMA_FILES.items():
        for path, _node in _properties(contract.documents[file]):
            prop = path.rsplit(".", 1)[-1]
            in_child = re.search(rf"`[^`]*\b{re.escape(prop)}\b[^`]*`", child)  # also inline: `{url (...), ...}`
            if not in_child and f"\n{prop}" not in page:
                invented.append(f"{name}: {path}")
    return invented


def test_every_schema_property_traces_back_to_the_docs(docs: Path, tmp_path: Path) -> None:
    """The other direction: nothing in the contract is invented (no property the docs do not name)."""
    page = (docs / PAGE).read_text(encoding="utf-8")
    child = (docs / CHILD_PROPERTIES).read_text(encoding="utf-8")
    assert invented_properties(load_contract(), page, child) == []
    mutated = _mutated(tmp_path, SCHEMA_FILES["conversation"],
                       lambda d: d["properties"].update(priority={"type": "integer"}))  # fmt: skip
    assert invented_properties(mutated, page, child) == ["conversation: priority"]


def test_every_property_says_where_in_the_docs_it_comes_from() -> None:
    contract = load_contract()
    for name, file in SCHEMA_FILES.items():
        for path, node in _properties(contract.documents[file]):
            if path.count(".") == 0 or "x-source" in node:  # nested item fields inherit their parent's source
                source = node.get("x-source", "")
                assert source.split("#")[0] in (PAGE, CHILD_PROPERTIES), f"{name}: {path} has no docs pointer"
