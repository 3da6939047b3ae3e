"""`conformance contract diff`: each hand-written description yields exactly its change, classified."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from conformance.contract_watch.changes import RULES

FIXTURES = Path(__file__).parent / "fixtures"
CREATE, FETCH = "POST /v2/Conversations", "GET /v2/Conversations/{id}"
BOTH = (f"{CREATE} 201", f"{FETCH} 200")

# fixture -> (kind, subject, severity, where) of its one change
EXPECTED = {
    "additive.json": ("member added", "metadata", "additive", BOTH),
    "removal.json": ("member removed", "updatedAt", "breaking", BOTH),
    "retyped.json": ("type changed", "configuration.memoryExtractionEnabled", "breaking", BOTH),
    "tightened.json": ("limit changed", "participants", "breaking", (f"{CREATE} request",)),
    "new-header.json": ("parameter added", "header idempotency-key", "additive", (CREATE,)),
}


def run(*args: str) -> tuple[int, dict | str, str]:
    result = CliRunner().invoke(cli, ["contract", "diff", *args])
    out = json.loads(result.stdout) if "json" in args and result.exit_code < 2 else result.stdout
    return result.exit_code, out, result.stderr


def test_the_identical_description_shows_no_change() -> None:
    code, doc, _ = run(str(FIXTURES / "identical.json"), "--format", "json")
    assert code == 0
    assert doc["changes"] == [] and doc["counts"] == {"changes": 0, "breaking": 0, "additive": 0}
    assert doc["source"]["openapi"] == "3.0.1" and doc["source"]["version"] == "2.0.0"


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_each_fixture_yields_exactly_its_change(fixture: str) -> None:
    code, doc, _ = run(str(FIXTURES / fixture), "--format", "json")
    assert code == 1
    assert [(c["kind"], c["subject"], c["severity"], tuple(c["where"])) for c in doc["changes"]] == [EXPECTED[fixture]]
    severity = EXPECTED[fixture][2]
    assert doc["counts"][severity] == 1 and doc["counts"]["changes"] == 1


def test_the_change_says_what_changed_in_every_format() -> None:
    _, doc, _ = run(str(FIXTURES / "tightened.json"), "--format", "json")
    change = doc["changes"][0]
    assert (change["before"], change["after"], change["detail"]) == (["maxItems", 50], ["maxItems", 20],
                                                                       "maxItems 50 -> 20")  # fmt: skip
    _, text, _ = run(str(FIXTURES / "tightened.json"))
    assert "breaking  limit changed: participants (maxItems 50 -> 20) in POST /v2/Conversations request" in text
    assert "1 change: 1 breaking, 0 additive" in text
    _, md, _ = run(str(FIXTURES / "tightened.json"), "--format", "md")
    assert "| breaking | limit changed | `participants` | maxItems 50 -> 20 | POST /v2/Conversations request |" in md


def test_output_writes_the_result_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    result = CliRunner().invoke(cli, ["contract", "diff", str(FIXTURES / "removal.json"), "--format", "md",
                                      "--output", str(target)])  # fmt: skip
    assert result.exit_code == 1 and result.stdout == ""
    assert "| breaking | member removed | `updatedAt` |" in target.read_text(encoding="utf-8")


# --- the rules, on variants of the identical description --------------------------------------


def component(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][f"conversations.v2.{name}"]


def request(doc: dict) -> dict:
    return doc["paths"]["/v2/Conversations"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def summary(changes: list) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {(c.kind, c.subject, c.severity, c.where) for c in changes}


def test_a_new_enum_value_is_additive_in_a_request_and_breaking_in_a_response(diff_of) -> None:
    # One shared component, two directions: the request accepts more; the suite fails the value in a response.
    changes = diff_of(lambda d: component(d, "participant_type")["enum"].append("BOT"))
    assert summary(changes) == {
        ("enum value added", "participants[].type", "breaking", BOTH),
        ("enum value added", "participants[].type", "additive", (f"{CREATE} request",)),
    }


def test_required_and_nullable_classify_by_direction(diff_of) -> None:
    def mutate(doc: dict) -> None:
        request(doc)["required"].append("name")  # a new required request member: breaking
        component(doc, "conversation")["required"].append("status")  # a new response promise: additive
        component(doc, "conversation")["properties"]["createdAt"]["nullable"] = True  # null now sent: breaking
        request(doc)["properties"]["participants"]["items"]["properties"]["name"]["nullable"] = True  # additive

    assert summary(diff_of(mutate)) == {
        ("required changed", "name", "breaking", (f"{CREATE} request",)),
        ("required changed", "status", "additive", BOTH),
        ("nullable changed", "createdAt", "breaking", BOTH),
        ("nullable changed", "participants[].name", "additive", (f"{CREATE} request",)),
    }


def test_limits_loosened_are_additive_and_patterns_are_breaking(diff_of) -> None:
    def mutate(doc: dict) -> None:
        request(doc)["properties"]["participants"]["maxItems"] = 100
        component(doc, "conversations_v1_bridge")["properties"]["serviceId"]["pattern"] = "^IS[0-9a-f]{34}$"
        request(doc)["properties"]["name"]["maxLength"] = 64

    assert summary(diff_of(mutate)) == {
        ("limit changed", "participants", "additive", (f"{CREATE} request",)),
        ("limit changed", "configuration.conversationsV1Bridge.serviceId", "breaking", BOTH),
        ("limit changed", "name", "breaking", (f"{CREATE} request",)),
    }


def test_a_new_required_request_member_breaks_and_a_new_optional_one_does_not(diff_of) -> None:
    def mutate(doc: dict) -> None:
        request(doc)["properties"]["channel"] = {"type": "string"}
        request(doc)["required"].append("channel")
        request(doc)["properties"]["priority"] = {"type": "integer"}

    assert summary(diff_of(mutate)) == {
        ("member added", "channel", "breaking", (f"{CREATE} request",)),
        ("member added", "priority", "additive", (f"{CREATE} request",)),
    }


def test_statuses_headers_and_security(diff_of) -> None:
    def mutate(doc: dict) -> None:
        post = doc["paths"]["/v2/Conversations"]["post"]
        post["responses"]["422"] = {"$ref": "#/components/responses/BadRequest"}
        del doc["paths"]["/v2/Conversations/{id}"]["get"]["responses"]["401"]
        post["responses"]["201"]["headers"] = {"Location": {"schema": {"type": "string"}}}
        del doc["components"]["responses"]["Conflict"]["headers"]
        doc["components"]["securitySchemes"]["basic_apikey_or_accountsid"] = {"type": "http", "scheme": "bearer"}

    assert summary(diff_of(mutate)) == {
        ("status added", "422", "breaking", (CREATE,)),
        ("status removed", "401", "breaking", (FETCH,)),
        ("header added", "location", "additive", (f"{CREATE} 201",)),
        ("header removed", "x-conflicting-resource-id", "breaking", (f"{CREATE} 409",)),
        ("security changed", "security", "breaking", (CREATE, FETCH)),
    }


def test_a_shared_error_body_change_is_one_change_listing_every_status(diff_of) -> None:
    changes = diff_of(lambda d: component(d, "error")["required"].remove("more_info"))
    assert len(changes) == 1
    assert changes[0].kind == "required changed" and changes[0].severity == "breaking"
    assert len(changes[0].where) == 9  # the create's 7 error statuses and the fetch's 2


def test_a_path_parameter_renamed_is_no_change_but_a_new_query_parameter_is(diff_of) -> None:
    def mutate(doc: dict) -> None:
        item = doc["paths"].pop("/v2/Conversations/{id}")
        item["parameters"][0]["name"] = "ConversationId"
        item["get"]["parameters"] = [{"name": "expand", "in": "query", "schema": {"type": "string"}}]
        doc["paths"]["/v2/Conversations/{ConversationId}"] = item

    assert summary(diff_of(mutate)) == {("parameter added", "query expand", "additive", (FETCH,))}


def test_every_rule_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Contract watch", 1)[1].split("\n## ", 1)[0]
    assert "conformance contract diff SOURCE" in section
    missing = [kind for kind in RULES if f"`{kind}`" not in section]
    assert missing == []


# --- sources --------------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[str]:
    """A loopback HTTP server serving the fixtures folder."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(FIXTURES), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_is_fetched_with_the_project_transport(served: str) -> None:
    assert run(f"{served}/identical.json")[0] == 0
    code, doc, _ = run(f"{served}/additive.json", "--format", "json")
    assert code == 1 and [c["subject"] for c in doc["changes"]] == ["metadata"]
    code, out, err = run(f"{served}/missing.json")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "HTTP 404" in err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "No such file or directory"),
        ("{not json: [", "neither JSON, YAML nor a reference page"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3 description"),
        ('{"openapi": "3.0.1", "paths": {"/v2/Other": {"get": {"responses": {}}}}}', "describes neither"),
        ("[1, 2]", "not an OpenAPI description"),
        ('{"openapi": "3.0.1", "paths": {"/v2/Conversations": {"post": {"responses": {"201": {"$ref": "#/x"}}}}}}',
         "a reference or member it cannot follow"),
    ],
)  # fmt: skip
def test_an_unreadable_source_is_one_line_and_exit_2(tmp_path: Path, content: str | None, said: str) -> None:
    path = tmp_path / "source.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(str(path))
    assert code == 2 and out == ""
    assert err.startswith("conformance contract diff: ") and err.count("\n") == 1 and said in err
    assert "Traceback" not in err


def test_read_only_members_are_not_request_members_and_odd_subschemas_do_not_stop_the_diff(diff_of) -> None:
    def mutate(doc: dict) -> None:
        request(doc)["properties"]["id"] = {"type": "string", "readOnly": True}  # a shared schema's response-only id
        component(doc, "conversation")["properties"]["secret"] = {"type": "string", "writeOnly": True}
        component(doc, "conversation")["properties"]["anything"] = True  # valid JSON Schema: any value

    assert summary(diff_of(mutate)) == {("member added", "anything", "additive", BOTH)}


def test_a_body_only_one_side_documents_is_one_change(diff_of) -> None:
    def mutate(doc: dict) -> None:
        del doc["paths"]["/v2/Conversations"]["post"]["requestBody"]
        del doc["components"]["responses"]["NotFound"]["content"]

    assert summary(diff_of(mutate)) == {
        ("member removed", "(body)", "breaking", (f"{CREATE} 404", f"{CREATE} request", f"{FETCH} 404")),
    }
