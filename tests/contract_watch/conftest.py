"""Fixtures for the contract watch tests: the hand-written descriptions and a loader for variants of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.schemas import load_contract
from conformance.contract_watch.changes import Change, compare
from conformance.contract_watch.shape import read_contract
from conformance.contract_watch.source import read_source

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def diff_of(tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], list[Change]]:
    """The changes a variant of the identical fixture shows (``mutate`` edits its document in place)."""

    def diff(mutate: Callable[[dict[str, Any]], None]) -> list[Change]:
        document = json.loads((FIXTURES / "identical.json").read_text(encoding="utf-8"))
        mutate(document)
        path = tmp_path / "variant.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        current = load_contract()
        return compare(read_contract(current), read_source(str(path), current).shape)

    return diff
