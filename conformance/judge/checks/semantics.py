"""Checks on what a created conversation means: what was sent comes back, ids and times make sense.

The docs mark every Conversation member but ``id``, ``accountId`` and ``configurationId`` optional,
and never say in which order participants come back. So a member that is present must be right,
``null`` included (the docs type names "string or null": null is a value the API asserts, not the one
sent), a member that is absent is not demanded (``unreturned_members`` reports it), and participants,
addresses and ids are compared as multisets (``participant_order`` reports a different order).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conformance.judge.checks.registry import (
    ABSENT,
    CheckFailed,
    Context,
    check,
    compared,
    how_differs,
    instant,
    json_media_type_problem,
    schema_problems,
    shown,
    timestamped,
)
from conformance.kinds import Account, CaseKind, Severity
from conformance.send.exchange import NotJSON

# --- echo: what was sent comes back ---------------------------------------------------------------


def _present(body: dict[str, Any], key: str) -> Any:
    """The member's value, or ABSENT when it is missing or null (for what was not sent: nothing to compare)."""
    value = body.get(key)
    return ABSENT if value is None else value


def _returned(body: dict[str, Any], key: str) -> Any:
    """The member's value, null included, or ABSENT when it is missing (for what was sent: null is an answer)."""
    return body.get(key, ABSENT)


def _participant_differences(sent: dict[str, Any], got: dict[str, Any], strict: bool = False) -> list[str]:
    """What a returned participant gets wrong about a sent one; members it leaves out are not judged
    unless ``strict`` (used to pair participants by everything they show before falling back)."""
    problems = []
    for key in ("name", "type", "profileId"):
        mine, theirs = sent.get(key), _returned(got, key)
        if mine is not None and (theirs != mine if strict else theirs is not ABSENT and theirs != mine):
            problems.append(compared(key, mine, theirs))
    mine_addresses = sent.get("addresses")
    theirs_addresses = _returned(got, "addresses")
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
        match = next((a for a in remaining if _same_address(address, a)), None)
        if match is None:
            problems.append(f"address {shown(address)} did not come back (returned: {shown(got)})")
        else:
            remaining.remove(match)
    if exact and remaining and not problems:
        problems.append(f"addresses returned that were not sent: {shown(remaining)}")
    return problems


def _same_address(sent: dict[str, Any], got: dict[str, Any]) -> bool:
    if got.get("channel") != sent.get("channel") or got.get("address") != sent.get("address"):
        return False
    return sent.get("channelId") is None or _returned(got, "channelId") in (ABSENT, sent["channelId"])


def _match(sent: list[dict[str, Any]], got: list[dict[str, Any]]) -> dict[int, int] | None:
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


def _sent_participants(ctx: Context) -> list[dict[str, Any]]:
    sent = ctx.case.payload.get("participants") if isinstance(ctx.case.payload, dict) else None
    return [p for p in sent if isinstance(p, dict)] if isinstance(sent, list) else []


# Only a valid request has an echo to judge: an invalid one that was created is negative_data_rejection's
# failure, and comparing a body that breaks the schema would only repeat it in other words.
_ECHOING = frozenset({CaseKind.VALID})


def _echoed(ctx: Context) -> bool:
    return ctx.created is not None and ctx.case.is_json_payload


@check(kinds=_ECHOING, applies=_echoed)
def request_echo(ctx: Context) -> None:
    """What was sent comes back: configurationId, name, participants and their members, the configuration override."""
    sent, got = ctx.case.payload, ctx.created or {}
    problems = []
    if got.get("configurationId") != sent.get("configurationId"):
        problems.append(compared("configurationId", sent.get("configurationId"), got.get("configurationId", ABSENT)))
    name = _returned(got, "name")
    if sent.get("name") is not None and name is not ABSENT and name != sent["name"]:
        problems.append(compared("name", sent["name"], name))
    problems += _participants_echo(_sent_participants(ctx), got.get("participants"))
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
    if _match(sent, returned) is not None:
        return []
    for i, participant in enumerate(sent):  # say what is wrong with the first one that has no counterpart
        if not any(not _participant_differences(participant, other) for other in returned):
            differences = _participant_differences(participant, returned[i])
            return [f"participants[{i}]: no returned participant matches it; the one at the same position has "
                    + "; ".join(differences or ["another participant's members"])]  # fmt: skip
    return ["participants: the returned ones cannot be paired one to one with those sent"]


