"""What a description says about the operations the suite covers, reduced to comparable facts.

The same reduction reads ``schemas/`` (JSON Schema 2020-12 files assembled by an OpenAPI 3.1 document) and the
vendor's published description (OpenAPI 3.0, ``nullable``, everything under ``#/components``): ``$ref`` chains
are followed with :meth:`Contract.follow`, so both spellings of "string or null" and of a shared component end
as the same :class:`Facts`. A member is named by its path in the body (``participants[].addresses[].channel``)
and remembers the steps that reach it, which is what :mod:`alternative` patches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract.schemas import CREATE_PATH, FETCH_PATH, OPENAPI_FILE, SCHEMA_FILES, Contract

# The operations the suite covers, as "METHOD PATH" (path parameters compared by position, not by name).
OPERATIONS: tuple[tuple[str, str], ...] = (("post", CREATE_PATH), ("get", FETCH_PATH))
LIMITS = ("maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties", "minimum",
          "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "format")  # fmt: skip
MAX_DEPTH = 12  # deeper than any body here; stops a recursive component

Step = tuple[str, ...]  # ("properties", name) | ("items",) | ("additionalProperties",)


@dataclass(frozen=True)
class Facts:
    """What one member says: its types (without null), whether null is allowed, whether its parent requires
    it, its enum (without null) and its limits."""

    types: frozenset[str]
    nullable: bool
    required: bool
    enum: frozenset[Any] | None
    limits: Mapping[str, Any]

    def types_with_null(self) -> frozenset[str]:
        return self.types | {"null"} if self.nullable else self.types


@dataclass(frozen=True)
class Member:
    facts: Facts
    steps: tuple[Step, ...]  # from the body's root
    node: dict[str, Any]  # the schema as the description spells it (what an addition copies)
    base: str  # the document that node lives in


@dataclass
class Shape:
    """Everything compared, by place: a body ("POST /v2/Conversations 201"), a request parameter
    ("POST /v2/Conversations header Idempotency-Key") or a response header ("... 409 header X-Foo")."""

    follow: Contract  # whose ``follow`` resolves this description's ``$ref``s
    statuses: dict[str, frozenset[str]] = field(default_factory=dict)  # operation -> documented statuses
    security: dict[str, frozenset[str]] = field(default_factory=dict)  # operation -> "http basic", ...
    bodies: dict[str, dict[str, Member]] = field(default_factory=dict)  # place -> member path -> member
    parameters: dict[str, dict[str, Member]] = field(default_factory=dict)  # operation -> "in name" -> member
    headers: dict[str, dict[str, Member]] = field(default_factory=dict)  # "operation status" -> name -> member
    scope: Scope | None = None  # what a partial source (a docs page) can speak to; None: everything


@dataclass(frozen=True)
class Scope:
    """The part of the contract a partial source documents; the rest is not compared."""

    operations: frozenset[str]
    depth: int  # member paths with more segments than this are not compared
    facts: frozenset[str]  # which Facts fields, plus "required:request" / "required:response"


def operation_name(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def members(contract: Contract, node: Any, base: str, required: bool = False, path: str = "",
            steps: tuple[Step, ...] = (), hidden: str = "writeOnly") -> Iterator[tuple[str, Member]]:  # fmt: skip
    """Every member of a body at every depth, the root first (path ``""``). ``hidden`` names the OpenAPI flag of
    members this direction never carries (``readOnly`` ones are not in a request, ``writeOnly`` ones not in a
    response)."""
    merged, base = resolved(contract, node if isinstance(node, dict) else {}, base)
    yield path, Member(facts_of(contract, merged, base, required), steps, merged, base)
    if len(steps) >= MAX_DEPTH:
        return
    required_here = set(merged.get("required", []))
    for name, sub in (merged.get("properties") or {}).items():
        if isinstance(sub, dict) and resolved(contract, sub, base)[0].get(hidden) is True:
            continue
        yield from members(contract, sub, base, name in required_here, f"{path}.{name}" if path else name,
                           (*steps, ("properties", name)), hidden)  # fmt: skip
    if isinstance(merged.get("items"), dict):
        yield from members(contract, merged["items"], base, False, f"{path}[]", (*steps, ("items",)), hidden)
    if isinstance(merged.get("additionalProperties"), dict):
        yield from members(contract, merged["additionalProperties"], base, False, f"{path}{{}}",
                           (*steps, ("additionalProperties",)), hidden)  # fmt: skip


def resolved(contract: Contract, node: dict[str, Any], base: str) -> tuple[dict[str, Any], str]:
    """``node`` with its ``$ref`` followed (the referrer's own keywords kept over the target's) and ``allOf``
    folded into one object."""
    target, target_base = contract.follow(node, base)
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}} if "$ref" in node else dict(target)
    for part in merged.pop("allOf", []):
        branch, _ = resolved(contract, part, target_base)
        merged["properties"] = {**merged.get("properties", {}), **branch.get("properties", {})}
        merged["required"] = [*merged.get("required", []), *branch.get("required", [])]
        for key, value in branch.items():
            merged.setdefault(key, value)
    return merged, target_base


def facts_of(contract: Contract, node: dict[str, Any], base: str, required: bool) -> Facts:
    declared = node.get("type")
    types = set(declared) if isinstance(declared, list) else {declared} if declared else set()
    for key in ("oneOf", "anyOf"):  # a union says its branches' types; its members are not compared
        for branch in node.get(key, []):
            types |= set(facts_of(contract, *resolved(contract, branch, base), False).types_with_null())
    if not types and "properties" in node:
        types = {"object"}
    enum = node.get("enum")
    nullable = "null" in types or node.get("nullable") is True or (enum is not None and None in enum)
    return Facts(frozenset(types - {"null"}), nullable, required,
                 frozenset(v for v in enum if v is not None) if enum is not None else None,
                 {key: node[key] for key in LIMITS if key in node})  # fmt: skip


def read_openapi(document: dict[str, Any], follow: Contract, base: str, request_body: Any = None) -> Shape:
    """The shape of an OpenAPI document (3.0 or 3.1) whose ``$ref``s ``follow`` resolves from ``base``.

    ``request_body`` overrides the create's request body schema (``schemas/`` describes the wire with a derived
    file; the documented request is what a published description is compared with)."""
    shape = Shape(follow)
    paths = document.get("paths") or {}
    for method, path in OPERATIONS:
        found = _find_path(paths, path)
        if found is None or method not in (paths[found] or {}):
            continue
        name = operation_name(method, path)
        item = paths[found]
        operation = item[method]
        shape.security[name] = _security(document, operation.get("security", document.get("security", [])))
        responses = operation.get("responses") or {}
        shape.statuses[name] = frozenset(str(status) for status in responses)
        params: dict[str, Member] = {}
        for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
            param, param_base = resolved(follow, raw, base)
            key = f"{param.get('in')} {param['name'].lower() if param.get('in') == 'header' else param['name']}"
            if param.get("in") == "path":
                key = "path parameter"  # positional: the name of {id} is the description's own choice
            for _, member in members(follow, param.get("schema", {}), param_base, bool(param.get("required"))):
                params[key] = member
                break
        shape.parameters[name] = params
        body = operation.get("requestBody")
        if body is not None:
            body, body_base = resolved(follow, body, base)
            schema = request_body if request_body is not None and method == "post" else _json_schema(body)
            if schema is not None:
                shape.bodies[f"{name} request"] = dict(members(follow, schema, body_base, hidden="readOnly"))
        for status, raw in responses.items():
            response, response_base = resolved(follow, raw, base)
            schema = _json_schema(response)
            if schema is not None:
                shape.bodies[f"{name} {status}"] = dict(members(follow, schema, response_base))
            headers: dict[str, Member] = {}
            for header, spec in (response.get("headers") or {}).items():
                spec, spec_base = resolved(follow, spec, response_base)
                headers[header.lower()] = next(m for _, m in members(follow, spec.get("schema", {}), spec_base))
            shape.headers[f"{name} {status}"] = headers
    return shape


def read_contract(contract: Contract) -> Shape:
    """The shape of ``schemas/``: the OpenAPI document, with the documented request rather than its wire form."""
    documents = {**contract.documents, OPENAPI_FILE: contract.openapi}
    follow = Contract(directory=contract.directory, documents=documents, openapi=contract.openapi)
    return read_openapi(contract.openapi, follow, OPENAPI_FILE, request_body={"$ref": SCHEMA_FILES["request"]})


def source_follower(document: dict[str, Any], name: str) -> Contract:
    """A :class:`Contract` used only for its ``follow``: a published description is one self-contained file."""
    return Contract(directory=Path(name), documents={name: document}, openapi=document)


def _find_path(paths: Mapping[str, Any], wanted: str) -> str | None:
    def pattern(path: str) -> tuple[str, ...]:
        return tuple("{}" if part.startswith("{") else part for part in path.rstrip("/").split("/"))

    return next((path for path in paths if pattern(path) == pattern(wanted)), None)


def _json_schema(container: dict[str, Any]) -> dict[str, Any] | None:
    content = container.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return media.get("schema") if isinstance(media, dict) else None


def _security(document: dict[str, Any], requirements: list[dict[str, Any]]) -> frozenset[str]:
    """Each scheme by what it is (``http basic``), not by the name a description gives it."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    found = set()
    for requirement in requirements:
        for name in requirement:
            scheme = schemes.get(name, {})
            kind = scheme.get("type", "unknown")
            detail = scheme.get("scheme") or scheme.get("in", "") + " " + scheme.get("name", "")
            found.add(f"{kind} {detail}".strip().lower())
    return frozenset(found)
