"""How two values differ, in a few words: the difference itself, not the two values.

A 5,000-character name that came back with 8 characters appended shows as the place the two part and what
each has there (``…"ghij" (ends)`` against ``…"ghij" + "-altered"``), lists and objects as the members that
differ. Used where one side is what the suite sent: what this prints of a returned value is only what the vendor
changed in a value the suite generated, which is why a run with personal-data redaction on can show it (a
returned value is otherwise shown whole, so redaction can pseudonymise it, or by its length).
"""

from __future__ import annotations

import json
from typing import Any

CONTEXT = 8  # characters of the common part shown either side of where two strings part
WINDOW = 40  # characters of a differing stretch shown before it is cut (its length said)
KEPT = 4  # a replaced stretch is shown only when it is at most a quarter of what was sent
MEMBERS = 5  # differing members of a list or object named before "and N more"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _stretch(text: str) -> str:
    if len(text) <= WINDOW:
        return _quoted(text)
    return f"{_quoted(text[:WINDOW])}… ({len(text):,} characters)"


def string_difference(sent: str, got: str) -> str | None:
    """Where ``got`` parts from ``sent`` and what each has there: characters added to, or cut from, what was sent,
    or a short stretch of it replaced by one of about its length. None when more than 1/KEPT of it was replaced,
    or by much more (``mem_profile_01`` by ``mem_profile_resolved77``): that is another value of the same shape,
    the vendor's own (maybe personal)."""
    if sent == got:
        return None
    prefix = 0
    for a, b in zip(sent, got, strict=False):
        if a != b:
            break
        prefix += 1
    room = min(len(sent), len(got)) - prefix
    suffix = 0
    while suffix < room and sent[len(sent) - 1 - suffix] == got[len(got) - 1 - suffix]:
        suffix += 1
    head = ("…" if prefix > CONTEXT else "") + _quoted(sent[max(0, prefix - CONTEXT) : prefix]) if prefix else ""
    tail = _quoted(sent[len(sent) - suffix :][:CONTEXT]) + ("…" if suffix > CONTEXT else "") if suffix else ""

    def side(middle: str) -> str:
        parts = [part for part in (head, _stretch(middle) if middle else "", tail) if part]
        return (" + ".join(parts) or '""') + ("" if middle or tail else " (ends)")

    mine, theirs = sent[prefix : len(sent) - suffix], got[prefix : len(got) - suffix]
    if mine and theirs and (len(mine) * KEPT > len(sent) or len(theirs) > 2 * len(mine) + 2):
        return None  # much of it replaced, or by much more: another value of the same shape (the vendor's own)
    return f"they part at character {prefix:,}: sent {side(mine)}, got {side(theirs)}"


def member_differences(sent: Any, got: Any, path: str = "") -> list[str]:
    """The members of two JSON values that differ (``path: sent X, got Y``, ``path: missing``, ``path: added``),
    depth first; equal values give none."""
    if sent == got:
        return []
    if isinstance(sent, dict) and isinstance(got, dict):
        found = []
        for key in [*sent, *(k for k in got if k not in sent)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                found.append(f"{where}: missing")
            elif key not in sent:
                found.append(f"{where}: added")  # the vendor's own value: not shown (it may be personal)
            else:
                found += member_differences(sent[key], got[key], where)
        return found
    if isinstance(sent, list) and isinstance(got, list):
        found = [f"{path}: {len(sent)} items sent, {len(got)} returned"] if len(sent) != len(got) else []
        for index, (mine, theirs) in enumerate(zip(sent, got, strict=False)):
            found += member_differences(mine, theirs, f"{path}[{index}]")
        return found
    if isinstance(sent, str) and isinstance(got, str) and (window := string_difference(sent, got)):
        return [f"{path or 'the value'}: {window}"]
    return [f"{path or 'the value'}: sent {_brief(sent)}, got {_brief(got, whole_or_nothing=True)}"]


def summarised(differences: list[str]) -> str:
    """The first few differences, and how many more."""
    more = len(differences) - MEMBERS
    return "; ".join(differences[:MEMBERS]) + (f"; and {more} more" if more > 0 else "")


def _brief(value: Any, whole_or_nothing: bool = False) -> str:
    """A value as JSON, cut when long; a returned value is shown whole or only by its length (redaction
    pseudonymises whole personal values in a message, so a cut one could slip through)."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= WINDOW:
        return text
    return f"{len(text):,} characters of JSON" if whole_or_nothing else f"{text[:WINDOW]}… ({len(text):,} characters)"
