"""Faults of isolation: one account reaching another's data, or one request another's."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from conformance.emulator.exceptions import Forbidden, NotFound
from conformance.emulator.faults.auth import CREDENTIAL_FORMS
from conformance.emulator.faults.editing import participants_of
from conformance.emulator.faults.registry import Param, Reply, Stage, fault, one_of
from conformance.emulator.rules import quote

if TYPE_CHECKING:
    from conformance.emulator.models import Backend
    from conformance.emulator.records import Conversation

# --- the second account reaching the first's data ---


@fault("switch", params={"form": Param(str, "any")}, routes=("fetch",), stage=Stage.FETCH_ELSEWHERE,
       check=one_of("form", CREDENTIAL_FORMS))  # fmt: skip
def cross_account_read(
    p: Mapping[str, Any], found: Conversation, conversation_id: str, form: str
) -> Conversation | None:
    """Answer a read of another account's conversation with that conversation, for a caller authenticated with
    credential form ``form`` (api_key, account) or any."""
    return found if p["form"] in ("any", form) else None


@fault("switch", routes=("fetch",), stage=Stage.FETCH_ELSEWHERE)
def cross_account_forbidden(p: Mapping[str, Any], found: Conversation, conversation_id: str, form: str) -> None:
    """Answer a read of another account's conversation with 403 (so a caller learns it exists), not 404."""
    raise Forbidden()


@fault("switch", routes=("fetch",), stage=Stage.FETCH_ELSEWHERE)
def cross_account_message(p: Mapping[str, Any], found: Conversation, conversation_id: str, form: str) -> None:
    """Answer a read of another account's conversation with 404 and a message that says it exists elsewhere."""
    raise NotFound(f"Conversation {quote(conversation_id)} belongs to another account")


@fault("switch", routes=("create",), stage=Stage.CONFIGURATION)
def cross_account_configuration(p: Mapping[str, Any], backend: Backend, account: str, body: Any) -> bool:
    """Create with another account's configurationId (the conversation is the caller's) instead of 404."""
    configuration_id = body.get("configurationId") if isinstance(body, dict) else None
    return isinstance(configuration_id, str) and any(
        c.id == configuration_id and c.account_id != account for c in backend.configurations()
    )


@fault("switch", stage=Stage.SUCCESS)
def foreign_account_id(p: Mapping[str, Any], backend: Backend, account: str, reply: Reply) -> bool:
    """Give the conversations (and participants) of every account but the primary the primary's accountId."""
    primary = backend.primary_account
    if account == primary or reply.status >= 300:
        return False
    if isinstance(reply.body, dict):
        reply.body = {**reply.body, "accountId": primary}
        if isinstance(reply.body.get("participants"), list):
            reply.body["participants"] = [{**item, "accountId": primary} if isinstance(item, dict) else item
                                          for item in reply.body["participants"]]  # fmt: skip
    return True


# --- one request reaching another's (state kept across requests) ---


@fault("transform")
def cached_name(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer a conversation created without a name with the last name any conversation had (a cache that
    outlives its request)."""
    if not isinstance(reply.body, dict):
        return False
    name = reply.body.get("name")
    if isinstance(name, str) and name:
        state["name"] = name
        return False
    if "name" not in state:
        return False
    reply.body["name"] = state["name"]
    return True


@fault("transform")
def sticky_override(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Let an override stick: once a conversation showed another configuration than the first one seen, later
    conversations showing the first one show that override instead (as if it had been written to the store)."""
    configuration = reply.body.get("configuration") if isinstance(reply.body, dict) else None
    if not isinstance(configuration, dict):
        return False
    first = state.setdefault("first", copy.deepcopy(configuration))
    if configuration != first:
        state["last"] = copy.deepcopy(configuration)
        return False
    if "last" not in state:
        return False
    reply.body["configuration"] = copy.deepcopy(state["last"])
    return True


@fault("transform")
def leak_addresses(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give every participant with a profileId the first address any conversation returned (a cache keyed too
    loosely), when it does not carry it already."""
    participants = [x for x in participants_of(reply) or () if isinstance(x, dict)]
    if "address" not in state:
        carried = [a for x in participants for a in x.get("addresses") or () if isinstance(a, dict)]
        if not carried:
            return False
        state["address"] = copy.deepcopy(carried[0])
        return False
    changed = False
    for participant in participants:
        addresses = participant.get("addresses")
        if participant.get("profileId") and state["address"] not in (addresses or []):
            participant["addresses"] = [*(addresses or []), copy.deepcopy(state["address"])]
            changed = True
    return changed
