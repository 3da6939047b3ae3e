"""The embedded history store: one SQLite file (stdlib ``sqlite3``), created on first use.

Tables: ``nights`` (one row a run), ``latency`` (a row per night and route), ``groups`` (a row per night and
failure group), ``families`` (a row per night and case family: judged or not; the coverage ledger's source),
``group_families`` (a row per night, group and case family it failed in) and ``allowed_checks`` (a row per night
that ran with a --checks allow-list): with the last three, a night proves a group fixed only where it judged it.
``PRAGMA user_version`` holds the layout's version, so a file from another layout is refused with a clear line
rather than misread; an older file gains the newer tables on first open.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from conformance.report.history.store import GroupRecord, HistoryError, Night

LAYOUT_VERSION = 3
UPGRADABLE = (1, 2)  # older layouts this one only adds tables to
_LAYOUT = """
CREATE TABLE IF NOT EXISTS nights (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    target TEXT NOT NULL,
    seed INTEGER,
    counts TEXT NOT NULL,
    UNIQUE (run_id, recorded_at)
);
CREATE TABLE IF NOT EXISTS latency (
    night INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
    route TEXT NOT NULL,
    count INTEGER NOT NULL,
    p50 REAL, p95 REAL, p99 REAL,
    PRIMARY KEY (night, route)
);
CREATE TABLE IF NOT EXISTS groups (
    night INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    check_name TEXT NOT NULL,
    cause TEXT NOT NULL,
    cases INTEGER NOT NULL,
    example TEXT NOT NULL,
    confirmation TEXT,
    PRIMARY KEY (night, signature)
);
CREATE TABLE IF NOT EXISTS families (
    night INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
    family TEXT NOT NULL,
    judged INTEGER NOT NULL,
    PRIMARY KEY (night, family)
);
CREATE TABLE IF NOT EXISTS group_families (
    night INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    family TEXT NOT NULL,
    PRIMARY KEY (night, signature, family)
);
CREATE TABLE IF NOT EXISTS allowed_checks (
    night INTEGER PRIMARY KEY REFERENCES nights(id) ON DELETE CASCADE,
    checks TEXT NOT NULL
);
"""


class SQLiteHistory:
    """A history in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.location = str(path)
        if path.is_dir():
            raise HistoryError(f"{path} is a directory, not a history file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
            self._db.execute("PRAGMA foreign_keys = ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except (sqlite3.DatabaseError, OSError) as exc:
            raise HistoryError(f"{path}: not a usable history file ({exc})") from None
        if tables and version != LAYOUT_VERSION and version not in UPGRADABLE:
            self._db.close()
            raise HistoryError(f"{path}: not a conformance history (layout {version}, expected {LAYOUT_VERSION})")
        if version != LAYOUT_VERSION:
            with self._db:
                self._db.executescript(_LAYOUT)
                self._db.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    def record(self, night: Night) -> None:
        try:
            with self._db:  # one transaction: a night is recorded whole or not at all
                self._db.execute(
                    "DELETE FROM nights WHERE run_id = ? AND recorded_at = ?",
                    (night.run_id, night.recorded_at.isoformat()),
                )
                cursor = self._db.execute(
                    "INSERT INTO nights (run_id, recorded_at, verdict, target, seed, counts) VALUES (?, ?, ?, ?, ?, ?)",
                    (night.run_id, night.recorded_at.isoformat(), night.verdict, night.target, night.seed,
                     json.dumps(night.counts, sort_keys=True)),
                )  # fmt: skip
                key = cursor.lastrowid
                self._db.executemany(
                    "INSERT INTO latency (night, route, count, p50, p95, p99) VALUES (?, ?, ?, ?, ?, ?)",
                    [(key, route, s["count"], s.get("p50"), s.get("p95"), s.get("p99"))
                     for route, s in night.latency.items()],
                )  # fmt: skip
                self._db.executemany(
                    "INSERT INTO groups (night, signature, check_name, cause, cases, example, confirmation) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(key, g.signature, g.check, g.cause, g.cases, g.example, g.confirmation) for g in night.groups],
                )
                self._db.executemany(
                    "INSERT INTO families (night, family, judged) VALUES (?, ?, ?)",
                    [(key, name, int(judged)) for name, judged in night.families.items()],
                )
                self._db.executemany(
                    "INSERT INTO group_families (night, signature, family) VALUES (?, ?, ?)",
                    [(key, g.signature, family) for g in night.groups for family in g.families],
                )
                if night.checks is not None:
                    self._db.execute("INSERT INTO allowed_checks (night, checks) VALUES (?, ?)",
                                     (key, json.dumps(list(night.checks))))  # fmt: skip
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.location}: cannot record run {night.run_id} ({exc})") from None

    def nights(self, last: int | None = None) -> list[Night]:
        try:
            rows = self._db.execute(
                "SELECT id, run_id, recorded_at, verdict, target, seed, counts FROM nights "
                "ORDER BY recorded_at DESC, id DESC LIMIT ?",
                (-1 if last is None else last,),
            ).fetchall()
            nights = []
            for key, run_id, recorded_at, verdict, target, seed, counts in reversed(rows):
                latency = {
                    route: {"count": count, "p50": p50, "p95": p95, "p99": p99}
                    for route, count, p50, p95, p99 in self._db.execute(
                        "SELECT route, count, p50, p95, p99 FROM latency WHERE night = ? ORDER BY route", (key,)
                    )
                }
                failed_in: dict[str, list[str]] = {}
                for signature, family in self._db.execute(
                    "SELECT signature, family FROM group_families WHERE night = ? ORDER BY rowid", (key,)
                ):
                    failed_in.setdefault(signature, []).append(family)
                groups = tuple(
                    GroupRecord(*row, families=tuple(failed_in.get(row[0], ())))
                    for row in self._db.execute(
                        "SELECT signature, check_name, cause, cases, example, confirmation FROM groups "
                        "WHERE night = ? ORDER BY rowid",  # as recorded: the digest's order, most serious first
                        (key,),
                    )
                )
                families = {name: bool(judged) for name, judged in self._db.execute(
                    "SELECT family, judged FROM families WHERE night = ? ORDER BY rowid", (key,))}  # fmt: skip
                allowed = self._db.execute("SELECT checks FROM allowed_checks WHERE night = ?", (key,)).fetchone()
                nights.append(Night(run_id, datetime.fromisoformat(recorded_at), verdict, target, seed,
                                    json.loads(counts), latency, groups, families,
                                    None if allowed is None else tuple(json.loads(allowed[0]))))  # fmt: skip
            return nights
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.location}: cannot read the history ({exc})") from None

    def close(self) -> None:
        self._db.close()
