"""Provenance: what schemas/ was derived from, and a docs page as the source."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from docs_page import CHILD_PROPERTIES, PAGE, require_docs

from conformance.cli import cli
from conformance.contract.schemas import Contract, load_contract
from conformance.contract_watch.changes import compare
from conformance.contract_watch.provenance import origins
from conformance.contract_watch.shape import read_contract
from conformance.contract_watch.source import read_source


def test_every_x_source_names_a_listed_description() -> None:
    found = origins(load_contract())
    assert [o.file for o in found] == [PAGE, CHILD_PROPERTIES]  # nothing cited that is not listed
    assert all(o.cited > 0 and o.date and o.version and o.sha256 for o in found)


@pytest.mark.docs
def test_the_recorded_versions_are_the_docs_of_record() -> None:
    """Fails when the docs change: schemas/ then says it came from another version than the one at hand."""
    docs = require_docs()
    recorded = {o.file: o.sha256 for o in origins(load_contract())}
    assert recorded == {name: hashlib.sha256((docs / name).read_bytes()).hexdigest()
                        for name in (PAGE, CHILD_PROPERTIES)}  # fmt: skip


def test_contract_diff_prints_what_schemas_were_derived_from() -> None:
    identical = Path(__file__).parent / "fixtures" / "identical.json"
    result = CliRunner().invoke(cli, ["contract", "diff", str(identical)])
    lines = result.stdout.splitlines()
    start = lines.index("schemas/ derived from:")
    assert lines[start + 1].startswith(f"  {PAGE} (") and lines[start + 2].startswith(f"  {CHILD_PROPERTIES} (")
    assert "version 2.0.0" in lines[start + 2] and "dated 2026-11-24" in lines[start + 2]


@pytest.mark.docs
def test_the_docs_page_differs_from_schemas_only_by_the_401_it_does_not_list() -> None:
    # schemas/ takes 401 from child-properties.md (authentication fails with 401 and code 20003); the page
    # lists 201 400 404 409 429 500 503. Everything else the page can say agrees.
    page = require_docs() / PAGE
    result = CliRunner().invoke(cli, ["contract", "diff", str(page), "--format", "json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(c["kind"], c["subject"], c["severity"]) for c in doc["changes"]] == [("status removed", "401",
                                                                                   "breaking")]  # fmt: skip
    assert doc["source"]["kind"] == "page" and doc["source"]["derived_from"] == PAGE


@pytest.mark.docs
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Max items: 50", "Max items: 20", ("limit changed", "participants", "breaking")),
        ("ACTIVEINACTIVECLOSED", "ACTIVEINACTIVECLOSEDARCHIVED", ("enum value added", "status", "breaking")),
        ("201400404409429500503", "201400401404409429500503", None),
        ("createdAtstring<date-time>", "createdAtstring", ("limit changed", "createdAt", "additive")),
        ("namestring\n\nOptional\n\nThe name of the conversation.", "namestring\nrequired\n",
         ("required changed", "name", "breaking")),
    ],
)  # fmt: skip
def test_a_changed_page_shows_its_change(tmp_path, old: str, new: str, expected: tuple | None) -> None:
    text = (require_docs() / PAGE).read_text(encoding="utf-8")
    assert old in text
    variant = tmp_path / PAGE
    variant.write_text(text.replace(old, new, 1), encoding="utf-8")
    current = load_contract()
    changes = compare(read_contract(current), read_source(str(variant), current).shape)
    found = [(c.kind, c.subject, c.severity) for c in changes if c.kind != "status removed"]
    assert found == ([expected] if expected else [])
    assert [c.subject for c in changes if c.kind == "status removed"] == ([] if expected is None else ["401"])


def test_an_x_source_can_name_a_version_of_a_description() -> None:
    # Adopting a member from a published description: its pointer names the commit; the list dates it.
    current = load_contract()
    documents = copy.deepcopy(dict(current.documents))
    openapi = copy.deepcopy(current.openapi)
    published = "twilio_conversations_v2.json"
    documents["conversation.schema.json"]["properties"]["actionId"] = {
        "type": "string", "x-source": f"{published}@157fb09#conversations.v2.conversation actionId"}  # fmt: skip
    documents["conversation.schema.json"]["properties"]["name"]["x-source"] += f"; {published}@157fb09#name"
    openapi["info"]["x-derived-from"].append({"file": published, "commit": "157fb09", "date": "2026-12-01"})
    found = {o.file: o for o in origins(Contract(current.directory, documents, openapi))}
    assert found[published].cited == 2 and found[published].commit == "157fb09"
    assert "commit 157fb09, dated 2026-12-01; cited by 2 x-source" in found[published].line()
    assert found[PAGE].cited == origins(current)[0].cited  # the docs' own pointer is still counted
