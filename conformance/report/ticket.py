"""``conformance ticket REPORT_DIR GROUP``: one failure group as evidence for the vendor's support desk.

Self-contained Markdown (and the same as JSON): what the docs state (the schemas' ``x-source`` for the member or
rule the failure is about, and the fact the schema derives from it), since when it fails (from the history), the
smallest failing example as the report holds it (already redacted), a curl line, the vendor's request id header
when the response carried one, and the run it comes from.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import jinja2

from conformance import templating
from conformance.contract.schemas import CREATE_PATH, FETCH_PATH, Contract
from conformance.report.digest import STATUS_CHECKS, Digest, Group
from conformance.report.document import Document, reproduce_command
from conformance.report.markdown import block, cell, code

REQUEST_ID = re.compile(r"request[-_]?id", re.IGNORECASE)  # Twilio-Request-Id, X-Request-Id, ...
RUN_KEYS = ("run_id", "target", "base_url", "seed", "started_at")
EXAMPLE_KEYS = ("case", "case_description", "message", "request", "response", "curl")  # of a failure record
FACT_KEYWORDS = ("type", "enum", "const", "format", "pattern", "minLength", "maxLength", "minItems", "maxItems",
                 "minimum", "maximum")  # fmt: skip


class TicketError(Exception):
    """The group cannot be found: one line that lists the groups there are."""


@dataclass(frozen=True)
class DocsStatement:
    """One place in the docs the failure contradicts: the schema member or rule, its source, what it states."""

    member: str  # "response participants[].name", "request participants maxItems", "POST /v2/Conversations 400"
    source: str  # the x-source: "<docs file>#<section> <field>"
    states: str  # the schema's fact in our words: "type string; required"


@dataclass
class Ticket:
    signature: str
    check: str
    check_description: str
    cause: str
    cases: int
    run: dict[str, Any]
    docs: list[DocsStatement]
    example: dict[str, Any]
    request_id: dict[str, str] | None
    history: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def find_group(digest: Digest, selector: str) -> Group:
    """A group by its signature (``check: cause``), by its number in the digest (1 is the first), or by the only
    signature that starts with ``selector``."""
    groups = digest.groups
    if selector.isdigit() and 1 <= int(selector) <= len(groups):
        return groups[int(selector) - 1]
    exact = [g for g in groups if g.key == selector]
    prefixed = exact or [g for g in groups if g.key.startswith(selector)]
    if len(prefixed) == 1:
        return prefixed[0]
    if not groups:
        raise TicketError("the run has no failure group")
    listed = "; ".join(f"{i}: {g.key}" for i, g in enumerate(groups, 1))
    which = "matches several" if prefixed else "matches none"
    raise TicketError(f"group {selector!r} {which} of the run's groups ({listed})")


def build_ticket(document: Document, group: Group, contract: Contract,
                 history: dict[str, Any] | None = None) -> Ticket:  # fmt: skip
    """The ticket for ``group`` of ``document``; ``history``: the group's nights when a history was given."""
    example = min(group.failures, key=_size)  # the smallest failing example the report kept whole
    response = example.get("response") or {}
    request_id = next(
        ({"header": name, "value": value} for name, value in (response.get("headers") or {}).items()
         if REQUEST_ID.search(name)),
        None,
    )  # fmt: skip
    check = document["checks"].get(group.check, {})
    return Ticket(
        signature=group.key,
        check=group.check,
        check_description=check.get("description", ""),
        cause=group.cause,
        cases=len(group.case_ids),
        run={key: document[key] for key in RUN_KEYS} | {"reproduce": reproduce_command(document)},
        docs=docs_statements(contract, group, example),
        example={key: example.get(key) for key in EXAMPLE_KEYS},
        request_id=request_id,
        history=history,
        notes=[] if example.get("curl") else ["the report kept no curl line for this example"],
    )


def _size(failure: dict[str, Any]) -> int:
    request, response = failure.get("request") or {}, failure.get("response") or {}
    return len(request.get("body") or "") + len(response.get("body") or "")


# --- what the docs state ------------------------------------------------------------------------


def docs_statements(contract: Contract, group: Group, example: dict[str, Any]) -> list[DocsStatement]:
    """Where the docs state what the failure contradicts, most specific first."""
    statements: list[DocsStatement] = []
    family = example["case"].rsplit("/", 1)[0]
    if family.startswith("invalid/"):  # a broken request rule: invalid/<member path>.<keyword>
        statements += _request_rule(contract, family.removeprefix("invalid/"))
    path = group.cause.removeprefix("field ") if group.cause.startswith("field ") else None
    if path:
        status = (example.get("response") or {}).get("status")
        method = (example.get("request") or {}).get("method", "POST")
        route = FETCH_PATH if method == "GET" else CREATE_PATH
        schema = _response_schema(contract, route, method, status)
        statement = _member(contract, schema, path, f"response {path}")
        if statement:
            statements.append(statement)
        if group.check == "request_echo":  # an echo: what was sent, as the request documents it, too
            sent = _member(contract, "request", path, f"request {path}")
            statements += [sent] if sent else []
    if group.check in STATUS_CHECKS:
        statements += _statuses(contract, group, example)
    return statements


