"""The contract: the JSON Schemas in ``schemas/``, loaded once, handed out compiled.

Everything that validates a request or a response goes through here, so a schema
change reaches the emulator, the generators and the checks at the same time. The validation
libraries are imported on first use, so walking a schema (the report commands do) costs none of them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance import PACKAGE_DIR

if TYPE_CHECKING:  # the validators are imported when first used: reading the schemas needs none of them
    from jsonschema import Draft202012Validator, ValidationError
    from referencing import Registry

SCHEMAS_ENV = "CONFORMANCE_SCHEMAS_DIR"

# Logical names used throughout the project -> files in schemas/.
SCHEMA_FILES: Mapping[str, str] = {
    "request": "create-conversation-request.schema.json",
    "conversation": "conversation.schema.json",
    "participant": "participant.schema.json",
    "address": "address.schema.json",
    "configuration": "configuration.schema.json",
    "error": "error.schema.json",
}
OPENAPI_FILE = "openapi.yaml"

CREATE_PATH = "/v2/Conversations"
FETCH_PATH = "/v2/Conversations/{id}"


def schemas_dir() -> Path:
    """Where ``schemas/`` lives: the env override, the source checkout, or the installed copy."""
    override = os.environ.get(SCHEMAS_ENV)
    if override:
        return Path(override)
    checkout = PACKAGE_DIR.parent / "schemas"
    if checkout.is_dir():
        return checkout
    return PACKAGE_DIR / "_schemas"  # placed there by the wheel build


@dataclass(frozen=True)
class Contract:
    """The loaded schema documents plus compiled validators for them."""

    directory: Path
    documents: Mapping[str, dict[str, Any]]  # by file name
    openapi: dict[str, Any]
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict, repr=False)
    _fast: dict[str, Any] = field(default_factory=dict, repr=False)
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # worked out once, by its key

    def schema(self, name: str) -> dict[str, Any]:
        return self.documents[SCHEMA_FILES.get(name, name)]

    @functools.cached_property
    def registry(self) -> Registry:
        """The schema files as a ``referencing`` registry, so ``$ref`` between them resolves."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry().with_resources(
            (file, Resource.from_contents(doc, default_specification=DRAFT202012))
            for file, doc in self.documents.items()
        )

    def validator(self, name: str) -> Draft202012Validator:
        """A jsonschema validator with format checking on (a bad ``date-time`` is an error)."""
        from jsonschema import Draft202012Validator, FormatChecker

        if name not in self._validators:
            self._validators[name] = Draft202012Validator(
                self.schema(name), registry=self.registry, format_checker=FormatChecker()
            )
        return self._validators[name]

    def errors(self, name: str, instance: Any) -> list[ValidationError]:
        """Every violation of schema ``name``, shallowest first."""
        if self.is_valid(name, instance):  # the compiled answer is ~10x faster; only invalid bodies need reasons
            return []
        return sorted(self.validator(name).iter_errors(instance), key=lambda e: (len(e.path), list(map(str, e.path))))

    def is_valid(self, name: str, instance: Any) -> bool:
        """Fast yes/no (compiled in Rust); use :meth:`errors` for the reasons."""
        if name not in self._fast:
            import jsonschema_rs

            rs_registry = jsonschema_rs.Registry([(uri, doc) for uri, doc in self.documents.items()])
            self._fast[name] = jsonschema_rs.validator_for(
                self.schema(name), registry=rs_registry, validate_formats=True, base_uri=SCHEMA_FILES.get(name, name)
            )
        return bool(self._fast[name].is_valid(instance))

    # --- what the OpenAPI document says about responses -------------------------------

    def operation(self, path: str, method: str) -> dict[str, Any]:
        return self.openapi["paths"][path][method.lower()]

    def documented_statuses(self, path: str, method: str) -> frozenset[int]:
        return frozenset(int(code) for code in self.operation(path, method)["responses"])

    def documented_headers(self, path: str, method: str, status: int) -> frozenset[str]:
        """Header names (lower case) the contract names for one response."""
        response = self._response(path, method, status)
        return frozenset(name.lower() for name in response.get("headers", {}))

    def response_schema(self, path: str, method: str, status: int) -> str | None:
        """Logical schema name of a documented response body, or None when undocumented."""
        response = self._response(path, method, status)
        ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        if ref is None:
            return None
        by_file = {file: name for name, file in SCHEMA_FILES.items()}
        return by_file.get(ref, ref)

    def _response(self, path: str, method: str, status: int) -> dict[str, Any]:
        response = self.operation(path, method)["responses"].get(str(status), {})
        if "$ref" in response:  # only local component refs are used for responses
            response = self.openapi["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        return response

    def enum(self, name: str, *path: str) -> tuple[str, ...]:
        """The enum of the property at ``path`` inside schema ``name`` (``items`` steps into arrays)."""
        return tuple(self.node(name, *path)["enum"])

    def node(self, name: str, *path: str) -> dict[str, Any]:
        """The subschema at ``path`` (property names, or ``items``), with ``$ref`` followed."""
        base = SCHEMA_FILES.get(name, name)
        node, base = self.follow(self.documents[base], base)
        for part in path:
            node = node["items"] if part == "items" else node["properties"][part]
            node, base = self.follow(node, base)
        return node

    def follow(self, node: dict[str, Any], base: str) -> tuple[dict[str, Any], str]:
        """Follow ``$ref`` chains from ``node`` in document ``base``; return the target and its document."""
        while "$ref" in node:
            node, base, _pointer = self.referenced(node["$ref"], base)
        return node, base

    def referenced(self, ref: str, base: str) -> tuple[dict[str, Any], str, str]:
        """What one ``$ref`` in document ``base`` names: the node, its document and its JSON pointer there."""
        file, _, pointer = ref.partition("#")
        base = file or base
        node = self.documents[base]
        for part in filter(None, pointer.split("/")):
            node = node[part]
        return node, base, pointer


@functools.cache
def load_contract(directory: Path | None = None) -> Contract:
    """Load ``schemas/`` once per process (per directory)."""
    directory = directory or schemas_dir()
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.schema.json")):
        try:
            documents[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ContractError(f"{path}: not valid JSON ({exc})") from exc
    missing = [file for file in SCHEMA_FILES.values() if file not in documents]
    if missing:
        raise ContractError(f"{directory}: missing schema files {', '.join(missing)}")
    import yaml

    try:
        openapi = yaml.safe_load((directory / OPENAPI_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{directory / OPENAPI_FILE}: {exc}") from exc
    return Contract(directory=directory, documents=documents, openapi=openapi)


class ContractError(Exception):
    """The schema folder cannot be loaded."""
