"""Checks that a conversation read back is the one that was created."""

from __future__ import annotations

from typing import Any

from conformance.judge.checks.registry import (
    ABSENT,
    CheckFailed,
    Context,
    check,
    how_differs,
    instant,
    json_media_type_problem,
    member,
    schema_problems,
    shown,
)
from conformance.send.exchange import NotJSON


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
        mine, theirs = created[key], member(fetched, key)
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