def _response_schema(contract: Contract, route: str, method: str, status: int | None) -> str:
    try:
        named = contract.response_schema(route, method, status) if status is not None else None
    except KeyError:
        named = None
    return named or "conversation"


def _tokens(path: str) -> list[str]:
    """``participants[].addresses[].channel`` -> participants, items, addresses, items, channel."""
    out: list[str] = []
    for segment in path.split("."):
        name, brackets = re.match(r"^([^\[]*)((?:\[\d*\])*)$", segment).groups()  # type: ignore[union-attr]
        if name:
            out.append(name)
        out += ["items"] * brackets.count("[")
    return out


def _walk(contract: Contract, schema: str, tokens: list[str]) -> tuple[dict[str, Any], str, bool] | None:
    """The node at ``tokens`` inside ``schema``: (node, its x-source or its nearest parent's, required)."""
    from conformance.contract.schemas import SCHEMA_FILES

    base = SCHEMA_FILES.get(schema, schema)
    node, base = contract.follow(contract.documents[base], base)
    source, required = node.get("x-source", ""), True
    for token in tokens:
        parent = node
        if token == "items":
            if not isinstance(node.get("items"), dict):
                return None
            referrer = node["items"]
        else:
            if token not in node.get("properties", {}):
                return None
            referrer = node["properties"][token]
            required = token in parent.get("required", ())
        node, base = contract.follow(referrer, base)
        source = referrer.get("x-source") or node.get("x-source") or source
    return node, source, required


def _facts(node: dict[str, Any], required: bool | None) -> str:
    facts = []
    for keyword in FACT_KEYWORDS:
        if keyword in node:
            value = node[keyword]
            shown = " or ".join(map(str, value)) if keyword == "type" and isinstance(value, list) else value
            facts.append(f"{keyword} {', '.join(map(str, shown)) if isinstance(shown, list) else shown}")
    if required is not None:
        facts.append("required" if required else "optional")
    return "; ".join(facts) or "documented member"


def _member(contract: Contract, schema: str, path: str, member: str) -> DocsStatement | None:
    found = _walk(contract, schema, _tokens(path))
    if found is None or not found[1]:
        return None
    node, source, required = found
    return DocsStatement(member, source, _facts(node, required))


def _request_rule(contract: Contract, rule: str) -> list[DocsStatement]:
    """``participants.maxItems``: the request member ``participants`` and its ``maxItems``."""
    path, _, keyword = rule.rpartition(".")
    if not path:
        return []
    found = _walk(contract, "request", _tokens(path))
    if found is None or not found[1]:
        return []
    node, source, required = found
    states = _facts(node, required)
    if keyword == "required":
        states = f"required ({states})"
    elif keyword in node:
        value = node[keyword]
        states = f"{keyword} {', '.join(map(str, value)) if isinstance(value, list) else value} ({states})"
    return [DocsStatement(f"request {path} ({keyword})", source, states)]


def _statuses(contract: Contract, group: Group, example: dict[str, Any]) -> list[DocsStatement]:
    """The operation's documented answers, for a failure that is an unexpected status."""
    method = (example.get("request") or {}).get("method", "POST")
    route = FETCH_PATH if method == "GET" else CREATE_PATH
    try:
        operation = contract.operation(route, method)
    except KeyError:
        return []
    statuses = ", ".join(sorted(operation.get("responses", {})))
    expected = re.match(r"expected (\d{3})", group.cause)
    states = f"documented answers: {statuses}"
    if expected and expected.group(1) in operation.get("responses", {}):
        response = operation["responses"][expected.group(1)]
        if "$ref" in response:
            response = contract.openapi["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        states += f"; {expected.group(1)}: {response.get('description', '').rstrip('.')}"
    return [DocsStatement(f"{method} {route}", operation.get("x-source", ""), states)]


# --- the ticket as text ---------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    return templating.environment("conformance.report", code=code, cell=cell, block=block, pretty=_pretty)


def _pretty(body: str | None) -> str:
    if not body:
        return "(empty)"
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def render_markdown(ticket: Ticket) -> str:
    return _environment().get_template("ticket.md.j2").render(t=ticket).strip() + "\n"


def render_json(ticket: Ticket) -> str:
    return json.dumps(ticket.to_json(), indent=2, ensure_ascii=False) + "\n"


def file_stem(signature: str) -> str:
    """A file name for a group: ``ticket-request_echo-field-name``."""
    return "ticket-" + re.sub(r"[^A-Za-z0-9_]+", "-", signature).strip("-")[:80]
