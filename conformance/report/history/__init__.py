"""Memory across nights: each run recorded into a history store, each failure group followed by its signature.

``open_history`` is the one place a store is chosen (today: the embedded SQLite file); ``record_run`` is what
``conformance run``, ``report build`` and ``report merge`` call; ``HistoryView`` is what the reports and
``conformance history`` show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from conformance.report.history.status import DEFAULT_WINDOW, GroupHistory, group_histories
from conformance.report.history.store import HistoryError, HistoryStore, Night

HISTORY_ENV = "CONFORMANCE_HISTORY"


def history_location(option: Path | None) -> Path | None:
    """``--history PATH`` when given, else ``CONFORMANCE_HISTORY`` when set, else no history."""
    if option is not None:
        return option
    value = os.environ.get(HISTORY_ENV, "").strip()
    return Path(value) if value else None


def open_history(location: Path) -> HistoryStore:
    """The store at ``location`` (an SQLite file, created on first use)."""
    from conformance.report.history.sqlite import SQLiteHistory

    return SQLiteHistory(location)


@dataclass
class HistoryView:
    """The window of nights up to the newest one, and every group that failed within it."""

    location: str
    nights: list[Night]  # the window, oldest first
    groups: list[GroupHistory]
    total_nights: int

    @classmethod
    def of(cls, store: HistoryStore, window: int = DEFAULT_WINDOW) -> HistoryView:
        nights = store.nights()
        return cls(store.location, nights[-window:], group_histories(nights, window), len(nights))

    def group(self, signature: str) -> GroupHistory | None:
        return next((g for g in self.groups if g.signature == signature), None)

    @property
    def failing(self) -> list[GroupHistory]:
        return [g for g in self.groups if g.failing]

    def to_json(self) -> dict[str, Any]:
        return {
            "history": self.location,
            "nights_recorded": self.total_nights,
            "window": len(self.nights),
            "nights": [night.to_json() for night in self.nights],
            "groups": [
                {"signature": g.signature, "check": g.check, "cause": g.cause, "status": g.status,
                 "first_seen": g.first_seen.day, "last_seen": g.last_seen.day,
                 "since": g.since.day if g.since else None, "streak": g.streak,
                 "nights_failing": g.nights_failing, "window": g.window, "example": g.latest.example,
                 "confirmation": g.latest.confirmation, "line": g.line()}
                for g in self.groups
            ],
        }  # fmt: skip


def record_run(store: HistoryStore, document: dict[str, Any], at: datetime | None = None,
               window: int = DEFAULT_WINDOW) -> HistoryView | None:  # fmt: skip
    """Record ``document`` as a night (again: it replaces itself) and return the history as of it; None for a
    shard without the rest of its run: part of a run is not a night (the merged run is recorded)."""
    from conformance.report.document import missing_shards
    from conformance.report.history.record import night_of

    if missing_shards(document.get("shard")):
        return None
    store.record(night_of(document, at))
    return HistoryView.of(store, window)


__all__ = ["DEFAULT_WINDOW", "HISTORY_ENV", "HistoryError", "HistoryStore", "HistoryView", "history_location",
           "open_history", "record_run"]  # fmt: skip
