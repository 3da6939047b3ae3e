"""``--db`` (issue 10): one writer per database, a schema check at start, a clean close on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from conformance.emulator.cli import emulator_command
from conformance.emulator.exceptions import DatabaseError
from conformance.emulator.server import EmulatorServer
from conformance.emulator.store import SQLiteStore

from .conftest import API_KEY_AUTH, CREATE, full_request


def refused_at_start(db: Path) -> str:
    """Run ``conformance emulator --db`` in process: it must exit 2 with one line; returns that line."""
    result = CliRunner().invoke(emulator_command, ["--port", "0", "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: --db {db}: "), result.output
    return lines[0]


def test_a_second_emulator_on_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with EmulatorServer(db_path=db) as first:
        with pytest.raises(DatabaseError, match="in use"):
            SQLiteStore(db)
        assert "in use by another emulator" in refused_at_start(db)
        assert httpx.post(first.url + CREATE, json=full_request(), auth=API_KEY_AUTH).status_code == 201
    with EmulatorServer(db_path=db) as second:  # free again once the first has stopped
        assert httpx.get(second.url + "/__emulator__/health").json()["conversations"] == 1


def _foreign_table(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE notes (text TEXT)")


def _foreign_conversations(db: sqlite3.Connection) -> None:
    db.execute("DROP TABLE conversations")
    db.execute("CREATE TABLE conversations (id TEXT, account_id TEXT, body TEXT, extra TEXT)")


def _edited_configuration(db: sqlite3.Connection) -> None:
    db.execute("UPDATE configurations SET settings = '{not json'")


def _edited_conversation(db: sqlite3.Connection) -> None:
    db.execute("UPDATE conversations SET body = json_remove(body, '$.createdAt')")


def _dangling_key(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO idempotency_keys VALUES ('AC', 'k', 'f', 'conv_conversation_gone')")


def _bogus_status(db: sqlite3.Connection) -> None:
    db.execute("UPDATE conversations SET body = json_set(body, '$.status', 'BOGUS') WHERE rowid = 2")


def _participants_not_objects(db: sqlite3.Connection) -> None:
    db.execute("UPDATE conversations SET body = json_set(body, '$.participants', json('[1, 2]')) WHERE rowid = 2")


def _participant_without_timestamps(db: sqlite3.Connection) -> None:  # schema-valid, yet no fetch could read it
    db.execute("UPDATE conversations SET body = json_remove(body, '$.participants[0].createdAt') WHERE rowid = 2")


@pytest.mark.parametrize(
    ("corrupt", "says"),
    [(_bogus_status, r"row 2\) breaks the Conversation schema at status: 'BOGUS' is not one of \['ACTIVE'"),
     (_participants_not_objects, r"row 2\) breaks the Conversation schema at participants\[0\]: 1 is not of type"),
     (_participant_without_timestamps, r"row 2\) cannot be read back \(KeyError: 'createdAt'\)")],
)  # fmt: skip
def test_a_stored_conversation_that_is_not_a_conversation_is_refused_at_start(
    tmp_path: Path, corrupt: Callable[[sqlite3.Connection], None], says: str
) -> None:
    """The first bad row is named (its id and row); the same database opened before the edit."""
    db = tmp_path / "state.db"
    with EmulatorServer(db_path=db) as emulator:
        ids = [httpx.post(emulator.url + CREATE, json=full_request(), auth=API_KEY_AUTH).json()["id"] for _ in range(3)]
    with EmulatorServer(db_path=db):  # untouched rows pass the check
        pass
    connection = sqlite3.connect(db)
    corrupt(connection)
    connection.commit()
    connection.close()
    with pytest.raises(DatabaseError, match=f"conversation {ids[1]} \\(" + says):  # embedded, it lets go of the file
        EmulatorServer(db_path=db)
    SQLiteStore(db).close()
    line = refused_at_start(db)
    assert re.search(f"conversation {ids[1]} \\(" + says, line), line


@pytest.mark.parametrize(
    ("corrupt", "says"),
    [(_foreign_table, "table notes (not the emulator's)"), (_foreign_conversations, "table conversations (changed)"),
     (_edited_configuration, "table configurations"), (_edited_conversation, "table conversations"),
     (_dangling_key, "table idempotency_keys")],
)  # fmt: skip
def test_a_database_the_emulator_did_not_write_is_refused_at_start(
    tmp_path: Path, corrupt: Callable[[sqlite3.Connection], None], says: str
) -> None:
    db = tmp_path / "state.db"
    with EmulatorServer(db_path=db) as emulator:
        assert httpx.post(emulator.url + CREATE, json=full_request(), auth=API_KEY_AUTH).status_code == 201
    connection = sqlite3.connect(db)
    corrupt(connection)
    connection.commit()
    connection.close()
    assert says in refused_at_start(db)


def test_a_file_that_is_not_sqlite_is_refused_at_start(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"not a database" * 100)
    assert "SQLite" in refused_at_start(db)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_close_the_database_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    db = tmp_path / "state.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        env.pop(name, None)
    command = [sys.executable, "-m", "conformance.cli", "emulator", "--port", "0", "--db", str(db)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)  # type: ignore[union-attr]
        httpx.get(url + "/__emulator__/health", timeout=10)
        assert httpx.post(url + CREATE, json=full_request(), auth=API_KEY_AUTH).status_code == 201
        assert Path(f"{db}-wal").exists()  # the write is in the WAL until the database is closed
        process.send_signal(sig)
        assert process.wait(timeout=15) == 0, process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.db"]
    with EmulatorServer(db_path=db) as again:
        assert httpx.get(again.url + "/__emulator__/health").json()["conversations"] == 1
