"""Checks that nothing of one request shows up in another (a shared configuration, an address, a name)."""

from __future__ import annotations

from typing import Any

from conformance.judge.checks.echo import ECHOING, echoed, paired, same_address, sent_participants
from conformance.judge.checks.registry import (
    ABSENT,
    CheckFailed,
    Context,
    check,
    listed,
    member,
    shown,
)


@check(kinds=ECHOING, applies=echoed)
def request_isolation(ctx: Context) -> None:
    """Nothing of one request shows up in another: one shared configuration, overrides that stay put, own addresses.

    Creates without an override show the same configuration, an override changes only what it names, a name
    returned unsent is not another request's, and an address returned unsent was not sent for another profile."""
    sent, got, state = ctx.case.payload, ctx.created or {}, ctx.state
    problems = _configuration_leaks(ctx, sent, got)
    problems += _address_leaks(ctx, sent_participants(ctx), got.get("participants"))
    name = got.get("name")
    if sent.get("name") is None and isinstance(name, str) and name and name in state.sent_names:
        problems.append(f"name is {shown(name)} though none was sent; case {state.sent_names[name]} sent that name")
    if isinstance(sent.get("name"), str):
        state.sent_names.setdefault(sent["name"], ctx.case.id)
    for participant in sent_participants(ctx):  # remembered after judging: an address may come back in its own case
        for address in listed(participant.get("addresses")):
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
                     and member(base, k) != member(configuration, k))  # fmt: skip
    if not changed:
        return []
    what = f"an override of {', '.join(sorted(named))}" if named else "no override"
    return [f"configuration.{key} is {shown(member(configuration, key))} with {what}; conversations of the same "
            f"configuration created without an override show {shown(member(base, key))} (first: case {first})"
            for key in changed]  # fmt: skip


def _address_leaks(ctx: Context, sent: list[dict[str, Any]], got: Any) -> list[str]:
    """Addresses returned that this participant did not send (a profile may add its own) but another request of
    the run sent for another profile: they belong to someone else."""
    returned = [p if isinstance(p, dict) else {} for p in listed(got)]
    if not sent or len(returned) != len(sent):
        return []  # request_echo judges the count
    pairing = paired(sent, returned) or {i: i for i in range(len(sent))}
    problems = []
    for i, participant in enumerate(sent):
        extra = [a for a in listed(returned[pairing[i]].get("addresses")) if isinstance(a, dict)]
        for address in listed(participant.get("addresses")):
            match = next((a for a in extra if isinstance(address, dict) and same_address(address, a)), None)
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
