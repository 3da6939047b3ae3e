"""The README's parity section says what the code does: its kinds, its known-differences example, its command."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from conformance.parity.compare import KINDS
from conformance.parity.known import load_known

ROOT = Path(__file__).resolve().parents[2]


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("<!-- parity:start -->", 1)[1].split("<!-- parity:end -->", 1)[0]


def test_the_readme_lists_every_difference_kind() -> None:
    rows = re.findall(r"^\| (`[^|]+`) \|", section(), re.M)
    listed = {name for row in rows for name in re.findall(r"`([a-z_]+)`", row)}
    assert listed == set(KINDS)


def test_the_readme_known_differences_example_is_a_valid_file(tmp_path: Path) -> None:
    example = section().split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "known.toml").write_text(example, encoding="utf-8")
    [entry] = load_known(tmp_path / "known.toml")
    assert entry.kind == "member_extra" and entry.expires == date(2027, 3, 31)
    assert entry.matches("POST /v2/Conversations", "member_extra", "configuration.channelSettings")
