"""Where records live: :class:`MemoryStore` (default) or :class:`SQLiteStore` (a file that survives a restart)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Protocol

from conformance.emulator.exceptions import DatabaseError
from conformance.emulator.records import Configuration, Conversation, IdempotencyRecord


class Store(Protocol):
    """Where records live. Implementations must be safe to call from several threads."""

    def put_configuration(self, configuration: Configuration) -> None: ...
    def configuration(self, account_id: str, configuration_id: str) -> Configuration | None: ...
    def configurations(self) -> list[Configuration]: ...
    def put_conversation(self, conversation: Conversation, idempotency_key: str | None, fingerprint: str) -> None: ...
    def conversation(self, account_id: str, conversation_id: str) -> Conversation | None: ...
    def idempotency(self, account_id: str, key: str) -> IdempotencyRecord | None: ...
    def count_conversations(self) -> int: ...
    def conversation_rows(self) -> Iterator[tuple[int, str, bytes | str]]: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


class MemoryStore:
    """Dictionaries in this process (the default)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configurations: dict[tuple[str, str], Configuration] = {}
        self._conversations: dict[str, tuple[str, bytes]] = {}  # id -> (account, JSON): few objects for the GC
        self._keys: dict[tuple[str, str], IdempotencyRecord] = {}

    def put_configuration(self, configuration: Configuration) -> None:
        with self._lock:
            self._configurations[configuration.account_id, configuration.id] = configuration

    def configuration(self, account_id: str, configuration_id: str) -> Configuration | None:
        return self._configurations.get((account_id, configuration_id))

    def configurations(self) -> list[Configuration]:
        with self._lock:
            return list(self._configurations.values())

    def put_conversation(self, conversation: Conversation, idempotency_key: str | None, fingerprint: str) -> None:
        with self._lock:
            self._conversations[conversation.id] = (conversation.account_id, conversation.to_json())
            if idempotency_key is not None:
                self._keys[conversation.account_id, idempotency_key] = IdempotencyRecord(fingerprint, conversation.id)

    def conversation(self, account_id: str, conversation_id: str) -> Conversation | None:
        found = self._conversations.get(conversation_id)
        return Conversation.from_json(found[1]) if found is not None and found[0] == account_id else None

    def idempotency(self, account_id: str, key: str) -> IdempotencyRecord | None:
        return self._keys.get((account_id, key))

    def count_conversations(self) -> int:
        return len(self._conversations)

    def conversation_rows(self) -> Iterator[tuple[int, str, bytes | str]]:
        """Every stored conversation as (row number from 1, id, JSON), oldest first."""
        with self._lock:
            rows = [(conversation_id, body) for conversation_id, (_account, body) in self._conversations.items()]
        for number, (conversation_id, body) in enumerate(rows, 1):
            yield number, conversation_id, body

    def clear(self) -> None:
        with self._lock:
            self._configurations.clear()
            self._conversations.clear()
            self._keys.clear()

    def close(self) -> None:
        return None


