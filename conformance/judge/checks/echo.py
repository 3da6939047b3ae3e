"""Checks that what was sent comes back in the created conversation.

The docs mark every Conversation member but ``id``, ``accountId`` and ``configurationId`` optional,
and never say in which order participants come back. So a member that is present must be right,
``null`` included (the docs type names "string or null": null is a value the API asserts, not the one
sent), a member that is absent is not demanded (``unreturned_members`` reports it), and participants,
addresses and ids are compared as multisets (``participant_order`` reports a different order).
"""

from __future__ import annotations

from typing import Any

from conformance.judge.checks.registry import (
    ABSENT,
    CheckFailed,
    Context,
    check,
    compared,
    member,
    shown,
)
from conformance.kinds import CaseKind, Severity


def _present(body: dict[str, Any], key: str) -> Any:
    """The member's value, or ABSENT when it is missing or null (for what was not sent: nothing to compare)."""
    value = body.get(key)
    return ABSENT if value is None else value


def _participant_differences(sent: dict[str, Any], got: dict[str, Any], strict: bool = False) -> list[str]:
    """What a returned participant gets wrong about a sent one; members it leaves out are not judged
    unless ``strict`` (used to pair participants by everything they show before falling back)."""
    problems = []
    for key in ("name", "type", "profileId"):
        mine, theirs = sent.get(key), member(got, key)
        if mine is not None and (theirs != mine if strict else theirs is not ABSENT and theirs != mine):
            problems.append(compared(key, mine, theirs))
    mine_addresses = sent.get("addresses")
    theirs_addresses = member(got, "addresses")
    if isinstance(mine_addresses, list) and mine_addresses and isinstance(theirs_addresses, list):
        problems += _address_differences(mine_addresses, theirs_addresses, exact=sent.get("profileId") is None)
    elif isinstance(mine_addresses, list) and mine_addresses and theirs_addresses is None:
        problems.append(compared("addresses", mine_addresses, None))
    resolved = _present(got, "profileId")
    if sent.get("profileId") is None and resolved is not ABSENT:
        kind = _present(got, "type")
        if kind is not ABSENT and kind != "CUSTOMER":  # the docs: resolved only for CUSTOMER participants
            problems.append(f"profileId {shown(resolved)} returned for a {kind} participant that sent none")
    elif not mine_addresses and isinstance(theirs_addresses, list) and theirs_addresses and resolved is ABSENT:
        # Nothing sent and no profile to resolve them from: these addresses belong to someone else.
        problems.append(f"addresses {shown(theirs_addresses)} returned though none were sent and no profile was given")
    return problems


def _address_differences(sent: list[Any], got: list[Any], exact: bool) -> list[str]:
    """Every sent address must come back (channelId too, when returned); with a profile, more may come."""
    remaining = [a for a in got if isinstance(a, dict)]
    problems = []
    for address in sent:
        if not isinstance(address, dict):
            continue
        match = next((a for a in remaining if same_address(address, a)), None)
        if match is None:
            problems.append(f"address {shown(address)} did not come back (returned: {shown(got)})")
        else:
            remaining.remove(match)
    if exact and remaining and not problems:
        problems.append(f"addresses returned that were not sent: {shown(remaining)}")
    return problems


def same_address(sent: dict[str, Any], got: dict[str, Any]) -> bool:
    if got.get("channel") != sent.get("channel") or got.get("address") != sent.get("address"):
        return False
    return sent.get("channelId") is None or member(got, "channelId") in (ABSENT, sent["channelId"])


def paired(sent: list[dict[str, Any]], got: list[dict[str, Any]]) -> dict[int, int] | None:
    """A pairing (sent index -> returned index) of every sent participant with a distinct returned one
    that agrees with it, preferring full agreement and the same position; None when there is none."""
    return _pairing(sent, got, strict=True) or _pairing(sent, got, strict=False)


def _pairing(sent: list[dict[str, Any]], got: list[dict[str, Any]], strict: bool) -> dict[int, int] | None:
    known: dict[tuple[int, int], bool] = {}

    def agrees(i: int, j: int) -> bool:  # compared only when the search asks: in order, that is once per pair
        if (i, j) not in known:
            known[i, j] = not _participant_differences(sent[i], got[j], strict)
        return known[i, j]

    owner: dict[int, int] = {}  # returned index -> sent index

    def place(i: int, seen: set[int]) -> bool:  # augmenting paths (Kuhn's algorithm); n <= 50, cheap
        for j in [i, *range(len(got))] if i < len(got) else range(len(got)):
            if j in seen or not agrees(i, j):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(sent)):
        if not place(i, set()):
            return None
    return {i: j for j, i in owner.items()}


def sent_participants(ctx: Context) -> list[dict[str, Any]]:
    """The participants the request sent that are objects (the schema check judges any that are not)."""
    sent = ctx.case.payload.get("participants") if isinstance(ctx.case.payload, dict) else None
    return [p for p in sent if isinstance(p, dict)] if isinstance(sent, list) else []


# Only a valid request has an echo to judge: an invalid one that was created is negative_data_rejection's
# failure, and comparing a body that breaks the schema would only repeat it in other words.
ECHOING = frozenset({CaseKind.VALID})


def echoed(ctx: Context) -> bool:
    """A conversation was created from a JSON body: there is an echo to compare with what was sent."""
    return ctx.created is not None and ctx.case.is_json_payload