@check(severity=Severity.WARN, kinds=_ECHOING, applies=_echoed)
def unreturned_members(ctx: Context) -> None:
    """Members that were sent but are absent in the 201: the docs make them optional, so reported only."""
    sent, got = ctx.case.payload, ctx.created or {}
    missing = []
    if sent.get("name") is not None and _returned(got, "name") is ABSENT:
        missing.append("name")
    if sent.get("configuration") and _returned(got, "configuration") is ABSENT:
        missing.append("configuration")
    participants = _sent_participants(ctx)
    returned = got.get("participants")
    if participants and not isinstance(returned, list):
        missing.append("participants")
    elif participants and isinstance(returned, list) and len(returned) == len(participants):
        pairing = _match(participants, [p if isinstance(p, dict) else {} for p in returned]) or {
            i: i for i in range(len(participants))}  # fmt: skip
        for i, participant in enumerate(participants):
            theirs = returned[pairing[i]] if isinstance(returned[pairing[i]], dict) else {}
            for key in ("name", "type", "addresses", "profileId"):
                if key == "profileId" and participant.get("type") != "CUSTOMER":
                    continue  # the docs: resolved only for CUSTOMER participants
                if participant.get(key) not in (None, []) and _returned(theirs, key) is ABSENT:
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
        exact = next((a for a in returned if _same_address(address, a) and a.get("channelId") is not None), None)
        if exact is not None:
            returned.remove(exact)
            del wanted[j]
    missing = []
    for j, address in wanted.items():
        match = next((a for a in returned if _same_address(address, a)), None)
        if match is not None:
            returned.remove(match)
            missing.append(f"{where}.addresses[{j}].channelId")
    return missing


@check(severity=Severity.WARN, kinds=_ECHOING, applies=_echoed)
def participant_order(ctx: Context) -> None:
    """Participants come back in the order they were sent (the docs do not promise it, so reported only)."""
    sent, got = _sent_participants(ctx), (ctx.created or {}).get("participants")
    if not isinstance(got, list) or len(got) != len(sent) or len(sent) < 2:
        return
    pairing = _match(sent, [p if isinstance(p, dict) else {} for p in got])
    if pairing is not None and any(i != j for i, j in pairing.items()):
        order = [pairing[i] for i in range(len(sent))]
        raise CheckFailed(f"participants came back in another order: sent position -> returned position {order}")


# --- identity ----------------------------------------------------------------------------------------


