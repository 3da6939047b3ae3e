"""What ``schemas/`` was derived from: ``info.x-derived-from`` in ``openapi.yaml`` lists each description (file,
version or commit, sha256, date), and every ``x-source`` (``FILE#SECTION``, or ``FILE@VERSION#SECTION`` when
one file was read in several versions) names one of them. Stating the version once per file, not on every
property, keeps it one fact in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.contract.schemas import Contract

DERIVED_FROM = "x-derived-from"


@dataclass(frozen=True)
class Origin:
    """One description ``schemas/`` was derived from, and how many ``x-source`` pointers name it."""

    file: str
    version: str | None
    commit: str | None
    sha256: str | None
    date: str | None
    cited: int

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}

    def line(self) -> str:
        said = [f"{label} {value}" for label, value in (("version", self.version), ("commit", self.commit),
                ("dated", self.date), ("sha256", (self.sha256 or "")[:12] or None)) if value]  # fmt: skip
        return f"{self.file} ({', '.join(said) or 'no version recorded'}; cited by {self.cited} x-source)"


def origins(contract: Contract) -> list[Origin]:
    """Each listed description with its citations, then any file an ``x-source`` names that is not listed."""
    cited = Counter(_file(source) for source in _sources(contract))
    listed = (contract.openapi.get("info") or {}).get(DERIVED_FROM) or []
    found = []
    for entry in listed:
        keys = {entry["file"], *(f"{entry['file']}@{entry[k]}" for k in ("version", "commit") if entry.get(k))}
        found.append(Origin(entry["file"], _text(entry.get("version")), _text(entry.get("commit")),
                            _text(entry.get("sha256")), _text(entry.get("date")),
                            sum(cited.pop(key, 0) for key in keys)))  # fmt: skip
    found += [Origin(file, None, None, None, None, count) for file, count in sorted(cited.items())]
    return found


def matching(contract: Contract, sha256: str) -> Origin | None:
    """The origin whose content is exactly ``sha256``: the source is what ``schemas/`` was derived from."""
    return next((o for o in origins(contract) if o.sha256 == sha256), None)


def _file(pointer: str) -> str:
    """``FILE@VERSION#SECTION`` -> ``FILE@VERSION``; ``FILE#SECTION`` -> ``FILE``."""
    return pointer.strip().partition("#")[0]


def _sources(contract: Contract) -> Iterator[str]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("x-source"), str):  # "a#x; b#y" points at two documents
                yield from (pointer for pointer in node["x-source"].split(";") if pointer.strip())
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for document in (*contract.documents.values(), contract.openapi):
        yield from walk(document)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
