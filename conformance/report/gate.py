"""``conformance gate RUN [--policy FILE]``: may this run ship? Every decision comes with its reason.

The policy is TOML::

    max_warnings = 50        # warned results tolerated (absent: any number)
    drift_blocks = false     # true: undocumented fields/enum values/headers fail the gate
    min_cases = 100          # judged cases (neither inconclusive nor unsent) at least
    max_p95_ms = 250.0       # p95 latency ceiling
    min_family_coverage = 0.9  # share of the plan's case families judged at least once (absent: every family)
    intermittent_fails = true  # false: a check whose every failure group passed on a re-send does not block

    [[known_issues]]         # a check allowed to fail until it expires
    check = "error_code_conformance"
    reason = "vendor ticket 1234: 401 carries 20001"
    expires = 2026-12-31
    group = "error_code_conformance: field code"   # optional: only this failure group (its signature) is excused
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conformance.contract.config_files import GATE_POLICY, problem, toml_line
from conformance.judge.coverage import Confirmation, named
from conformance.report.document import DRIFT_CHECKS, Document, judged_cases, missing_shards, undecided


class PolicyError(Exception):
    """The policy file cannot be used (``schemas/gate-policy.schema.json``): one line naming the file, the line and
    the key."""


@dataclass(frozen=True)
class KnownIssue:
    check: str
    reason: str
    expires: date
    group: str | None = None  # None: every failure of the check


@dataclass(frozen=True)
class Policy:
    """What a release tolerates. The default: no failure at all, at least one judged case."""

    known_issues: tuple[KnownIssue, ...] = ()
    max_warnings: int | None = None
    drift_blocks: bool = False
    min_cases: int = 1
    max_p95_ms: float | None = None
    min_family_coverage: float = 1.0  # every case family judged at least once
    intermittent_fails: bool = True  # a flaky contract violation is still a violation
    source: str = "the default policy (no failure allowed)"


@dataclass(frozen=True)
class Decision:
    verdict: str  # "pass" | "fail" | "excused" | "info"
    subject: str
    reason: str

    @property
    def blocks(self) -> bool:
        return self.verdict == "fail"

    def line(self) -> str:
        return f"{self.verdict.upper():8}{self.subject}: {self.reason}"


@dataclass
class GateResult:
    policy: Policy
    decisions: list[Decision] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(d.blocks for d in self.decisions)


# --- the policy file -------------------------------------------------------------------------


class CheckNames(Collection[str]):
    """The check names a policy may mention: the ones results.json lists (a run lists every check it ran), and,
    only when the policy names another, the registry's (a check the run left out, or a typo to correct)."""

    def __init__(self, listed: Iterable[str]) -> None:
        self.listed = frozenset(listed)

    def __contains__(self, name: object) -> bool:
        return name in self.listed or name in self.every

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.every))

    def __len__(self) -> int:
        return len(self.every)

    @functools.cached_property
    def every(self) -> frozenset[str]:
        from conformance.judge.checks import CHECKS  # the whole suite: imported only for a name the run does not list

        return self.listed | frozenset(CHECKS)