@check(applies=lambda ctx: ctx.created is not None)
def account_identity(ctx: Context) -> None:
    """accountId is the caller's account; every participant belongs to this conversation and account."""
    got = ctx.created or {}
    problems = []
    second = ctx.case.account == Account.SECOND
    expected = ctx.state.expected_account(ctx.case.account)
    firsts = {ctx.state.account_sid, *ctx.state.seen_accounts} - {None}
    if second and got.get("accountId") in firsts:
        problems.append(f"accountId is {shown(got['accountId'])}, the first account's: a conversation the second "
                        "account created belongs to the first")  # fmt: skip
    elif expected and got.get("accountId") != expected:
        problems.append(f"accountId is {shown(got.get('accountId', ABSENT))}, the authenticated account is "
                        f"{shown(expected)}{_case_note(expected, got.get('accountId'))}")  # fmt: skip
    elif not expected and isinstance(got.get("accountId"), str):
        # The account is not known (an API key alone): one caller, one account, through the whole run.
        seen = ctx.state.seen_second_accounts if second else ctx.state.seen_accounts
        first = seen.setdefault(got["accountId"], ctx.case.id)
        others = [account for account in seen if account != got["accountId"]]
        if others and first == ctx.case.id:
            problems.append(
                f"accountId is {shown(got['accountId'])}, earlier conversations of this run (same "
                f"credentials) belong to {shown(others[0])}{_case_note(others[0], got['accountId'])}"
            )
    for i, participant in enumerate(_listed(got.get("participants"))):
        if not isinstance(participant, dict):
            continue
        for key, owner in (("conversationId", "id"), ("accountId", "accountId")):
            if key in participant and participant[key] != got.get(owner):
                problems.append(f"participants[{i}].{key} is {shown(participant[key])}, the conversation's "
                                f"{owner} is {shown(got.get(owner, ABSENT))}")  # fmt: skip
    if problems:
        raise CheckFailed("; ".join(problems))


def _listed(value: Any) -> list[Any]:
    """A member that should be an array, as one (the schema check reports when it is not)."""
    return value if isinstance(value, list) else []


def _case_note(expected: str, got: Any) -> str:
    if isinstance(got, str) and got != expected and got.lower() == expected.lower():
        return " (differs only in letter case)"
    return ""


@check(applies=lambda ctx: ctx.created is not None)
def unique_ids(ctx: Context) -> None:
    """Every conversation and participant id is new and non-empty: none repeats within the run."""
    got = ctx.created or {}
    state, problems = ctx.state, []
    conversation_id = got.get("id")
    if conversation_id == "":
        problems.append("the conversation id is empty")
    elif isinstance(conversation_id, str):
        earlier = state.conversation_ids.get(conversation_id) or state.participant_ids.get(conversation_id)
        if earlier is not None:
            problems.append(f"conversation id {conversation_id} was already returned for case {earlier}")
        state.conversation_ids.setdefault(conversation_id, ctx.case.id)
    for i, participant in enumerate(_listed(got.get("participants"))):
        pid = participant.get("id") if isinstance(participant, dict) else None
        if pid == "":
            problems.append(f"participants[{i}].id is empty")
        if not isinstance(pid, str) or not pid:
            continue
        if pid in state.participant_ids or pid in state.conversation_ids:
            earlier = state.participant_ids.get(pid) or state.conversation_ids.get(pid)
            problems.append(f"participants[{i}].id {pid} was already returned for case {earlier}")
        state.participant_ids.setdefault(pid, ctx.case.id)
    if problems:
        raise CheckFailed("; ".join(problems))


# --- isolation: one request never shows up in another --------------------------------------------------


@check(kinds=_ECHOING, applies=_echoed)
def request_isolation(ctx: Context) -> None:
    """Nothing of one request shows up in another: one shared configuration, overrides that stay put, own addresses.

    Creates without an override show the same configuration, an override changes only what it names, a name
    returned unsent is not another request's, and an address returned unsent was not sent for another profile."""
    sent, got, state = ctx.case.payload, ctx.created or {}, ctx.state
    problems = _configuration_leaks(ctx, sent, got)
    problems += _address_leaks(ctx, _sent_participants(ctx), got.get("participants"))
    name = got.get("name")
    if sent.get("name") is None and isinstance(name, str) and name and name in state.sent_names:
        problems.append(f"name is {shown(name)} though none was sent; case {state.sent_names[name]} sent that name")
    if isinstance(sent.get("name"), str):
        state.sent_names.setdefault(sent["name"], ctx.case.id)
    for participant in _sent_participants(ctx):  # remembered after judging: an address may come back in its own case
        for address in _listed(participant.get("addresses")):
            if isinstance(address, dict):
                key = (address.get("channel"), address.get("address"))
                state.sent_addresses.setdefault(key, {}).setdefault(participant.get("profileId"), ctx.case.id)
    if problems:
        raise CheckFailed("; ".join(problems))