class SQLiteStore:
    """A SQLite file (stdlib ``sqlite3``): state survives a restart. One connection, one lock."""

    SCHEMA = """
        CREATE TABLE IF NOT EXISTS configurations (
            account_id TEXT NOT NULL, id TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (account_id, id));
        CREATE TABLE IF NOT EXISTS conversations (
            id TEXT PRIMARY KEY, account_id TEXT NOT NULL, body TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            account_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, conversation_id TEXT NOT NULL,
            PRIMARY KEY (account_id, key));
    """

    # Rows the emulator could not have written; any one of them makes every later read fail.
    CORRUPT_ROWS: ClassVar[dict[str, str]] = {
        "configurations": "SELECT count(*) FROM configurations WHERE NOT json_valid(settings) "
        "OR json_type(settings) IS NOT 'object'",
        "conversations": "SELECT count(*) FROM conversations WHERE NOT json_valid(body) "
        "OR json_extract(body, '$.id') IS NOT id OR json_extract(body, '$.accountId') IS NOT account_id "
        "OR json_type(body, '$.configuration') IS NOT 'object' "
        + "".join(f"OR json_type(body, '$.{name}') IS NOT 'text' "
                  for name in ("configurationId", "status", "createdAt", "updatedAt"))
        + "OR json_type(body, '$.participants') NOT IN ('array') ",
        "idempotency_keys": "SELECT count(*) FROM idempotency_keys AS k WHERE NOT EXISTS (SELECT 1 FROM conversations "
        "AS c WHERE c.id = k.conversation_id AND c.account_id = k.account_id)",
    }  # fmt: skip

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        # timeout=0: a database another process holds is refused at once, not after a wait.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=0)
        try:
            with self._lock:
                self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        """Take the database for this process alone, then create or check its schema and rows.

        EXCLUSIVE locking mode keeps the lock from the first write until the connection closes, so a
        second emulator on the same file is refused here (one writer per database); in that mode WAL
        keeps its index in memory, so no ``-shm`` file is made, and closing removes the ``-wal``.
        """
        db = self._db
        try:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN EXCLUSIVE")
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseError("in use by another emulator or program (one writer per database)") from None
            raise
        db.execute("PRAGMA synchronous=NORMAL")
        found = _schema(db)
        if not found:
            db.executescript(self.SCHEMA)
            return
        expected = sqlite3.connect(":memory:")
        expected.executescript(self.SCHEMA)
        try:
            wanted = _schema(expected)
        finally:
            expected.close()
        if found != wanted:
            problems = [f"{name} (not the emulator's)" for name in found if name not in wanted]
            problems += [f"{name} ({'changed' if name in found else 'missing'})" for name in wanted
                         if found.get(name) != wanted[name]]  # fmt: skip
            raise DatabaseError(f"not an emulator database: {', '.join(sorted(problems))}")
        for table, query in self.CORRUPT_ROWS.items():
            bad = db.execute(query).fetchone()[0]
            if bad:
                raise DatabaseError(f"{bad} row(s) of table {table} were not written by the emulator")

    def put_configuration(self, configuration: Configuration) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO configurations VALUES (?, ?, ?)",
                (configuration.account_id, configuration.id, _dump(configuration.settings)),
            )

    def configuration(self, account_id: str, configuration_id: str) -> Configuration | None:
        with self._lock:
            row = self._db.execute(
                "SELECT settings FROM configurations WHERE account_id = ? AND id = ?", (account_id, configuration_id)
            ).fetchone()
        return Configuration(configuration_id, account_id, json.loads(row[0])) if row else None

    def configurations(self) -> list[Configuration]:
        with self._lock:
            rows = self._db.execute("SELECT id, account_id, settings FROM configurations ORDER BY rowid").fetchall()
        return [Configuration(row[0], row[1], json.loads(row[2])) for row in rows]

    def put_conversation(self, conversation: Conversation, idempotency_key: str | None, fingerprint: str) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO conversations VALUES (?, ?, ?)",
                    (conversation.id, conversation.account_id, conversation.to_json().decode()),
                )
                if idempotency_key is not None:
                    self._db.execute(  # OR REPLACE: a key whose conversation is gone is taken over, not a 500
                        "INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, ?, ?)",
                        (conversation.account_id, idempotency_key, fingerprint, conversation.id),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def conversation(self, account_id: str, conversation_id: str) -> Conversation | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM conversations WHERE id = ? AND account_id = ?", (conversation_id, account_id)
            ).fetchone()
        return Conversation.from_json(row[0]) if row else None

    def idempotency(self, account_id: str, key: str) -> IdempotencyRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT fingerprint, conversation_id FROM idempotency_keys WHERE account_id = ? AND key = ?",
                (account_id, key),
            ).fetchone()
        return IdempotencyRecord(row[0], row[1]) if row else None

    def count_conversations(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM conversations").fetchone()[0])

    def conversation_rows(self) -> Iterator[tuple[int, str, bytes | str]]:
        """Every stored conversation as (rowid, id, JSON), in rowid order (read at start, before serving)."""
        with self._lock:
            cursor = self._db.execute("SELECT rowid, id, body FROM conversations ORDER BY rowid")
        while True:
            with self._lock:  # not held between batches: a caller that stops early leaves it free
                batch = cursor.fetchmany(500)
            if not batch:
                return
            yield from batch

    def clear(self) -> None:
        with self._lock:
            self._db.executescript(
                "BEGIN; DELETE FROM configurations; DELETE FROM conversations; DELETE FROM idempotency_keys; COMMIT;"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _schema(db: sqlite3.Connection) -> dict[str, str]:
    """Every table, index, view and trigger a user could have made, by name, with its SQL (spacing ignored)."""
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    return {f"{kind} {name}": " ".join((sql or "").split()) for kind, name, sql in rows}


def _dump(value: Any) -> str:
    # ASCII-only, so a lone surrogate a client sent cannot break the text encoding.
    return json.dumps(value, separators=(",", ":"))
