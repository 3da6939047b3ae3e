"""Known, accepted differences between the emulator and the vendor: ``conformance/emulator/parity-known.toml``.

Like the gate's known issues, each entry has a reason and an expiry, so an accepted difference is a
decision someone revisits, not noise everyone learns to ignore::

    [[differences]]
    kind = "member_extra"                 # a difference kind (see conformance.parity.compare.KINDS)
    route = "POST /v2/Conversations"      # optional, a glob; default: every route
    subject = "configuration.*"           # optional, a glob over the member path, check name...; default: any
    reason = "vendor ticket CX-1234: the vendor omits empty settings"
    expires = 2027-03-31                  # from the day after, the entry no longer accepts anything
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from conformance import PACKAGE_DIR
from conformance.contract.config_files import PARITY_KNOWN, problem, toml_line
from conformance.parity.compare import KINDS
from conformance.report.gate import as_date

KNOWN_FILE = PACKAGE_DIR / "emulator" / "parity-known.toml"


class KnownFileError(Exception):
    """The known-differences file cannot be used (``schemas/parity-known.schema.json``): one line naming the file,
    the line and the entry."""


@dataclass(frozen=True)
class KnownDifference:
    kind: str
    route: str
    subject: str
    reason: str
    expires: date

    def matches(self, route: str, kind: str, subject: str) -> bool:
        return kind == self.kind and fnmatchcase(route, self.route) and fnmatchcase(subject, self.subject)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "route": self.route, "subject": self.subject, "reason": self.reason,
                "expires": self.expires.isoformat()}  # fmt: skip


def shown(path: Path) -> str:
    """The file as reports name it: relative to the project when it is inside, else as given."""
    project = KNOWN_FILE.parents[2]
    resolved = path.resolve()
    return str(resolved.relative_to(project)) if resolved.is_relative_to(project) else str(path)


def load_known(path: Path = KNOWN_FILE) -> tuple[KnownDifference, ...]:
    """Parse and check the file; every problem is a :class:`KnownFileError` naming the entry."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise KnownFileError(f"{path}: known-differences file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownFileError(f"{path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnownFileError(f"{path}: not valid TOML: {exc}") from None
    said = problem(data, PARITY_KNOWN, path, text)
    if said:
        raise KnownFileError(said)
    return tuple(_entry(path, text, index, entry) for index, entry in enumerate(data.get("differences", [])))


def _entry(path: Path, text: str, index: int, entry: dict[str, Any]) -> KnownDifference:
    """What the schema cannot say: a kind parity knows, a date that exists."""

    def fail(message: str, key: str) -> KnownFileError:
        line = toml_line(text, ["differences", index, key])
        return KnownFileError(f"{path}{f' line {line}' if line else ''}: differences[{index}]: {message}")

    kind = entry["kind"]
    if kind not in KINDS:
        raise fail(f"kind {kind!r} is not a difference kind (known: {', '.join(KINDS)})", "kind")
    expires = as_date(entry["expires"])
    if expires is None:
        raise fail(f"expires must be a date such as 2027-03-31, got {entry['expires']!r}", "expires")
    return KnownDifference(kind, entry.get("route", "*"), entry.get("subject", "*"), entry["reason"].strip(), expires)