def _configuration_leaks(ctx: Context, sent: dict[str, Any], got: dict[str, Any]) -> list[str]:
    configuration = got.get("configuration")
    if not isinstance(configuration, dict) or not isinstance(got.get("configurationId"), str):
        return []
    override = sent.get("configuration")
    named = {k for k, v in override.items() if v is not None} if isinstance(override, dict) else set()
    shared = ctx.state.shared_configurations.get(got["configurationId"])
    if shared is None:
        if not named:
            ctx.state.shared_configurations[got["configurationId"]] = (configuration, ctx.case.id)
        return []
    base, first = shared
    changed = sorted(k for k in set(base) | set(configuration) if k not in named
                     and _returned(base, k) != _returned(configuration, k))  # fmt: skip
    if not changed:
        return []
    what = f"an override of {', '.join(sorted(named))}" if named else "no override"
    return [f"configuration.{key} is {shown(_returned(configuration, key))} with {what}; conversations of the same "
            f"configuration created without an override show {shown(_returned(base, key))} (first: case {first})"
            for key in changed]  # fmt: skip


def _address_leaks(ctx: Context, sent: list[dict[str, Any]], got: Any) -> list[str]:
    """Addresses returned that this participant did not send (a profile may add its own) but another request of
    the run sent for another profile: they belong to someone else."""
    returned = [p if isinstance(p, dict) else {} for p in _listed(got)]
    if not sent or len(returned) != len(sent):
        return []  # request_echo judges the count
    pairing = _match(sent, returned) or {i: i for i in range(len(sent))}
    problems = []
    for i, participant in enumerate(sent):
        extra = [a for a in _listed(returned[pairing[i]].get("addresses")) if isinstance(a, dict)]
        for address in _listed(participant.get("addresses")):
            match = next((a for a in extra if isinstance(address, dict) and _same_address(address, a)), None)
            if match is not None:
                extra.remove(match)
        for address in extra:
            senders = ctx.state.sent_addresses.get((address.get("channel"), address.get("address")), {})
            others = {profile: case for profile, case in senders.items() if profile != participant.get("profileId")}
            if others:
                profile, case = next(iter(others.items()))
                problems.append(f"participants[{i}] (profileId {shown(participant.get('profileId', ABSENT))}) came "
                                f"back with address {shown(address)}, which it did not send and case {case} sent for "
                                f"{'no profile' if profile is None else f'profile {shown(profile)}'}")  # fmt: skip
    return problems


# --- time ----------------------------------------------------------------------------------------------


@check(applies=lambda ctx: ctx.created is not None)
def timestamp_order(ctx: Context) -> None:
    """createdAt is not after updatedAt, for the conversation and each participant."""
    problems = []
    for where, item in timestamped(ctx.created or {}):
        created, updated = instant(item.get("createdAt")), instant(item.get("updatedAt"))
        if created and updated and created > updated:
            problems.append(f"{where}createdAt {item['createdAt']} is after {where}updatedAt {item['updatedAt']}")
    if problems:
        raise CheckFailed("; ".join(problems))


@check(applies=lambda ctx: ctx.created is not None and ctx.response.sent_at is not None)
def timestamp_freshness(ctx: Context) -> None:
    """createdAt and updatedAt fall within the clock-skew tolerance of the request, on create and on read-back."""
    skew = ctx.state.clock_skew_s
    sent_at = ctx.response.sent_at or 0.0
    problems = _stale(ctx.created or {}, "", sent_at - skew, (ctx.response.received_at or sent_at) + skew)
    fetched = ctx.fetched_body
    if fetched is not None and ctx.fetched is not None and ctx.fetched.received_at is not None:
        problems += _stale(fetched, "read-back ", sent_at - skew, ctx.fetched.received_at + skew)
    if problems:
        raise CheckFailed(f"{'; '.join(problems)} (tolerance {skew:g} s; --clock-skew changes it)")


