"""Backend state and business rules of the emulator. No HTTP in here.

Records (configurations, conversations, participants), how they are created and fetched,
idempotency keys, the per-account rate limit and account scoping. Storage sits behind
:class:`Store`: :class:`MemoryStore` (default) or :class:`SQLiteStore` (survives a restart).
Time and ids come from injectable objects so a seeded run is byte-for-byte repeatable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from jsonschema import ValidationError

from conformance.contract import Contract, load_contract
from conformance.emulator.exceptions import Conflict, InvalidParameter, NotFound, TooManyRequests
from conformance.vendor import CONFIGURATION_ID_PREFIX, CONVERSATION_ID_PREFIX, PARTICIPANT_ID_PREFIX

# --- well-known test identity (used when no credentials come from the environment) ------

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "emulator_auth_token"
DEFAULT_API_KEY = "SK" + "0" * 32
DEFAULT_API_SECRET = "emulator_api_secret"
DEFAULT_CONFIGURATION_ID = CONFIGURATION_ID_PREFIX + "0" * 19 + "default"

ACTIVE = "ACTIVE"
MAX_NESTING = 32  # request bodies nested deeper than this are rejected (an emulator assumption)
DETERMINISTIC_START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z


@dataclass(frozen=True)
class Credentials:
    """One account and the credentials that authenticate as it (either pair may be absent)."""

    account_sid: str
    auth_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None

    def logins(self) -> Iterator[tuple[str, str]]:
        """The (username, password) pairs HTTP basic auth accepts for this account."""
        if self.auth_token is not None:
            yield self.account_sid, self.auth_token
        if self.api_key is not None and self.api_secret is not None:
            yield self.api_key, self.api_secret


DEFAULT_CREDENTIALS = Credentials(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_API_KEY, DEFAULT_API_SECRET)


# --- clock and ids ---------------------------------------------------------------------


class Clock(Protocol):
    """Where the emulator gets the instant of a write from."""

    def write_instant(self) -> int:
        """Epoch milliseconds for one write (a deterministic clock advances here)."""

    def reset(self) -> None:
        """Back to the initial instant (no-op for a real clock)."""


class SystemClock:
    """Wall-clock time."""

    def write_instant(self) -> int:
        return time.time_ns() // 1_000_000

    def reset(self) -> None:
        return None


class SteppingClock:
    """A controlled clock: starts at a fixed instant and advances ``step_ms`` per write."""

    def __init__(self, start_ms: int = DETERMINISTIC_START_MS, step_ms: int = 1000) -> None:
        self.start_ms = start_ms
        self.step_ms = step_ms
        self._next = start_ms
        self._lock = threading.Lock()

    def write_instant(self) -> int:
        with self._lock:
            instant = self._next
            self._next += self.step_ms
            return instant

    def reset(self) -> None:
        with self._lock:
            self._next = self.start_ms


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)  # 10 bits -> 2 chars, index = the 10-bit value
_RANDOM_MAX = (1 << 80) - 1


class IdGenerator:
    """ULID-style ids: ``prefix`` + 10 chars of millisecond time + 16 chars of randomness.

    Lowercase Crockford base32, so ids sort by creation time; within one millisecond the
    random part counts up (monotonic ULIDs), so ids also sort in creation order.
    ``seed`` makes the random part repeatable.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._rng = random.Random(self.seed if self.seed is not None else os.urandom(16))
            self._last_ms = -1
            self._last_random = 0
            self._time_part = ""

    def new(self, prefix: str, ms: int) -> str:
        with self._lock:
            if ms == self._last_ms and self._last_random < _RANDOM_MAX:
                self._last_random += 1
            else:
                if ms != self._last_ms:
                    self._time_part = _encode_time(ms)
                self._last_ms = ms
                self._last_random = self._rng.getrandbits(80)
            r = self._last_random
            p = _PAIRS
            return "".join((prefix, self._time_part, p[r >> 70], p[(r >> 60) & 1023], p[(r >> 50) & 1023],
                            p[(r >> 40) & 1023], p[(r >> 30) & 1023], p[(r >> 20) & 1023], p[(r >> 10) & 1023],
                            p[r & 1023]))  # fmt: skip


def _encode_time(ms: int) -> str:
    chars = []
    for _ in range(10):
        chars.append(_CROCKFORD[ms & 31])
        ms >>= 5
    return "".join(reversed(chars))


_timestamp_cache: tuple[int, str] = (-1, "")


def format_timestamp(ms: int) -> str:
    """Whole seconds, UTC, ``Z``: the form the docs show (``2023-07-01T12:00:00Z``)."""
    global _timestamp_cache
    second = ms // 1000
    cached_second, text = _timestamp_cache
    if cached_second != second:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        _timestamp_cache = (second, text)
    return text


