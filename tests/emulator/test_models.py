"""The backend without HTTP: ids, clocks, the token bucket, both stores, the request rules."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.contract.schemas import Contract
from conformance.emulator.exceptions import (
    Conflict,
    EmulatorConfigError,
    InvalidParameter,
    NotFound,
    TooManyRequests,
)
from conformance.emulator.models import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_CONFIGURATION_ID,
    Backend,
    Configuration,
    Conversation,
    IdGenerator,
    MemoryStore,
    Participant,
    SQLiteStore,
    SteppingClock,
    Store,
    TokenBucket,
    default_settings,
    field_path,
    format_timestamp,
    strip_nulls,
)
from conformance.emulator.server import create_app

from .conftest import API_KEY_AUTH, CREATE, full_request

ULID_TAIL = re.compile(r"^[0-9a-z]{26}$")


def test_ids_are_prefix_plus_26_sortable_lowercase_chars() -> None:
    ids = IdGenerator()
    made = [ids.new("p_", ms) for ms in (1, 1, 1, 2, 1_000_000, 2**47)]
    assert all(i.startswith("p_") and ULID_TAIL.match(i[2:]) for i in made)
    assert made == sorted(made) and len(set(made)) == len(made)  # monotonic within one millisecond too
    assert made[0][2:12] == "0000000001"


def test_seeded_ids_repeat_and_reset_restarts_them() -> None:
    first = [IdGenerator(5).new("x", 10) for _ in range(2)]
    assert first[0] == first[1]
    ids = IdGenerator(5)
    sequence = [ids.new("x", ms) for ms in (10, 10, 11)]
    ids.reset()
    assert [ids.new("x", ms) for ms in (10, 10, 11)] == sequence
    assert IdGenerator(6).new("x", 10) != sequence[0]


def test_stepping_clock_advances_one_second_per_write() -> None:
    clock = SteppingClock()
    instants = [format_timestamp(clock.write_instant()) for _ in range(3)]
    assert instants == ["2025-01-01T00:00:00Z", "2025-01-01T00:00:01Z", "2025-01-01T00:00:02Z"]
    clock.reset()
    assert format_timestamp(clock.write_instant()) == "2025-01-01T00:00:00Z"


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, monotonic=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(0.5)
    assert bucket.take("b") == 0.0  # per account
    now[0] = 0.5
    assert bucket.take("a") == 0.0
    assert bucket.take("a") > 0
    now[0] = 100.0
    assert [bucket.take("a") for _ in range(4)][-1] > 0  # never more than the burst


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "state.db")


def conversation(conversation_id: str, account_id: str = DEFAULT_ACCOUNT_SID) -> Conversation:
    participant = Participant("p1", conversation_id, account_id, None, "CUSTOMER", None, [], "t", "t")
    return Conversation(conversation_id, account_id, "cfg", "ACTIVE", "n", "t", "t", {"a": [1]}, [participant])


def test_stores_scope_conversations_by_account(store: Store) -> None:
    store.put_conversation(conversation("c1"), "key", "fp")
    assert store.conversation(DEFAULT_ACCOUNT_SID, "c1") == conversation("c1")
    assert store.conversation("AC-other", "c1") is None
    assert store.idempotency(DEFAULT_ACCOUNT_SID, "key").conversation_id == "c1"  # type: ignore[union-attr]
    assert store.idempotency("AC-other", "key") is None
    store.put_configuration(Configuration("cfg", DEFAULT_ACCOUNT_SID, {"x": 1}))
    assert store.configuration(DEFAULT_ACCOUNT_SID, "cfg") == Configuration("cfg", DEFAULT_ACCOUNT_SID, {"x": 1})
    assert store.configuration("AC-other", "cfg") is None
    assert store.count_conversations() == 1
    store.clear()
    assert store.count_conversations() == 0 and store.configurations() == []


def test_stores_take_concurrent_writes(store: Store) -> None:
    def write(start: int) -> None:
        for i in range(start, start + 50):
            store.put_conversation(conversation(f"c{i}"), f"k{i}", "fp")

    threads = [threading.Thread(target=write, args=(n * 50,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count_conversations() == 400
    assert all(store.conversation(DEFAULT_ACCOUNT_SID, f"c{i}") is not None for i in range(400))


def test_default_settings_hold_every_documented_field(contract: Contract) -> None:
    settings = default_settings("conv_configuration_x")
    assert set(settings) == set(contract.schema("configuration")["properties"])
    assert contract.errors("configuration", settings) == []
    assert default_settings("conv_configuration_x") == settings != default_settings("conv_configuration_y")


def backend(**kwargs: Any) -> Backend:
    seeded = Configuration(DEFAULT_CONFIGURATION_ID, DEFAULT_ACCOUNT_SID, default_settings(DEFAULT_CONFIGURATION_ID))
    return Backend(configurations=(seeded,), **kwargs)


def test_backend_create_fetch_and_idempotency() -> None:
    rules = backend()
    created = rules.create_conversation(DEFAULT_ACCOUNT_SID, full_request(), idempotency_key="k")
    assert rules.fetch_conversation(DEFAULT_ACCOUNT_SID, created.id) == created
    assert rules.create_conversation(DEFAULT_ACCOUNT_SID, full_request(), idempotency_key="k") == created
    with pytest.raises(Conflict) as conflict:
        rules.create_conversation(DEFAULT_ACCOUNT_SID, full_request(name="other"), idempotency_key="k")
    assert conflict.value.headers == {"X-Conflicting-Resource-Id": created.id}
    with pytest.raises(NotFound):
        rules.fetch_conversation("AC" + "9" * 32, created.id)
    assert rules.count_conversations() == 1


def test_backend_rate_limit() -> None:
    rules = backend(rate_limiter=TokenBucket(rate=0.001, burst=1))
    rules.check_rate(DEFAULT_ACCOUNT_SID)
    with pytest.raises(TooManyRequests) as limited:
        rules.check_rate(DEFAULT_ACCOUNT_SID)
    assert int(limited.value.headers["Retry-After"]) >= 1


def test_coerce_keeps_what_is_well_typed(contract: Contract) -> None:
    rules = backend()
    addresses = [{"channel": "FAX"}, {"channel": "SMS", "address": "1"}]
    junk = {"configurationId": 1, "name": 2, "configuration": {"intelligenceConfigurationIds": "x"},
            "participants": [3, {"type": "ROBOT", "name": "r", "addresses": addresses}]}  # fmt: skip
    created = rules.create_conversation(DEFAULT_ACCOUNT_SID, junk, lenient=True)
    wire = created.to_wire()
    assert contract.errors("conversation", wire) == []
    assert wire["participants"] == [
        {**wire["participants"][0], "name": "r", "addresses": [{"channel": "SMS", "address": "1"}]}
    ]
    assert "type" not in wire["participants"][0]


def test_nesting_limit_and_null_stripping() -> None:
    assert strip_nulls({"a": None, "b": [None, {"c": None}]}) == {"b": [None, {}]}
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    with pytest.raises(InvalidParameter, match="nested"):
        strip_nulls({"n": deep})


def test_field_path() -> None:
    assert field_path(["participants", 3, "addresses", 0, "channel"]) == "participants[3].addresses[0].channel"
    assert field_path([]) == ""


def test_clock_and_ids_are_injectable() -> None:
    rules = backend(clock=SteppingClock(start_ms=0, step_ms=60_000), ids=IdGenerator(seed=1))
    with TestClient(create_app(backend=rules), base_url="http://127.0.0.1") as client:
        bodies = [client.post(CREATE, json=full_request(), auth=API_KEY_AUTH).json() for _ in range(2)]
    assert [b["createdAt"] for b in bodies] == ["1970-01-01T00:00:00Z", "1970-01-01T00:01:00Z"]
    assert bodies[0]["id"] == "conv_conversation_0000000000" + IdGenerator(seed=1).new("", 0)[10:]


def test_deterministic_mode_refuses_a_database(tmp_path: Path) -> None:
    with pytest.raises(EmulatorConfigError, match="database"):
        create_app(deterministic=True, db_path=tmp_path / "x.db")
