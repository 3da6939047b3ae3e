"""The request body as it travels: the request schema, with ``null`` allowed for every optional member.

The docs type the request's optional members without ``null`` and do not say what an explicit
``null`` gets; the suite sends it as "absent" and reports a refusal (``null_as_absent``, README,
"Null means absent"). ``schemas/create-conversation-request.schema.json``
stays exactly as documented (generation, the emulator and the docs tests read it); ``openapi.yaml``
describes the wire with the derived file this module writes, so tools that read only the OpenAPI
document (schemathesis) neither send ``null`` as invalid data nor fail a server for accepting it.

Regenerate after changing the request schema: ``python -m conformance.contract.wire`` (a test holds the file
to this derivation).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance.contract.schemas import SCHEMA_FILES, Contract, load_contract, schemas_dir

WIRE_REQUEST_FILE = "create-conversation-request.wire.schema.json"


def wire_request_schema(contract: Contract) -> dict[str, Any]:
    """The request schema, ``$ref``s inlined, each optional object member also accepting ``null``.

    Required members stay non-null (a ``null`` required field is missing) and array items stay
    non-null (``null`` stands for an absent member, not an absent item).
    """
    source = contract.schema("request")
    root = {"$schema": source["$schema"], **_inline(contract, source, SCHEMA_FILES["request"])}
    root.pop("$defs", None)  # every reference is inlined, nothing points here any more
    root["title"] = f"{root['title']} (wire)"
    root["$comment"] = (
        f"Generated from {SCHEMA_FILES['request']} by `python -m conformance.contract.wire`; do not edit. "
        "Optional members also accept null, which means absent (the docs do not say; a refusal is reported)."
    )
    return root


def _inline(contract: Contract, node: dict[str, Any], base: str) -> dict[str, Any]:
    target, target_base = contract.follow(node, base)
    notes = {k: v for k, v in node.items() if k != "$ref"}  # the referrer's description and x-source win
    merged = copy.deepcopy({**target, **notes})  # never change the loaded documents
    merged.pop("$schema", None)
    if isinstance(merged.get("items"), dict):
        merged["items"] = _inline(contract, merged["items"], target_base)
    required = set(merged.get("required", []))
    for name, sub in merged.get("properties", {}).items():
        inlined = _inline(contract, sub, target_base)
        merged["properties"][name] = inlined if name in required else _nullable(inlined)
    return merged


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    kind = node["type"]
    node["type"] = [kind, "null"] if isinstance(kind, str) else [*kind, "null"]
    if "enum" in node:
        node["enum"] = [*node["enum"], None]
    return node


def write(directory: Path | None = None) -> Path:
    directory = directory or schemas_dir()
    path = directory / WIRE_REQUEST_FILE
    text = json.dumps(wire_request_schema(load_contract(directory)), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