# --- records ---------------------------------------------------------------------------


@dataclass(slots=True)
class Configuration:
    """A stored configuration: its id, owning account and full settings."""

    id: str
    account_id: str
    settings: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "accountId": self.account_id, "settings": self.settings}


@dataclass(slots=True)
class Participant:
    """A participant of a conversation; optional request fields that were absent stay absent."""

    id: str
    conversation_id: str
    account_id: str
    name: str | None
    type: str | None
    profile_id: str | None
    addresses: list[dict[str, Any]]
    created_at: str
    updated_at: str

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": self.id,
            "conversationId": self.conversation_id,
            "accountId": self.account_id,
            "name": self.name,
        }
        if self.type is not None:
            wire["type"] = self.type
        if self.profile_id is not None:
            wire["profileId"] = self.profile_id
        wire["addresses"] = self.addresses
        wire["createdAt"] = self.created_at
        wire["updatedAt"] = self.updated_at
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Participant:
        return cls(
            id=wire["id"],
            conversation_id=wire["conversationId"],
            account_id=wire["accountId"],
            name=wire.get("name"),
            type=wire.get("type"),
            profile_id=wire.get("profileId"),
            addresses=wire.get("addresses", []),
            created_at=wire["createdAt"],
            updated_at=wire["updatedAt"],
        )


_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
_ENCODE_ASCII = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; ASCII escapes when a string cannot be UTF-8 (a lone surrogate a client sent)."""
    try:
        return _ENCODE(value).encode()
    except UnicodeEncodeError:
        return _ENCODE_ASCII(value).encode()


@dataclass(slots=True)
class Conversation:
    """A conversation as the API reports it. Immutable once created, so its JSON is encoded once."""

    id: str
    account_id: str
    configuration_id: str
    status: str
    name: str | None
    created_at: str
    updated_at: str
    configuration: dict[str, Any]
    participants: list[Participant] = field(default_factory=list)
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> bytes:
        """The wire form as JSON bytes (what stores keep and what a faithful response sends)."""
        if self.encoded is None:
            self.encoded = encode_json(self.to_wire())
        return self.encoded

    @classmethod
    def from_json(cls, data: bytes | str) -> Conversation:
        conversation = cls.from_wire(json.loads(data))
        conversation.encoded = data.encode() if isinstance(data, str) else data
        return conversation

    def to_wire(self) -> dict[str, Any]:
        """The vendor's JSON shape (property order as the docs list it)."""
        return {
            "id": self.id,
            "accountId": self.account_id,
            "configurationId": self.configuration_id,
            "status": self.status,
            "name": self.name,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "configuration": self.configuration,
            "participants": [participant.to_wire() for participant in self.participants],
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Conversation:
        return cls(
            id=wire["id"],
            account_id=wire["accountId"],
            configuration_id=wire["configurationId"],
            status=wire["status"],
            name=wire.get("name"),
            created_at=wire["createdAt"],
            updated_at=wire["updatedAt"],
            configuration=wire["configuration"],
            participants=[Participant.from_wire(p) for p in wire.get("participants", [])],
        )


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What an Idempotency-Key was first used for."""

    fingerprint: str
    conversation_id: str


def default_settings(configuration_id: str) -> dict[str, Any]:
    """Full settings for a seeded configuration: every documented field, stable per id."""
    digest = hashlib.sha256(configuration_id.encode()).hexdigest()
    store_suffix = "".join(_CROCKFORD[int(c, 16)] for c in digest[:26])
    return {
        "displayName": "Emulator configuration",
        "description": "Seeded by the conformance emulator.",
        "conversationGroupingType": "GROUP_BY_PROFILE",
        "memoryStoreId": "mem_store_" + store_suffix,
        "channelSettings": {},
        "statusCallbacks": [],
        "intelligenceConfigurationIds": [],
        "memoryExtractionEnabled": False,
        "conversationsV1Bridge": {"serviceId": "IS" + digest[32:64]},
    }


# --- storage ---------------------------------------------------------------------------


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


# --- rate limit ------------------------------------------------------------------------


class TokenBucket:
    """Per-account token bucket: ``rate`` requests per second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, math.ceil(rate))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take one token; 0.0 when allowed, otherwise the seconds until one is available."""
        with self._lock:
            now = self._monotonic()
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# --- request rules ---------------------------------------------------------------------

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def field_path(path: Sequence[Any]) -> str:
    """``["participants", 3, "type"]`` -> ``participants[3].type``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_error(error: ValidationError) -> str:
    """A one-line message naming the offending field, from a jsonschema error."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        return f"Missing required parameter {field_path([*path, *missing[:1]])}"
    if not path and error.validator == "type":
        return f"Request body must be a JSON object, got {json_type(instance)}"
    name = field_path(path)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"Invalid parameter {name}: expected {expected}, got {json_type(instance)}"
    if error.validator == "enum":
        return f"Invalid parameter {name}: must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "maxItems" and isinstance(instance, list):
        return f"Invalid parameter {name}: at most {error.validator_value} items allowed, got {len(instance)}"
    detail = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"Invalid parameter {name}: {detail}"


def strip_nulls(value: Any, depth: int = 0) -> Any:
    """Drop object members whose value is ``null`` (null means absent); refuse absurd nesting."""
    if depth > MAX_NESTING:
        raise InvalidParameter(f"Request body is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, dict):
        return {key: strip_nulls(item, depth + 1) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [strip_nulls(item, depth + 1) for item in value]
    return value


def _plain(raw: bytes) -> bool:
    """True when JSON text ``raw`` can hold neither a null nor nesting deeper than :data:`MAX_NESTING`."""
    return b"null" not in raw and raw.count(b"{") + raw.count(b"[") <= MAX_NESTING


def fingerprint(request: dict[str, Any]) -> str:
    """What makes two requests 'the same body' for Idempotency-Key purposes (key order ignored)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- the backend -----------------------------------------------------------------------


