"""The README's emulator section stays true to the code: every fault listed, the stated limits the real ones."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.emulator.bodies import OFF_PROCESS_BYTES, WORKER_NICENESS
from conformance.emulator.config import MAX_BODY_BYTES, MAX_CONNECTIONS, MAX_READ_TIMEOUT_S, READ_TIMEOUT_S
from conformance.emulator.faults import FAULTS
from conformance.emulator.models import DEFAULT_CONFIGURATION_ID, DEFAULT_CREDENTIALS, MAX_NESTING
from conformance.emulator.responses import MAX_IDEMPOTENCY_KEY
from conformance.emulator.rules import ERROR_LIMIT, MAX_CONTAINERS, QUOTE_LIMIT

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- emulator:start -->(.*)<!-- emulator:end -->", text, re.S)
    assert match, "README.md lost its emulator markers"
    return match.group(1)


def test_every_fault_and_its_parameters_are_listed() -> None:
    text = " ".join(section().split())
    for name, fault in FAULTS.items():
        assert f"`{name}`" in text, name
        listed = re.search(rf"`{name}`( \(([^)]*)\))?", text)
        params = set(re.findall(r"`(\w+)`", listed.group(2) or "")) if listed else set()
        assert set(fault.params) <= params | {"missing_more_info", "status_mismatch"}, (name, params)


def test_stated_limits_and_test_identity_match_the_code() -> None:
    text = " ".join(section().split())
    assert f"more than {MAX_NESTING} levels" in text
    assert MAX_BODY_BYTES == 1024 * 1024 and "over 1 MiB" in text
    assert f"at most {MAX_IDEMPOTENCY_KEY} characters" in text
    # issue 10's limits; each has its own test in test_hostile_input.py or test_database.py
    assert f"more than {MAX_CONTAINERS:,} objects and arrays" in text
    assert f"among the first {ERROR_LIMIT} violations" in text
    assert f"at most {QUOTE_LIMIT} characters of a client's value" in text
    assert OFF_PROCESS_BYTES == 64 * 1024 and "64 KiB or more is parsed and validated in a worker process" in text
    assert "second emulator on the same file is refused at start" in text and "no `-wal`" in text
    # issue 18's bounds; tested in test_connections.py and test_bodies.py
    assert f"`--read-timeout` seconds (default {READ_TIMEOUT_S:g}, at most {MAX_READ_TIMEOUT_S:g})" in text
    assert f"`--max-connections` (default {MAX_CONNECTIONS})" in text and f"niceness {WORKER_NICENESS}" in text
    credentials = DEFAULT_CREDENTIALS
    for value in (credentials.account_sid, credentials.auth_token, credentials.api_key, credentials.api_secret,
                  DEFAULT_CONFIGURATION_ID):  # fmt: skip
        assert f"`{value}`" in text