@check(kinds=ECHOING, applies=echoed)
def request_echo(ctx: Context) -> None:
    """What was sent comes back: configurationId, name, participants and their members, the configuration override."""
    sent, got = ctx.case.payload, ctx.created or {}
    problems = []
    if got.get("configurationId") != sent.get("configurationId"):
        problems.append(compared("configurationId", sent.get("configurationId"), got.get("configurationId", ABSENT)))
    name = member(got, "name")
    if sent.get("name") is not None and name is not ABSENT and name != sent["name"]:
        problems.append(compared("name", sent["name"], name))
    problems += _participants_echo(sent_participants(ctx), got.get("participants"))
    override = (sent.get("configuration") or {}).get("intelligenceConfigurationIds")
    configuration = got.get("configuration")
    effective = configuration.get("intelligenceConfigurationIds") if isinstance(configuration, dict) else None
    if override and isinstance(effective, list):
        missing = _lacking(override, effective)
        if missing:
            problems.append(f"configuration.intelligenceConfigurationIds sent {shown(override)}, the returned "
                            f"configuration lacks {shown(missing)} (it has {shown(effective)})")  # fmt: skip
    if problems:
        raise CheckFailed("; ".join(problems))


def _lacking(sent: list[Any], got: list[Any]) -> list[Any]:
    """The items of ``sent`` that ``got`` does not carry as many times (multisets: no order, repeats count)."""
    remaining = list(got)
    missing = []
    for item in sent:
        if item in remaining:
            remaining.remove(item)
        else:
            missing.append(item)
    return missing


def _participants_echo(sent: list[dict[str, Any]], got: Any) -> list[str]:
    if not isinstance(got, list):
        return []  # absent (or not a list: the schema check says so): nothing to compare
    returned = [p for p in got if isinstance(p, dict)]
    if len(returned) != len(sent):
        return [f"sent {len(sent)} participants, got {len(got)} back"]
    if paired(sent, returned) is not None:
        return []
    for i, participant in enumerate(sent):  # say what is wrong with the first one that has no counterpart
        if not any(not _participant_differences(participant, other) for other in returned):
            differences = _participant_differences(participant, returned[i])
            return [f"participants[{i}]: no returned participant matches it; the one at the same position has "
                    + "; ".join(differences or ["another participant's members"])]  # fmt: skip
    return ["participants: the returned ones cannot be paired one to one with those sent"]


@check(severity=Severity.WARN, kinds=ECHOING, applies=echoed)
def unreturned_members(ctx: Context) -> None:
    """Members that were sent but are absent in the 201: the docs make them optional, so reported only."""
    sent, got = ctx.case.payload, ctx.created or {}
    missing = []
    if sent.get("name") is not None and member(got, "name") is ABSENT:
        missing.append("name")
    if sent.get("configuration") and member(got, "configuration") is ABSENT:
        missing.append("configuration")
    participants = sent_participants(ctx)
    returned = got.get("participants")
    if participants and not isinstance(returned, list):
        missing.append("participants")
    elif participants and isinstance(returned, list) and len(returned) == len(participants):
        pairing = paired(participants, [p if isinstance(p, dict) else {} for p in returned]) or {
            i: i for i in range(len(participants))}  # fmt: skip
        for i, participant in enumerate(participants):
            theirs = returned[pairing[i]] if isinstance(returned[pairing[i]], dict) else {}
            for key in ("name", "type", "addresses", "profileId"):
                if key == "profileId" and participant.get("type") != "CUSTOMER":
                    continue  # the docs: resolved only for CUSTOMER participants
                if participant.get(key) not in (None, []) and member(theirs, key) is ABSENT:
                    missing.append(f"participants[{i}].{key}")
            missing += _unreturned_channel_ids(participant, theirs, f"participants[{i}]")
    if missing:
        raise CheckFailed(f"sent but not returned: {', '.join(missing)}", tuple(missing))


def _unreturned_channel_ids(sent: dict[str, Any], got: dict[str, Any], where: str) -> list[str]:
    mine, theirs = sent.get("addresses"), got.get("addresses")
    if not isinstance(mine, list) or not isinstance(theirs, list):
        return []
    returned = [a for a in theirs if isinstance(a, dict)]
    wanted = {j: a for j, a in enumerate(mine) if isinstance(a, dict) and a.get("channelId") is not None}
    for j, address in list(wanted.items()):  # exact matches first: a look-alike without channelId is not it
        exact = next((a for a in returned if same_address(address, a) and a.get("channelId") is not None), None)
        if exact is not None:
            returned.remove(exact)
            del wanted[j]
    missing = []
    for j, address in wanted.items():
        match = next((a for a in returned if same_address(address, a)), None)
        if match is not None:
            returned.remove(match)
            missing.append(f"{where}.addresses[{j}].channelId")
    return missing


@check(severity=Severity.WARN, kinds=ECHOING, applies=echoed)
def participant_order(ctx: Context) -> None:
    """Participants come back in the order they were sent (the docs do not promise it, so reported only)."""
    sent, got = sent_participants(ctx), (ctx.created or {}).get("participants")
    if not isinstance(got, list) or len(got) != len(sent) or len(sent) < 2:
        return
    pairing = paired(sent, [p if isinstance(p, dict) else {} for p in got])
    if pairing is not None and any(i != j for i, j in pairing.items()):
        order = [pairing[i] for i in range(len(sent))]
        raise CheckFailed(f"participants came back in another order: sent position -> returned position {order}")
