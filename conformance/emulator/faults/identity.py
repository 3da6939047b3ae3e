"""Faults of identity: ids and owners that are wrong, repeated or made up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.emulator.exceptions import InternalError, InvalidParameter
from conformance.emulator.faults.editing import altered, participants_of
from conformance.emulator.faults.registry import Param, Reply, Stage, fault, http_status, one_of
from conformance.emulator.rules import quote
from conformance.vendor import ACCOUNT_SID_PREFIX, CONFIGURATION_ID_PREFIX, CONVERSATION_ID_PREFIX


@fault("transform", params={"account": Param(str, ACCOUNT_SID_PREFIX + "f" * 32)})
def wrong_account(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Report another account (``account``) as the owner of the conversation and its participants."""
    if not isinstance(reply.body, dict) or "accountId" not in reply.body:
        return False
    reply.body["accountId"] = p["account"]
    for participant in participants_of(reply) or ():
        if isinstance(participant, dict) and "accountId" in participant:
            participant["accountId"] = p["account"]
    return True


@fault("transform", params={"field": Param(str, "conversationId"), "index": Param(int, 0)},
       check=lambda p: None if p["field"] in ("conversationId", "accountId") else
       "field must be conversationId or accountId")  # fmt: skip
def participant_mismatch(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Make participant ``index``'s ``field`` (conversationId or accountId) differ from the conversation's."""
    participants = participants_of(reply)
    if not participants or not 0 <= p["index"] < len(participants) or p["field"] not in participants[p["index"]]:
        return False
    participant = participants[p["index"]]
    participant[p["field"]] = altered(participant[p["field"]])
    return True


@fault("transform")
def duplicate_ids(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Give every conversation the same id (the first one seen while the fault is on)."""
    if not isinstance(reply.body, dict) or not isinstance(reply.body.get("id"), str):
        return False
    sticky = state.setdefault("id", reply.body["id"])
    reply.body["id"] = sticky
    for participant in participants_of(reply) or ():
        if isinstance(participant, dict) and "conversationId" in participant:
            participant["conversationId"] = sticky
    return True


@fault("transform", params={"status": Param(int, 200)}, routes=("fetch",), on="error", check=http_status("status"))
def fetch_unknown(reply: Reply, p: Mapping[str, Any], state: dict[str, Any]) -> bool:
    """Answer a fetch of an id that does not exist with ``status`` (default 200) and a made-up conversation."""
    if reply.status != 404:
        return False
    reply.status = p["status"]
    reply.body = {"id": f"{CONVERSATION_ID_PREFIX}unknown", "accountId": ACCOUNT_SID_PREFIX + "0" * 32,
                  "configurationId": f"{CONFIGURATION_ID_PREFIX}unknown", "status": "ACTIVE"}  # fmt: skip
    return True


@fault("switch", params={"mode": Param(str, "reject")}, routes=("fetch",), stage=Stage.FETCH_ID,
       check=one_of("mode", ("reject", "crash")))  # fmt: skip
def foreign_ids(p: Mapping[str, Any], conversation_id: str) -> None:
    """Answer a fetch of an id that is not a conversation's (a participant's, a configuration's) with 400
    (``reject``) or 500 (``crash``) instead of 404."""
    if conversation_id.startswith(CONVERSATION_ID_PREFIX):
        return
    if p["mode"] == "reject":
        raise InvalidParameter(f"Invalid parameter id: {quote(conversation_id)} is not a conversation id")
    raise InternalError()