class Backend:
    """All the emulator's rules: who may call, what is valid, what gets stored and returned."""

    def __init__(
        self,
        *,
        accounts: Sequence[Credentials] = (DEFAULT_CREDENTIALS,),
        configurations: Sequence[Configuration] = (),
        store: Store | None = None,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        rate_limiter: TokenBucket | None = None,
        contract: Contract | None = None,
    ) -> None:
        if not accounts:
            raise ValueError("at least one account is needed")
        self.accounts = tuple(accounts)
        self.seed_configurations = tuple(configurations)
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.ids = ids if ids is not None else IdGenerator()
        self.rate_limiter = rate_limiter
        self.contract = contract or load_contract()
        self._logins = {user: (password, c.account_sid) for c in self.accounts for user, password in c.logins()}
        self._override_fields = tuple(self.contract.node("request", "configuration").get("properties", {}))
        self._participant_types = frozenset(self.contract.enum("participant", "type"))
        self._address_fields = frozenset(self.contract.schema("address").get("properties", {}))
        self._lock = threading.Lock()
        self.contract.is_valid("request", {})  # compile the fast validator now, not on the first request
        self._seed()

    @property
    def primary_account(self) -> str:
        return self.accounts[0].account_sid

    def _seed(self) -> None:
        for configuration in self.seed_configurations:
            self.store.put_configuration(configuration)

    def reset(self) -> None:
        """Forget every conversation and idempotency key; back to the seeded configurations."""
        with self._lock:
            self.store.clear()
            self._seed()
            self.clock.reset()
            self.ids.reset()
            if self.rate_limiter is not None:
                self.rate_limiter.reset()

    # --- who is calling ---

    def authenticate(self, username: str, password: str) -> str | None:
        """The account these basic-auth credentials belong to, or None."""
        known = self._logins.get(username)
        if known is None or not hmac.compare_digest(known[0].encode(), password.encode()):
            return None
        return known[1]

    def login_failure(self, username: str, password: str) -> str:
        """Why basic credentials that did not authenticate failed: unknown_user, empty_secret,
        other_form_secret (the secret of another login of the same account) or wrong_secret."""
        known = self._logins.get(username)
        if known is None:
            return "unknown_user"
        if not password:
            return "empty_secret"
        siblings = [p for c in self.accounts if c.account_sid == known[1] for _u, p in c.logins()]
        return "other_form_secret" if password in siblings else "wrong_secret"

    def array_limits(self) -> dict[str, int]:
        """maxItems of the request's bounded arrays, by dotted path (the array-limit faults read it)."""
        return {
            "participants": self.contract.node("request", "participants")["maxItems"],
            "configuration.intelligenceConfigurationIds": self.contract.node(
                "request", "configuration", "intelligenceConfigurationIds")["maxItems"],
        }  # fmt: skip

    def check_rate(self, account_id: str) -> None:
        """Raise 429 when the account is over its rate (no-op while rate limiting is off)."""
        if self.rate_limiter is not None:
            wait = self.rate_limiter.take(account_id)
            if wait > 0:
                raise TooManyRequests(max(1, math.ceil(wait)), f"Too many requests: retry after {math.ceil(wait)} s")

    # --- configurations ---

    def configurations(self) -> list[Configuration]:
        return self.store.configurations()

    def default_configuration_id(self, account_id: str) -> str | None:
        owned = [c.id for c in self.store.configurations() if c.account_id == account_id]
        return owned[0] if owned else None

    # --- conversations ---

    def validate(self, body: Any, raw: bytes | None = None) -> dict[str, Any]:
        """The request with nulls dropped, or 400 naming the first offending field.

        ``raw``, the bytes ``body`` was parsed from, lets the walk for nulls and nesting be
        skipped when those bytes cannot contain either.
        """
        request = body if raw is not None and _plain(raw) else strip_nulls(body)
        if self.contract.is_valid("request", request):
            return request
        errors = self.contract.errors("request", request)
        raise InvalidParameter(describe_error(errors[0]) if errors else "Invalid request body")

    def coerce(self, body: Any) -> dict[str, Any]:
        """Schema validation off (the ``accept_invalid`` fault): keep what is well-typed, drop the rest."""
        body = strip_nulls(body) if isinstance(body, dict) else {}
        request: dict[str, Any] = {"configurationId": body.get("configurationId")}
        if isinstance(body.get("name"), str):
            request["name"] = body["name"]
        if isinstance(body.get("configuration"), dict):
            request["configuration"] = body["configuration"]
        participants = body.get("participants")
        request["participants"] = []
        for item in participants if isinstance(participants, list) else []:
            if not isinstance(item, dict):
                continue
            participant = {k: v for k, v in item.items() if k in ("name", "profileId") and isinstance(v, str)}
            if isinstance(item.get("type"), str) and item["type"] in self._participant_types:
                participant["type"] = item["type"]
            addresses = item.get("addresses")
            if isinstance(addresses, list):
                participant["addresses"] = [a for a in addresses if self.contract.is_valid("address", a)]
            request["participants"].append(participant)
        return request

    def create_conversation(
        self,
        account_id: str,
        body: Any,
        *,
        idempotency_key: str | None = None,
        lenient: bool = False,
        raw: bytes | None = None,
    ) -> Conversation:
        """Create (or, for a repeated Idempotency-Key with the same body, return) a conversation."""
        request = self.coerce(body) if lenient else self.validate(body, raw)
        digest = fingerprint(request) if idempotency_key is not None else ""
        with self._lock:
            if idempotency_key is not None:
                prior = self.store.idempotency(account_id, idempotency_key)
                if prior is not None:
                    if prior.fingerprint != digest:
                        raise Conflict(prior.conversation_id)
                    original = self.store.conversation(account_id, prior.conversation_id)
                    if original is not None:
                        return original
            configuration = self._configuration_for(account_id, request, lenient)
            conversation = self._build(account_id, configuration, request, lenient)
            self.store.put_conversation(conversation, idempotency_key, digest)
        return conversation

    def _configuration_for(self, account_id: str, request: dict[str, Any], lenient: bool) -> Configuration:
        configuration_id = request["configurationId"]
        if lenient and not isinstance(configuration_id, str):
            configuration_id = self.default_configuration_id(account_id) or ""
        configuration = self.store.configuration(account_id, configuration_id)
        if configuration is None:
            raise NotFound(f"Configuration {configuration_id} was not found (configurationId)")
        return configuration

    def _build(
        self, account_id: str, configuration: Configuration, request: dict[str, Any], lenient: bool
    ) -> Conversation:
        ms = self.clock.write_instant()
        now = format_timestamp(ms)
        conversation_id = self.ids.new(CONVERSATION_ID_PREFIX, ms)
        settings = dict(configuration.settings)
        overrides = request.get("configuration")
        if overrides:
            applied = {k: v for k, v in overrides.items() if k in self._override_fields}
            if not lenient or self.contract.is_valid("configuration", {**settings, **applied}):
                settings.update(applied)
        participants = [
            Participant(
                id=self.ids.new(PARTICIPANT_ID_PREFIX, ms),
                conversation_id=conversation_id,
                account_id=account_id,
                name=item.get("name"),
                type=item.get("type"),
                profile_id=item.get("profileId"),
                addresses=[self._documented_address(a) for a in item.get("addresses", ())],
                created_at=now,
                updated_at=now,
            )
            for item in request.get("participants", ())
        ]
        return Conversation(
            id=conversation_id,
            account_id=account_id,
            configuration_id=configuration.id,
            status=ACTIVE,
            name=request.get("name"),
            created_at=now,
            updated_at=now,
            configuration=settings,
            participants=participants,
        )

    def _documented_address(self, address: dict[str, Any]) -> dict[str, Any]:
        fields = self._address_fields
        return address if fields.issuperset(address) else {k: v for k, v in address.items() if k in fields}

    def fetch_conversation(self, account_id: str, conversation_id: str) -> Conversation:
        """The account's conversation, or 404 (another account's conversation is not found either)."""
        conversation = self.store.conversation(account_id, conversation_id)
        if conversation is None:
            raise NotFound(f"The requested resource /v2/Conversations/{conversation_id} was not found")
        return conversation

    def count_conversations(self) -> int:
        return self.store.count_conversations()

    def close(self) -> None:
        self.store.close()
