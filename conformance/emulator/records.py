"""Records: configurations, conversations and participants, their wire form and their JSON encoding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.emulator.ids import CROCKFORD


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
    store_suffix = "".join(CROCKFORD[int(c, 16)] for c in digest[:26])
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
