"""What a run's cassettes add to a comparison: every response field path and header name seen.

results.json keeps bodies cut at 4 KiB; cassettes (vcrpy YAML) hold every exchange whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.report.document import Document, ReportInputError

CASSETTES_SUBDIR = "cassettes"


@dataclass
class Observed:
    """Field paths of conversation bodies and response header names, across a run's cassettes."""

    directory: Path
    files: int = 0
    interactions: int = 0
    fields: set[str] = field(default_factory=set)
    headers: set[str] = field(default_factory=set)


def cassette_dir(report_dir: Path, document: Document) -> Path | None:
    """``REPORT_DIR/cassettes`` when present, else the run's ``cassette_dir`` when it exists here."""
    if report_dir.is_file():
        report_dir = report_dir.parent
    candidates = [report_dir / CASSETTES_SUBDIR]
    if document.get("cassette_dir"):
        candidates.append(Path(document["cassette_dir"]))
    return next((path for path in candidates if path.is_dir()), None)


def read_cassettes(directory: Path) -> Observed:
    """Read every ``*.yaml``/``*.yml`` cassette under ``directory``."""
    import yaml

    from conformance.contract.members import field_paths
    from conformance.contract.schemas import load_contract

    contract = load_contract()
    observed = Observed(directory)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted([*directory.rglob("*.yaml"), *directory.rglob("*.yml")]):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ReportInputError(f"{path}: unreadable cassette ({_first_line(exc)})") from None
        interactions = data.get("interactions") if isinstance(data, dict) else None
        if not isinstance(interactions, list):
            raise ReportInputError(f"{path}: not a cassette (no 'interactions' list)")
        observed.files += 1
        for interaction in interactions:
            response = interaction.get("response") if isinstance(interaction, dict) else None
            if not isinstance(response, dict):
                continue
            observed.interactions += 1
            observed.headers.update(str(name).lower() for name in (response.get("headers") or {}))
            body = _conversation_body(response)
            if body is not None:
                observed.fields.update(field_paths(contract, "conversation", body))
    return observed


def _conversation_body(response: dict[str, Any]) -> dict[str, Any] | None:
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if code not in (200, 201):
        return None
    body = response.get("body")
    text = body.get("string") if isinstance(body, dict) else body
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) and "id" in value else None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