def _stale(body: dict[str, Any], label: str, earliest: float, latest: float) -> list[str]:
    problems = []
    for where, item in timestamped(body):
        for key in ("createdAt", "updatedAt"):
            moment = instant(item.get(key))
            if moment is None:
                continue
            at = moment.timestamp()
            if not earliest <= at <= latest:
                side, gap = ("before", earliest - at) if at < earliest else ("after", at - latest)
                problems.append(f"{label}{where}{key} {item[key]} is {_duration(gap)} {side} the window around the "
                                f"request ({_iso(earliest)} .. {_iso(latest)})")  # fmt: skip
    return problems


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- read-back -------------------------------------------------------------------------------------------


@check(applies=lambda ctx: ctx.read_back is not None)
def read_back(ctx: Context) -> None:
    """GET /v2/Conversations/{id} answers 200 with the conversation as it was created, field for field."""
    fetched = ctx.fetched
    assert fetched is not None
    if fetched.status != 200:
        raise CheckFailed(f"GET {fetched.url} answered {fetched.status}, expected 200 with the created conversation")
    problem = json_media_type_problem(fetched.content_type)
    if problem:
        raise CheckFailed(f"GET {fetched.url}: {problem}")
    try:
        body = fetched.json
    except NotJSON as exc:
        raise CheckFailed(f"GET {fetched.url} body does not parse: {exc}") from None
    if not isinstance(body, dict):
        raise CheckFailed(f"GET {fetched.url} body is not an object")
    problems = _differences(ctx.created or {}, body, "")
    created_updated, fetched_updated = instant((ctx.created or {}).get("updatedAt")), instant(body.get("updatedAt"))
    if created_updated and fetched_updated and fetched_updated < created_updated:
        problems.append(f"updatedAt went back from {ctx.created['updatedAt']} to {body['updatedAt']}")  # type: ignore[index]
    problems += [f"schema: {p}" for p in schema_problems(ctx.state.contract, "conversation", body)]
    if problems:
        raise CheckFailed("fetched conversation differs from the created one: " + "; ".join(problems[:6]))


def _differences(created: dict[str, Any], fetched: dict[str, Any], prefix: str) -> list[str]:
    """What the read-back lost or changed. A member the create returned must come back equal (null too, though
    a null may be left out; timestamps as instants; updatedAt may move on); the read-back may carry members the
    create left out (its response may be the shorter one); participants are paired by id."""
    problems = []
    for key in sorted(created.keys()):
        mine, theirs = created[key], _returned(fetched, key)
        if key == "updatedAt" or (mine is None and theirs is ABSENT):
            continue
        if key == "participants" and isinstance(mine, list) and isinstance(theirs, list):
            problems += _participant_list_differences(mine, theirs)
        elif key == "createdAt" and instant(mine) is not None and instant(mine) == instant(theirs):
            continue  # the same instant, written another way
        elif mine != theirs:
            problems.append(f"{prefix}{key}: created {shown(mine)}, fetched {shown(theirs)}{how_differs(mine, theirs)}")
    return problems


def _participant_list_differences(created: list[Any], fetched: list[Any]) -> list[str]:
    if len(created) != len(fetched):
        return [f"participants: created {len(created)}, fetched {len(fetched)}"]
    by_id = {p["id"]: p for p in fetched if isinstance(p, dict) and isinstance(p.get("id"), str)}
    problems = []
    for i, participant in enumerate(created):
        if not isinstance(participant, dict):
            continue
        pid = participant.get("id")
        other = by_id.get(pid) if isinstance(pid, str) else None
        if other is None:
            problems.append(f"participants[{i}] (id {shown(participant.get('id', ABSENT))}) is not in the fetched one")
            continue
        problems += _differences(participant, other, f"participants[{i}].")
    return problems
