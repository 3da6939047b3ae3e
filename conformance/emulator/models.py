"""Backend state and business rules of the emulator. No HTTP in here.

The :class:`Backend` holds the rules: who may call, what is valid, what is stored and returned.
Its parts live beside it: ``ids`` (clock and ids), ``records`` (configurations, conversations),
``store`` (memory or SQLite), ``ratelimit`` (token bucket), ``rules`` (stateless request rules).
Their names are re-exported here, so ``from conformance.emulator.models import ...`` keeps working.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.contract.schemas import Contract, load_contract
from conformance.emulator.exceptions import Conflict, DatabaseError, InvalidParameter, NotFound, TooManyRequests
from conformance.emulator.ids import (
    DETERMINISTIC_START_MS,
    Clock,
    IdGenerator,
    SteppingClock,
    SystemClock,
    format_timestamp,
)
from conformance.emulator.ratelimit import TokenBucket
from conformance.emulator.records import (
    Configuration,
    Conversation,
    IdempotencyRecord,
    Participant,
    default_settings,
    encode_json,
)
from conformance.emulator.rules import (
    MAX_NESTING,
    ErrorFinder,
    check_nesting,
    decode_without_nulls,
    describe_error,
    field_path,
    fingerprint,
    json_type,
    quote,
    strip_nulls,
)
from conformance.emulator.store import MemoryStore, SQLiteStore, Store
from conformance.kinds import AuthMode
from conformance.vendor import (
    ACCOUNT_SID_PREFIX,
    API_KEY_SID_PREFIX,
    CONFIGURATION_ID_PREFIX,
    CONVERSATION_ID_PREFIX,
    PARTICIPANT_ID_PREFIX,
)

__all__ = [
    "ACTIVE", "DEFAULT_ACCOUNT_SID", "DEFAULT_API_KEY", "DEFAULT_API_SECRET", "DEFAULT_AUTH_TOKEN",
    "DEFAULT_CONFIGURATION_ID", "DEFAULT_CREDENTIALS", "DEFAULT_SECOND_CONFIGURATION_ID", "DEFAULT_SECOND_CREDENTIALS",
    "DETERMINISTIC_START_MS", "MAX_NESTING", "Backend", "Clock",
    "Configuration", "Conversation", "Credentials", "IdGenerator", "IdempotencyRecord", "MemoryStore", "Participant",
    "SQLiteStore", "SteppingClock", "Store", "SystemClock", "TokenBucket", "default_settings", "describe_error",
    "encode_json", "field_path", "fingerprint", "format_timestamp", "json_type", "strip_nulls",
]  # fmt: skip

# --- well-known test identity (used when no credentials come from the environment) ------

DEFAULT_ACCOUNT_SID = ACCOUNT_SID_PREFIX + "0" * 32
DEFAULT_AUTH_TOKEN = "emulator_auth_token"
DEFAULT_API_KEY = API_KEY_SID_PREFIX + "0" * 32
DEFAULT_API_SECRET = "emulator_api_secret"
DEFAULT_CONFIGURATION_ID = CONFIGURATION_ID_PREFIX + "0" * 19 + "default"
# The second account, so a run crosses from one account to the other without any setup. Its SIDs are no
# redaction placeholder (those are zeros and a small counter).
DEFAULT_SECOND_ACCOUNT_SID = ACCOUNT_SID_PREFIX + "5ec0" * 8
DEFAULT_SECOND_AUTH_TOKEN = "emulator_second_auth_token"
DEFAULT_SECOND_API_KEY = API_KEY_SID_PREFIX + "5ec0" * 8
DEFAULT_SECOND_API_SECRET = "emulator_second_api_secret"
DEFAULT_SECOND_CONFIGURATION_ID = CONFIGURATION_ID_PREFIX + "0" * 20 + "second"

ACTIVE = "ACTIVE"


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
DEFAULT_SECOND_CREDENTIALS = Credentials(DEFAULT_SECOND_ACCOUNT_SID, DEFAULT_SECOND_AUTH_TOKEN, DEFAULT_SECOND_API_KEY,
                                         DEFAULT_SECOND_API_SECRET)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Admitted:
    """A create request that passed validation, and its idempotency fingerprint ("" when none was asked for)."""

    request: dict[str, Any]
    fingerprint: str


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
        self._errors = ErrorFinder(self.contract, "request")
        self._seed()
        self._check_stored()

    @property
    def primary_account(self) -> str:
        return self.accounts[0].account_sid

    def _seed(self) -> None:
        for configuration in self.seed_configurations:
            self.store.put_configuration(configuration)

    def _check_stored(self) -> None:
        """Refuse a store holding a conversation the emulator could not have written (a hand-edited row would
        otherwise be served as is, or fail every fetch with a 500): each must match the Conversation schema and
        read back as one."""
        for row, conversation_id, body in self.store.conversation_rows():
            where = f"conversation {quote(conversation_id)} (row {row})"
            try:
                value = json.loads(body)
            except ValueError:
                raise DatabaseError(f"{where} is not JSON") from None
            if not self.contract.is_valid("conversation", value):
                error = self.contract.errors("conversation", value)[0]
                at = f" at {field_path(error.absolute_path)}" if error.absolute_path else ""
                raise DatabaseError(f"{where} breaks the Conversation schema{at}: {quote(error.message, 200)}")
            try:
                Conversation.from_wire(value)
            except (KeyError, TypeError, AttributeError) as exc:
                raise DatabaseError(f"{where} cannot be read back ({exc.__class__.__name__}: {exc})") from None

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

    def login_failure(self, username: str, password: str) -> AuthMode:
        """Why basic credentials that did not authenticate failed, as the suite's credentials modes name it
        (a fault of the auth stage can let one of them in)."""
        known = self._logins.get(username)
        if known is None:
            if any(username.lower() == user.lower() for user in self._logins):
                return AuthMode.USERNAME_CASE
            secrets = {secret for secret, _account in self._logins.values()}
            return AuthMode.STRANGER_REAL_SECRET if password in secrets else AuthMode.UNKNOWN_USER
        real = known[0]
        if not password:
            return AuthMode.EMPTY_SECRET
        siblings = [p for c in self.accounts if c.account_sid == known[1] for _u, p in c.logins()]
        if password in siblings:
            return AuthMode.OTHER_FORM_SECRET
        if password.lower() == real.lower():
            return AuthMode.SECRET_CASE
        return AuthMode.SECRET_SUFFIX if password.startswith(real) else AuthMode.WRONG_SECRET

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

        ``raw``, the bytes ``body`` was parsed from, lets nesting and nulls be handled on the text, in C,
        rather than by a walk in Python (a 1 MiB body can hold half a million containers).
        """
        if raw is None:
            request = strip_nulls(body)
        else:
            check_nesting(raw)
            request = decode_without_nulls(raw, body)
        if self.contract.is_valid("request", request):
            return request
        errors = self._errors.first(request)
        raise InvalidParameter(describe_error(errors[0]) if errors else "Invalid request body")

    def coerce(self, body: Any) -> dict[str, Any]:
        """Schema validation off (for a fault that lets an invalid body in): keep what is well-typed, drop the rest."""
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
        any_account_configuration: bool = False,
    ) -> Conversation:
        """Create (or, for a repeated Idempotency-Key with the same body, return) a conversation.

        ``any_account_configuration`` lets a configuration of another account be used (a fault, never the rule)."""
        request = self.coerce(body) if lenient else self.validate(body, raw)
        digest = fingerprint(request) if idempotency_key is not None else ""
        return self.create_admitted(
            account_id,
            Admitted(request, digest),
            idempotency_key,
            lenient=lenient,
            any_account_configuration=any_account_configuration,
        )

    def admit(self, body: Any, raw: bytes | None = None, *, with_fingerprint: bool = False) -> Admitted:
        """Validate a create request and keep only what :meth:`create_admitted` reads (for a body validated in
        another process: what travels back is small, whatever the client sent)."""
        request = self.validate(body, raw)
        digest = fingerprint(request) if with_fingerprint else ""
        kept: dict[str, Any] = {k: request[k] for k in ("configurationId", "name") if k in request}
        if "configuration" in request:
            kept["configuration"] = {k: v for k, v in request["configuration"].items() if k in self._override_fields}
        if "participants" in request:
            kept["participants"] = [self._participant_kept(item) for item in request["participants"]]
        return Admitted(kept, digest)

    def _participant_kept(self, item: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in item.items() if k in ("name", "type", "profileId")}
        if "addresses" in item:
            kept["addresses"] = [self._documented_address(a) for a in item["addresses"]]
        return kept

    def create_admitted(
        self,
        account_id: str,
        admitted: Admitted,
        idempotency_key: str | None,
        *,
        lenient: bool = False,
        any_account_configuration: bool = False,
    ) -> Conversation:
        """Create from a request already validated (or coerced, when ``lenient``); ``admitted.fingerprint`` is
        its digest when an ``idempotency_key`` is given."""
        request, digest = admitted.request, admitted.fingerprint
        with self._lock:
            if idempotency_key is not None:
                prior = self.store.idempotency(account_id, idempotency_key)
                if prior is not None:
                    if prior.fingerprint != digest:
                        raise Conflict(prior.conversation_id)
                    original = self.store.conversation(account_id, prior.conversation_id)
                    if original is not None:
                        return original
            configuration = self._configuration_for(account_id, request, lenient, any_account_configuration)
            conversation = self._build(account_id, configuration, request, lenient)
            self.store.put_conversation(conversation, idempotency_key, digest)
        return conversation

    def _configuration_for(self, account_id: str, request: dict[str, Any], lenient: bool,
                           any_account: bool = False) -> Configuration:  # fmt: skip
        configuration_id = request["configurationId"]
        if lenient and not isinstance(configuration_id, str):
            configuration_id = self.default_configuration_id(account_id) or ""
        configuration = self.store.configuration(account_id, configuration_id)
        for other in self.accounts if any_account and configuration is None else ():
            configuration = self.store.configuration(other.account_sid, configuration_id)
            if configuration is not None:
                break
        if configuration is None:
            raise NotFound(f"Configuration {quote(str(configuration_id))} was not found (configurationId)")
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
            raise NotFound(f"The requested resource /v2/Conversations/{quote(conversation_id)} was not found")
        return conversation

    def owned_elsewhere(self, account_id: str, conversation_id: str) -> Conversation | None:
        """The conversation ``conversation_id`` of an account other than ``account_id``, if one has it (the
        cross-account faults read it; the rules never do)."""
        for other in self.accounts:
            if other.account_sid != account_id:
                found = self.store.conversation(other.account_sid, conversation_id)
                if found is not None:
                    return found
        return None

    def count_conversations(self) -> int:
        return self.store.count_conversations()

    def close(self) -> None:
        self.store.close()
