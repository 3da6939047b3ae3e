"""The schemas a source implies: ``schemas/`` with every change the source shows applied, written to a folder.

Each change is applied where it was found, in the file that holds that member (``$ref``s followed), so the
result keeps ``schemas/``'s files, logical names and annotations (the checks and the generators read those)
and differs exactly by the changes. A member the source adds is copied from the source, converted to JSON
Schema 2020-12 (``nullable`` becomes ``"null"`` in ``type``, ``example`` becomes ``examples``, references
inlined). Everything patched names the source in ``x-source``; ``openapi.yaml`` lists the source under
``info.x-derived-from``. A change of security scheme is not applied: the checks do not read it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance.contract.schemas import OPENAPI_FILE, SCHEMA_FILES, Contract, load_contract
from conformance.contract_watch.changes import Change
from conformance.contract_watch.provenance import DERIVED_FROM
from conformance.contract_watch.shape import MAX_DEPTH, Member, Shape, Step, operation_name, read_contract, resolved
from conformance.contract_watch.source import Description

ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}
NOT_APPLIED = frozenset({"security changed"})


def write_alternative(current: Contract, description: Description, changes: list[Change], directory: Path) -> Contract:
    """Write ``schemas/`` with ``changes`` applied into ``directory`` (which must exist) and load it."""
    documents = copy.deepcopy(dict(current.documents))
    openapi = copy.deepcopy(current.openapi)
    patcher = _Patcher(
        Contract(directory, {**documents, OPENAPI_FILE: openapi}, openapi), description, read_contract(current)
    )
    for change in changes:
        if change.kind not in NOT_APPLIED:
            for place in change.where:
                patcher.apply(change, place)
    info = openapi.setdefault("info", {})
    info[DERIVED_FROM] = [*info.get(DERIVED_FROM, []), {"file": description.location, **description.identity}]
    from conformance.contract.wire import WIRE_REQUEST_FILE, wire_request_schema

    documents[WIRE_REQUEST_FILE] = wire_request_schema(Contract(directory, documents, openapi))
    for file, document in documents.items():
        (directory / file).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    import yaml

    text = yaml.safe_dump(openapi, sort_keys=False, allow_unicode=True)
    (directory / OPENAPI_FILE).write_text(text, encoding="utf-8")
    return load_contract(directory)


class _Patcher:
    def __init__(self, target: Contract, description: Description, current: Shape) -> None:
        self.target = target  # documents being patched (``follow`` returns their own nodes)
        self.description = description
        self.current = current  # schemas/ before any patch: where a member the source lacks was
        self.tag = f"{description.location}#contract diff"

    def apply(self, change: Change, place: str) -> None:
        operation, _, rest = place.partition(" /")
        method, path = operation.lower(), "/" + rest.split(" ", 1)[0]
        if change.kind.startswith("status"):
            return self._status(change, method, path)
        if change.kind.startswith("parameter") or change.subject.startswith("parameter "):
            return self._parameter(change, method, path)
        if change.kind.startswith("header") or change.subject.startswith("header "):
            return self._header(change, method, path, place.rsplit(" ", 1)[1])
        if change.subject == "(body)" and change.kind in ("member added", "member removed"):
            return self._whole_body(change, place, method, path)
        self._member(change, place, method, path)

    def _whole_body(self, change: Change, place: str, method: str, path: str) -> None:
        """A body one side does not document at all: drop ours, or take the source's."""
        operation = self._operation(method, path)
        if place.endswith(" request"):
            if change.kind == "member removed":
                operation.pop("requestBody", None)
            else:
                root = self.description.shape.bodies[place][""]
                schema = self._converted(root.node, root.base)
                operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
            return
        response = self._response(method, path, place.rsplit(" ", 1)[1], own=True)
        if change.kind == "member removed":
            response.pop("content", None)
        else:
            root = self.description.shape.bodies[place][""]
            response["content"] = {"application/json": {"schema": self._converted(root.node, root.base)}}

    # --- members of a body ---

    def _member(self, change: Change, place: str, method: str, path: str) -> None:
        member_path = "" if change.subject == "(body)" else change.subject
        source = self.description.shape.bodies[place].get(member_path)
        steps = source.steps if source is not None else self.current.bodies[place][member_path].steps
        root, base = self._body_root(place, method, path)
        if change.kind in ("member added", "member removed"):
            parent, _ = self._walk(root, base, steps[:-1])
            if change.kind == "member removed":
                self._cite(parent)  # nothing is left of the member to say where its absence comes from
                return _remove(parent, steps[-1])
            return self._add(parent, steps[-1], source)
        node, _ = self._walk(root, base, steps)
        if change.kind == "required changed":
            parent, _ = self._walk(root, base, steps[:-1])
            required = [n for n in parent.get("required", []) if n != steps[-1][-1]]
            parent["required"] = [*required, steps[-1][-1]] if change.after else required
            if not parent["required"]:
                del parent["required"]
        elif change.kind in ("type changed", "nullable changed"):
            assert source is not None
            kinds = sorted(source.facts.types_with_null())
            node["type"] = kinds[0] if len(kinds) == 1 else kinds
            if "enum" in node:
                node["enum"] = [v for v in node["enum"] if v is not None] + ([None] if source.facts.nullable else [])
            if change.kind == "type changed":  # a default or example of the old type would now be invalid
                node.pop("default", None)
                node.pop("examples", None)
                if "default" in source.node:
                    node["default"] = copy.deepcopy(source.node["default"])
                if "example" in source.node:
                    node["examples"] = [copy.deepcopy(source.node["example"])]
        elif change.kind == "enum value added":
            node["enum"] = [*node.get("enum", []), change.after]
        elif change.kind == "enum value removed":
            node["enum"] = [v for v in node.get("enum", []) if v != change.before]
        elif change.kind == "limit changed":
            name, value = change.after
            if value is None:
                node.pop(name, None)
            else:
                node[name] = value
        self._cite(node)

    def _cite(self, node: dict[str, Any]) -> None:
        """Add the source to the node's ``x-source`` pointers (the docs' own pointer stays first)."""
        pointers = [p.strip() for p in str(node.get("x-source", "")).split(";") if p.strip()]
        node["x-source"] = "; ".join(pointers if self.tag in pointers else [*pointers, self.tag])

    def _add(self, parent: dict[str, Any], step: Step, source: Member | None) -> None:
        assert source is not None
        node = self._converted(source.node, source.base)
        node["x-source"] = self.tag
        if step[0] == "properties":
            parent.setdefault("properties", {})[step[1]] = node
            if source.facts.required and step[1] not in parent.get("required", []):
                parent["required"] = [*parent.get("required", []), step[1]]
        else:
            parent[step[0]] = node

    def _body_root(self, place: str, method: str, path: str) -> tuple[dict[str, Any], str]:
        if place.endswith(" request"):
            return self.target.follow({"$ref": SCHEMA_FILES["request"]}, OPENAPI_FILE)
        response = self._response(method, path, place.rsplit(" ", 1)[1], own=False)
        media = response["content"]["application/json"]
        return self.target.follow(media["schema"], OPENAPI_FILE)

    def _walk(self, node: dict[str, Any], base: str, steps: tuple[Step, ...]) -> tuple[dict[str, Any], str]:
        node, base = self.target.follow(node, base)
        for step in steps:
            node = node["properties"][step[1]] if step[0] == "properties" else node[step[0]]
            node, base = self.target.follow(node, base)
        return node, base

    def _converted(self, node: dict[str, Any], base: str, depth: int = 0) -> dict[str, Any]:
        """A source schema as JSON Schema 2020-12, references inlined."""
        follow = self.description.shape.follow
        node, base = resolved(follow, node, base)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("nullable", "example", "discriminator", "xml", "externalDocs", "$ref"):
                continue
            if depth >= MAX_DEPTH and key in ("properties", "items", "additionalProperties"):
                continue
            if key == "properties":
                out[key] = {name: self._converted(sub, base, depth + 1) for name, sub in value.items()}
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                out[key] = self._converted(value, base, depth + 1)
            elif key in ("oneOf", "anyOf"):
                out[key] = [self._converted(branch, base, depth + 1) for branch in value]
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]  # 3.0's boolean form: the bound itself becomes exclusive
            else:
                out[key] = copy.deepcopy(value)
        if "exclusiveMinimum" in out and out.get("minimum") == out["exclusiveMinimum"]:
            out.pop("minimum")
        if "exclusiveMaximum" in out and out.get("maximum") == out["exclusiveMaximum"]:
            out.pop("maximum")
        if "example" in node:
            out["examples"] = [copy.deepcopy(node["example"])]
        if node.get("nullable") is True:
            kind = out.get("type")
            out["type"] = [*([kind] if isinstance(kind, str) else kind or []), "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    # --- statuses, parameters, headers (openapi.yaml) ---

    def _operation(self, method: str, path: str) -> dict[str, Any]:
        return self.target.openapi["paths"][path][method]

    def _response(self, method: str, path: str, status: str, own: bool) -> dict[str, Any]:
        """The response of ``status``; with ``own`` a shared component is copied into the operation first."""
        responses = self._operation(method, path)["responses"]
        if "$ref" in responses[status]:
            target, _ = self.target.follow(responses[status], OPENAPI_FILE)
            if not own:
                return target
            responses[status] = copy.deepcopy(target)
        return responses[status]

    def _status(self, change: Change, method: str, path: str) -> None:
        responses = self._operation(method, path)["responses"]
        status = change.subject
        if change.kind == "status removed":
            responses.pop(status, None)
            return
        if status.startswith(("4", "5")):
            responses[status] = dict(ERROR_RESPONSE)
            return
        body = self.description.shape.bodies.get(f"{operation_name(method, path)} {status}")
        response: dict[str, Any] = {"description": f"Documented by {self.description.location}."}
        if body is not None:
            root = body[""]
            response["content"] = {"application/json": {"schema": self._converted(root.node, root.base)}}
        responses[status] = response

    def _parameter(self, change: Change, method: str, path: str) -> None:
        where, _, name = change.subject.removeprefix("parameter ").partition(" ")
        operation = self._operation(method, path)
        # removed, or changed (then replaced as the source has it)
        operation["parameters"] = [p for p in operation.get("parameters", [])
                                   if (p.get("in"), p.get("name", "").lower()) != (where, name.lower())]  # fmt: skip
        if change.kind == "parameter removed":
            return
        member = self.description.shape.parameters[operation_name(method, path)][f"{where} {name}"]
        parameter = {"name": name, "in": where, "required": member.facts.required,
                     "schema": self._converted(member.node, member.base), "x-source": self.tag}  # fmt: skip
        operation["parameters"] = [*operation.get("parameters", []), parameter]

    def _header(self, change: Change, method: str, path: str, status: str) -> None:
        name = change.subject.removeprefix("header ")
        response = self._response(method, path, status, own=True)
        headers = response.setdefault("headers", {})
        for existing in [h for h in headers if h.lower() == name.lower()]:
            del headers[existing]
        if change.kind != "header removed":
            member = self.description.shape.headers[f"{operation_name(method, path)} {status}"][name]
            headers[name] = {"description": f"Documented by {self.description.location}.",
                             "schema": self._converted(member.node, member.base)}  # fmt: skip
        if not headers:
            del response["headers"]


def _remove(parent: dict[str, Any], step: Step) -> None:
    if step[0] == "properties":
        parent.get("properties", {}).pop(step[1], None)
        if step[1] in parent.get("required", []):
            parent["required"] = [n for n in parent["required"] if n != step[1]]
            if not parent["required"]:
                del parent["required"]
    else:
        parent.pop(step[0], None)
