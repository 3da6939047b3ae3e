"""The result of `contract diff` as one document (``--format json``), and as text or Markdown from templates."""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

from conformance import templating
from conformance.contract_watch.changes import Change
from conformance.contract_watch.impact import Impact
from conformance.contract_watch.provenance import Origin
from conformance.contract_watch.source import Description
from conformance.report.markdown import cell, code

FORMATS = ("text", "md", "json")


def document(description: Description, origins: list[Origin], changes: list[Change], impact: Impact | None,
             derived_from: Origin | None) -> dict[str, Any]:  # fmt: skip
    breaking = sum(change.severity == "breaking" for change in changes)
    source = {"location": description.location, "kind": description.kind, **description.identity}
    return {
        "source": {**source, "derived_from": derived_from.file if derived_from else None},
        "derived_from": [{**origin.to_json(), "line": origin.line()} for origin in origins],
        "changes": [change.to_json() for change in changes],
        "counts": {"changes": len(changes), "breaking": breaking, "additive": len(changes) - breaking},
        "impact": impact.to_json() if impact is not None else None,
    }


def render(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return _environment().get_template(f"contract_diff.{'md' if fmt == 'md' else 'txt'}.j2").render(doc=doc)


@functools.cache
def _environment() -> jinja2.Environment:
    return templating.environment("conformance.contract_watch", keep_trailing_newline=True, cell=cell, code=code)
