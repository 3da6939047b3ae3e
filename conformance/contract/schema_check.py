"""`conformance schemas check`: is the contract folder itself sound?"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import Unresolvable

from conformance.contract.schemas import OPENAPI_FILE, Contract, load_contract


@dataclass(frozen=True)
class SchemaReport:
    schemas: int
    properties: int
    examples: int
    problems: tuple[str, ...]

    @property
    def summary(self) -> str:
        verdict = "ok" if not self.problems else f"{len(self.problems)} problem(s)"
        return (
            f"schemas {verdict}: {self.schemas} JSON Schemas and {OPENAPI_FILE} checked, "
            f"{self.properties} properties, {self.examples} examples validated"
        )


def check_schemas(directory: Path | None = None) -> SchemaReport:
    contract = load_contract(directory)
    problems: list[str] = []
    properties = examples = 0
    for file, document in contract.documents.items():
        try:
            Draft202012Validator.check_schema(document)
        except SchemaError as exc:
            problems.append(f"{file}: not a valid 2020-12 schema: {exc.message}")
            continue
        for pointer, node in _subschemas(document, ""):
            properties += len(node.get("properties", {}))
            for ref in [node["$ref"]] if "$ref" in node else []:
                try:
                    contract.registry.resolver(base_uri=file).lookup(ref)
                except Unresolvable:
                    problems.append(f"{file}{pointer}: $ref {ref!r} does not resolve")
            for example in node.get("examples", []):
                examples += 1
                problems.extend(_check_example(contract, file, pointer, node, example))
    try:
        validate_openapi(contract.openapi, base_uri=(contract.directory / OPENAPI_FILE).as_uri())
    except OpenAPIValidationError as exc:
        problems.append(f"{OPENAPI_FILE}: not valid OpenAPI 3.1: {exc.message}")
    except Unresolvable as exc:  # a broken $ref inside a schema the document pulls in
        problems.append(f"{OPENAPI_FILE}: a reference does not resolve: {exc.ref}")
    return SchemaReport(len(contract.documents), properties, examples, tuple(problems))


def _check_example(contract: Contract, file: str, pointer: str, node: dict[str, Any], example: Any) -> list[str]:
    validator = Draft202012Validator(
        node, registry=contract.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{file}{pointer}: example {example!r} fails: {e.message}" for e in validator.iter_errors(example)]


def _subschemas(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key not in ("examples", "enum", "default", "x-address-forms"):
                yield from _subschemas(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{pointer}/{index}")