def load_policy(path: Path, known_checks: Collection[str]) -> Policy:
    """Parse and check a policy file; a check name must be one of ``known_checks``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read it ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None
    return _policy(data, text, path, known_checks)


def _policy(data: dict[str, Any], text: str, path: Path, known_checks: Collection[str]) -> Policy:
    said = problem(data, GATE_POLICY, path, text)
    if said:
        raise PolicyError(said)

    def fail(message: str, key: str, table: int) -> PolicyError:
        line = toml_line(text, ["known_issues", table, key])
        return PolicyError(f"{path}{f' line {line}' if line else ''}: {message}")

    limits: dict[str, Any] = {key: value for key, value in data.items() if key != "known_issues"}
    for key in ("max_p95_ms", "min_family_coverage"):
        if key in limits:
            limits[key] = float(limits[key])
    for key in ("max_warnings", "min_cases"):
        if key in limits:
            limits[key] = int(limits[key])  # the schema's integer takes 3.0 too
    known = tuple(_issue(item, i, fail, known_checks) for i, item in enumerate(data.get("known_issues", [])))
    return Policy(known_issues=known, source=str(path), **limits)


def _issue(
    item: dict[str, Any], index: int, fail: Callable[..., PolicyError], known_checks: Collection[str]
) -> KnownIssue:
    """What the schema cannot say: a check the run knows, a date that exists, a group of that check."""
    where = f"known_issues[{index}]"
    check, reason = item["check"], item["reason"]
    if check not in known_checks:
        close = difflib.get_close_matches(check, known_checks, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(known_checks))}"
        raise fail(f"{where}.check {check!r} is not a check name ({hint})", "check", index)
    expires = as_date(item["expires"])
    if expires is None:
        raise fail(f"{where}.expires must be a date such as 2026-12-31, got {item['expires']!r}", "expires", index)
    group = item.get("group")
    if group is not None and not group.startswith(f"{check}: "):
        raise fail(f"{where}.group must be a failure group of {check}, such as '{check}: field name', "
                   f"got {group!r}", "group", index)  # fmt: skip
    return KnownIssue(check, reason.strip(), expires, group)


# --- the decisions -----------------------------------------------------------------------------


def evaluate(document: Document, policy: Policy, today: date) -> GateResult:
    """Every decision the policy makes about a run."""
    result = GateResult(policy)
    decide = result.decisions.append
    counts = document["counts"]
    issues: dict[str, list[KnownIssue]] = {}
    for issue in policy.known_issues:
        issues.setdefault(issue.check, []).append(issue)
    used: set[str] = set()

    if document["interrupted"]:
        never = counts["not_run"] + counts.get("not_drawn", 0)
        decide(Decision("fail", "run", f"interrupted: {never} case(s) never ran"))
    elif unjudged := undecided(document):
        decide(Decision("fail", "run", f"undecided: {unjudged}"))
    if "coverage" in document:
        decide(_coverage(document["coverage"], policy.min_family_coverage))
    missing = missing_shards(document.get("shard"))
    if missing:
        decide(Decision("fail", "shards", f"incomplete shard set: {document['shard']} without {', '.join(missing)}"))
    failed = {name: row["failed"] for name, row in document["checks"].items() if row["failed"]}
    flaky = _intermittent(document)
    for name, count in failed.items():
        if name in flaky and not policy.intermittent_fails:
            decide(Decision("excused", f"check {name}", f"{count} failure(s), intermittent ({flaky[name]}); "
                            "intermittent_fails = false"))  # fmt: skip
            continue
        if any(issue.group for issue in issues.get(name, [])):
            decide(_excuse_groups(document, name, count, issues[name], today, used))
        else:
            what = f"{count} failure(s)" + (f", intermittent ({flaky[name]})" if name in flaky else "")
            decide(_excuse(name, what, issues.get(name, []), today, used))
    if not failed:
        decide(Decision("pass", "failures", "no check failed"))

    drift = {w["check"]: 0 for w in document["warnings"] if w["check"] in DRIFT_CHECKS}
    for warning in document["warnings"]:
        if warning["check"] in drift:
            drift[warning["check"]] += warning["occurrences"]
    if policy.drift_blocks:
        for name, count in drift.items():
            seen = ", ".join(document["undocumented"][DRIFT_CHECKS[name]][:5])
            decide(
                _excuse(
                    name, f"{count} drift warning(s) ({seen}); drift_blocks = true", issues.get(name, []), today, used
                )
            )
        if not drift:
            decide(Decision("pass", "drift", "no undocumented field, enum value or header"))
    elif drift:
        decide(Decision("info", "drift", f"{sum(drift.values())} drift warning(s), allowed (drift_blocks = false)"))

    if policy.max_warnings is not None:
        ok = counts["warnings"] <= policy.max_warnings
        decide(
            Decision(
                "pass" if ok else "fail",
                "max_warnings",
                f"{counts['warnings']} warning(s) {'<=' if ok else '>'} {policy.max_warnings}",
            )
        )

    judged = judged_cases(document)
    ok = judged >= policy.min_cases
    decide(
        Decision(
            "pass" if ok else "fail",
            "min_cases",
            f"{judged} judged case(s) {'>=' if ok else '<'} "
            f"{policy.min_cases} ({counts['inconclusive']} inconclusive, {counts['not_run']} not run)",
        )
    )

    if policy.max_p95_ms is not None:
        p95 = document["latency_ms"].get("p95")
        if p95 is None:
            decide(Decision("fail", "max_p95_ms", "no latency measured: no request got an answer"))
        else:
            ok = p95 <= policy.max_p95_ms
            decide(
                Decision(
                    "pass" if ok else "fail",
                    "max_p95_ms",
                    f"p95 {p95} ms {'<=' if ok else '>'} {policy.max_p95_ms:g} ms",
                )
            )

    for name, entries in issues.items():
        if name not in used:
            for issue in entries:
                state = "expired" if issue.expires < today else f"until {issue.expires}"
                decide(
                    Decision(
                        "info",
                        f"known issue {name}",
                        f"did not fail in this run ({state}): remove the entry once the fix is confirmed",
                    )
                )
    return result


def _coverage(coverage: dict[str, Any], floor: float) -> Decision:
    """Were the plan's case families judged: every one, or the policy's share of them."""
    families, judged, missed = coverage["families"], coverage["judged"], coverage["unjudged"]
    if not missed:
        return Decision("pass", "coverage", f"every case family judged ({families})")
    ok = families > 0 and judged / families >= floor
    rule = f"min_family_coverage = {floor:g}" if floor < 1 else "every family must be judged"
    return Decision("pass" if ok else "fail", "coverage",
                    f"{judged} of {families} case families judged ({rule}); not judged: {named(missed)}")  # fmt: skip


def _intermittent(document: Document) -> dict[str, str]:
    """Check -> how its failures behaved when re-sent, for checks whose every re-sent group passed at least once."""
    by_check: dict[str, list[dict[str, Any]]] = {}
    for group in document.get("confirmation") or ():
        by_check.setdefault(group["check"], []).append(group)
    return {
        check: ", ".join(f"{g['case']} failed {g['failed']} of {g['resent']} re-sends" for g in groups)
        for check, groups in by_check.items()
        if all(g["status"] == Confirmation.INTERMITTENT for g in groups)
    }


def _excuse(check: str, what: str, issues: list[KnownIssue], today: date, used: set[str]) -> Decision:
    subject = f"check {check}"
    if not issues:
        return Decision("fail", subject, f"{what}, not a known issue")
    used.add(check)
    live = [issue for issue in issues if issue.expires >= today]
    if live:
        issue = max(live, key=lambda i: i.expires)
        return Decision("excused", subject, f"{what}: known issue until {issue.expires} ({issue.reason})")
    issue = max(issues, key=lambda i: i.expires)
    return Decision(
        "fail", subject, f"{what}: the known issue expired on {issue.expires} ({issue.reason}), so it no longer excuses"
    )


def _excuse_groups(document: Document, check: str, count: int, issues: list[KnownIssue], today: date,
                   used: set[str]) -> Decision:  # fmt: skip
    """A check whose known issues name failure groups: excused only when every failing group of it is."""
    from conformance.report.digest import build_digest

    whole = [issue for issue in issues if issue.group is None]
    if any(issue.expires >= today for issue in whole):
        return _excuse(check, f"{count} failure(s)", whole, today, used)
    used.add(check)
    groups = [group.key for group in build_digest(document).groups if group.check == check]
    live = {issue.group: issue for issue in sorted(issues, key=lambda i: i.expires) if issue.expires >= today}
    unexcused = [key for key in groups if key not in live]
    if unexcused:
        expired = {issue.group for issue in issues if issue.expires < today}
        said = [f"{key} (its known issue expired)" if key in expired else key for key in unexcused]
        return Decision("fail", f"check {check}", f"{count} failure(s); not a known issue: {'; '.join(said)}")
    reasons = "; ".join(f"{key} until {live[key].expires} ({live[key].reason})" for key in groups)
    return Decision("excused", f"check {check}", f"{count} failure(s), every group a known issue: {reasons}")


def as_date(value: object) -> date | None:
    """A TOML date, datetime or ISO date string as a date; None for anything else (known issues' expiry)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None
