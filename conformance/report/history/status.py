"""Each failure group's story across the recorded nights, as of the newest one.

Statuses (the README's "History" section says the same):

- ``new``: failing in the newest night, and in no earlier recorded night (the newest night that judged it).
- ``persistent``: failing in the newest night and the one before it, without coming back twice in the window.
- ``regressed``: failing in the newest night, not in the one before, and failing in some earlier night
  (it was fixed, and it is back).
- ``intermittent``: failing in the newest night, and within the window it came back after a night without it
  at least twice; or the run's own confirmation (re-sending the group) called it intermittent.
- ``fixed``: failed within the window, not in the newest night.

The window is the newest ``window`` nights; "nights failing" counts within it, first and last seen over all the
nights read. A night counts where it reported a group failing. Where it did not, it is evidence of a fix only when
it judged the group: it ended with a verdict (PASSED or FAILED; not interrupted, undecided, incomplete), ran the
group's check (no --checks allow-list left it out) and judged every case family the group failed in (a budget or
missing second-account credentials leave families unjudged, even on a FAILED night). Any other night is unknown
for the group, and skipped: it proves no fix. Nights and groups recorded before families and checks were kept
are judged by their verdict alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from conformance.judge.coverage import Verdict
from conformance.report.history.store import GroupRecord, Night

DEFAULT_WINDOW = 14  # nights: two weeks of a nightly
# verdicts (upper case, as Night.verdict holds them) of a run that judged what it set out to; any other proves no fix
CONCLUSIVE = (Verdict.PASSED.upper(), Verdict.FAILED.upper())
STATUSES = ("new", "regressed", "intermittent", "persistent", "fixed")  # shown in this order


@dataclass
class GroupHistory:
    """One failure group across the nights."""

    signature: str
    check: str
    cause: str
    status: str
    first_seen: Night
    last_seen: Night
    nights_failing: int  # within the window
    window: int  # nights in the window
    streak: int  # consecutive failing nights ending with the newest one (0 when fixed)
    latest: GroupRecord  # its record in the last night it failed
    since: Night | None = None  # the first night of the current streak (None when fixed)
    strip: list[bool | None] = field(default_factory=list)  # per night of the window, oldest first: failing,
    # not failing, or None for a night that did not report it and did not judge it (see _evidence)

    @property
    def failing(self) -> bool:
        return self.status != "fixed"

    def line(self) -> str:
        """One line, e.g. "persistent: failing 5 nights, since 2026-12-02 (5 of the last 14)"."""
        share = f"{self.nights_failing} of the last {self.window} nights"
        if not self.failing or self.since is None:
            return f"fixed: last seen {self.last_seen.day} (failed {share})"
        nights = "1 night" if self.streak == 1 else f"{self.streak} nights"
        first = f"first seen {self.first_seen.day}; " if self.first_seen is not self.since else ""
        return f"{self.status}: failing {nights}, since {self.since.day} ({first}{share})"


def group_histories(nights: list[Night], window: int = DEFAULT_WINDOW) -> list[GroupHistory]:
    """Every group that failed within the window, as of the newest night; most pressing first."""
    if not nights:
        return []
    recent = nights[-window:]
    offset = len(nights) - len(recent)
    histories = []
    for signature in {signature for night in recent for signature in night.failing}:
        records = [g for night in nights for g in night.groups if g.signature == signature]
        check = records[-1].check
        families = frozenset(family for record in records for family in record.families)  # everywhere it failed
        evidence = [_evidence(night, signature, check, families) for night in nights]
        judged = [i for i, seen in enumerate(evidence) if seen is not None]
        failing = [i for i in judged if evidence[i]]
        first, last = failing[0], failing[-1]
        streak = 0
        for i in reversed(judged):
            if not evidence[i]:
                break
            streak += 1
        returns = sum(1 for before, i in itertools.pairwise(judged)
                      if evidence[i] and not evidence[before] and i > first and i >= offset)  # fmt: skip
        latest = next(g for g in nights[last].groups if g.signature == signature)
        histories.append(GroupHistory(
            signature=signature, check=latest.check, cause=latest.cause,
            status=_status(streak, len(failing) == 1, returns, latest.confirmation),
            first_seen=nights[first], last_seen=nights[last],
            nights_failing=sum(1 for i in failing if i >= offset), window=len(recent), streak=streak, latest=latest,
            strip=evidence[offset:], since=nights[failing[-streak]] if streak else None,
        ))  # fmt: skip
    order = {status: i for i, status in enumerate(STATUSES)}
    return sorted(histories, key=lambda h: (order[h.status], -h.streak, h.signature))


def _evidence(night: Night, signature: str, check: str, families: frozenset[str]) -> bool | None:
    """Failing (True), judged and not failing (False), or unknown (None): a night that did not judge the group
    (no verdict, its check left out, one of its families unjudged) is no evidence that it was fixed."""
    if signature in night.failing:
        return True
    if night.verdict not in CONCLUSIVE:
        return None
    if night.checks is not None and check not in night.checks:
        return None
    if night.families and not all(night.families.get(family) for family in families):
        return None  # a family it did not plan, or planned and left unjudged
    return False


def _status(streak: int, only_tonight: bool, returns: int, confirmation: str | None) -> str:
    if streak == 0:
        return "fixed"
    if confirmation == "intermittent" or returns >= 2:
        return "intermittent"
    if only_tonight:
        return "new"
    if streak == 1:
        return "regressed"
    return "persistent"
