"""Checks that a created conversation belongs to the caller's account and that its ids are distinct."""

from __future__ import annotations

from typing import Any

from conformance.judge.checks.registry import (
    ABSENT,
    CheckFailed,
    Context,
    check,
    listed,
    shown,
)
from conformance.kinds import Account


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
    for i, participant in enumerate(listed(got.get("participants"))):
        if not isinstance(participant, dict):
            continue
        for key, owner in (("conversationId", "id"), ("accountId", "accountId")):
            if key in participant and participant[key] != got.get(owner):
                problems.append(f"participants[{i}].{key} is {shown(participant[key])}, the conversation's "
                                f"{owner} is {shown(got.get(owner, ABSENT))}")  # fmt: skip
    if problems:
        raise CheckFailed("; ".join(problems))


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
    for i, participant in enumerate(listed(got.get("participants"))):
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
