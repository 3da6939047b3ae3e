"""Where records live: :class:`MemoryStore` (default) or :class:`SQLiteStore` (a file that survives a restart)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

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

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(self.SCHEMA)

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
                    self._db.execute(
                        "INSERT INTO idempotency_keys VALUES (?, ?, ?, ?)",
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

    def clear(self) -> None:
        with self._lock:
            self._db.executescript(
                "BEGIN; DELETE FROM configurations; DELETE FROM conversations; DELETE FROM idempotency_keys; COMMIT;"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _dump(value: Any) -> str:
    # ASCII-only, so a lone surrogate a client sent cannot break the text encoding.
    return json.dumps(value, separators=(",", ":"))
