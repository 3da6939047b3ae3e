"""Compare two shapes and classify every difference by the suite's own drift rules.

The rules (README, "Contract watch") follow what the suite does with a response the docs do not describe: an
additional member or header is reported, while a missing required member, a changed type, a value outside a
documented enum and an undocumented status fail. So, seen from the schemas the suite holds:

- *additive*: a new optional request member or parameter, any new response member or header, a request rule
  loosened (a limit raised or dropped, an enum value or ``null`` accepted, a member no longer required), a
  response promise added (a member now always present, ``null`` no longer sent);
- *breaking*: anything removed (member, enum value, status, parameter, header, security scheme), a type or
  format changed, a limit tightened, a new required request member or parameter, and on responses anything the
  current schemas would fail: a new enum value, a new status, ``null`` now sent, a member no longer promised.

A change found at the same member of several bodies (the Conversation of the 201 and of the 200, the error
body of every error status) is one change listing where it applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.contract_watch.shape import LIMITS, OPERATIONS, Facts, Member, Scope, Shape, operation_name

Severity = Literal["additive", "breaking"]
Direction = Literal["request", "response"]
MAXIMA = frozenset({"maxItems", "maxLength", "maxProperties", "maximum", "exclusiveMaximum"})
MINIMA = frozenset({"minItems", "minLength", "minProperties", "minimum", "exclusiveMinimum"})


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` names the rule that classified it."""

    kind: str
    subject: str  # the member path, status, parameter or header it is about
    before: Any
    after: Any
    severity: Severity
    where: tuple[str, ...] = field(default=())  # the places (bodies, operations) it applies to

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "severity": self.severity, "where": list(self.where),
                "before": _plain(self.before), "after": _plain(self.after), "detail": self.detail}  # fmt: skip

    @property
    def detail(self) -> str:
        """The change in a few words: ``maxItems 50 -> 20``, ``boolean -> string``, ``object``."""
        before, after = _plain(self.before), _plain(self.after)
        if self.kind.startswith("status"):
            return "now documented" if self.kind == "status added" else "no longer documented"
        if self.kind == "limit changed":
            return f"{before[0]} {_shown(before[1])} -> {_shown(after[1])}"
        if self.kind in ("required changed", "nullable changed"):
            word = "required" if self.kind == "required changed" else "nullable"
            return f"{'' if before else 'not '}{word} -> {'' if after else 'not '}{word}"
        if isinstance(before, dict) or isinstance(after, dict):  # a member, parameter or header: its facts
            facts = after if isinstance(after, dict) else before
            return ", ".join(f"{k} {_shown(v)}" if k != "required" else "required" for k, v in facts.items())
        if self.kind.endswith(("added", "removed")):
            return _shown(after if after is not None else before)
        return f"{_shown(before)} -> {_shown(after)}"


# --- the rules: (direction, before, after) -> severity -------------------------------------------

Rule = Callable[[Direction, Any, Any], Severity]
RULES: dict[str, Rule] = {}


def rule(kind: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[kind] = function
        return function

    return register


@rule("member added")
def member_added(direction: Direction, before: Any, after: Facts) -> Severity:
    """A new member: breaking only when a request must now carry it."""
    return "breaking" if direction == "request" and after.required else "additive"


@rule("member removed")
def member_removed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("type changed")
def type_changed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("required changed")
def required_changed(direction: Direction, before: bool, after: bool) -> Severity:
    """Requests: newly required breaks. Responses: no longer promised breaks (the suite fails its absence)."""
    return "breaking" if (after if direction == "request" else before) else "additive"


@rule("nullable changed")
def nullable_changed(direction: Direction, before: bool, after: bool) -> Severity:
    """Requests: ``null`` refused breaks. Responses: ``null`` now sent breaks (the suite fails it as a type)."""
    return "breaking" if (before if direction == "request" else after) else "additive"


@rule("enum value added")
def enum_value_added(direction: Direction, before: Any, after: Any) -> Severity:
    """Responses: a value outside the documented enum fails the suite (and clients that switch on it)."""
    return "additive" if direction == "request" else "breaking"


@rule("enum value removed")
def enum_value_removed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("limit changed")
def limit_changed(direction: Direction, before: tuple[str, Any], after: tuple[str, Any]) -> Severity:
    """Tightened (a lower maximum, a higher minimum, a new or other pattern or format) breaks."""
    name, old = before
    _, new = after
    if new is None:
        return "additive"
    if old is None or name in ("pattern", "format"):
        return "breaking"
    if name in MAXIMA:
        return "breaking" if new < old else "additive"
    return "breaking" if new > old else "additive"


@rule("status added")
def status_added(direction: Direction, before: Any, after: Any) -> Severity:
    """An undocumented status fails the suite: a newly documented one changes what it accepts."""
    return "breaking"


@rule("status removed")
def status_removed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("parameter added")
def parameter_added(direction: Direction, before: Any, after: Facts) -> Severity:
    return "breaking" if after.required else "additive"


@rule("parameter removed")
def parameter_removed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("header added")
def header_added(direction: Direction, before: Any, after: Any) -> Severity:
    """A response header the docs now name: the suite reports undocumented headers, it does not fail them."""
    return "additive"


@rule("header removed")
def header_removed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


@rule("security changed")
def security_changed(direction: Direction, before: Any, after: Any) -> Severity:
    return "breaking"


# --- comparing ---------------------------------------------------------------------------------


def compare(current: Shape, source: Shape) -> list[Change]:
    """Every difference between ``schemas/`` (``current``) and a description (``source``), grouped by place."""
    scope = source.scope
    found: list[tuple[str, str, Any, Any, Direction, str]] = []  # kind, subject, before, after, direction, where
    for operation in (operation_name(method, path) for method, path in OPERATIONS):
        if scope is not None and operation not in scope.operations:
            continue
        old, new = current.statuses.get(operation, frozenset()), source.statuses.get(operation, frozenset())
        found += [("status added", s, None, s, "response", operation) for s in sorted(new - old)]
        found += [("status removed", s, s, None, "response", operation) for s in sorted(old - new)]
        if scope is None and current.security.get(operation) != source.security.get(operation):
            found.append(("security changed", "security", sorted(current.security.get(operation, ())),
                          sorted(source.security.get(operation, ())), "request", operation))  # fmt: skip
        if scope is None:
            found += _places(current.parameters.get(operation, {}), source.parameters.get(operation, {}),
                             "parameter", "request", operation)  # fmt: skip
        for status in sorted(old & new):
            place = f"{operation} {status}"
            if scope is None:
                found += _places(current.headers.get(place, {}), source.headers.get(place, {}), "header",
                                 "response", place)  # fmt: skip
            found += _body(current.bodies.get(place), source.bodies.get(place), "response", place, scope)
        place = f"{operation} request"
        found += _body(current.bodies.get(place), source.bodies.get(place), "request", place, scope)
    return _grouped(found)


def _body(old: dict[str, Member] | None, new: dict[str, Member] | None, direction: Direction, where: str,
          scope: Scope | None) -> Iterator[tuple[str, str, Any, Any, Direction, str]]:  # fmt: skip
    """A body's members; a body only one side documents is one member, ``(body)``, added or removed."""
    if old is not None and new is not None:
        yield from _members(old, new, direction, where, scope)
    elif new is not None:
        yield "member added", "(body)", None, new[""].facts, direction, where
    elif old is not None and scope is None:  # a page documents no error bodies: it is silent, not removing them
        yield "member removed", "(body)", old[""].facts, None, direction, where


def _places(old: dict[str, Member], new: dict[str, Member], what: str, direction: Direction,
            where: str) -> Iterator[tuple[str, str, Any, Any, Direction, str]]:  # fmt: skip
    for name in sorted(set(new) - set(old)):
        yield f"{what} added", name, None, new[name].facts, direction, where
    for name in sorted(set(old) - set(new)):
        yield f"{what} removed", name, old[name].facts, None, direction, where
    for name in sorted(set(old) & set(new)):
        for kind, before, after in _fact_changes(old[name].facts, new[name].facts, None, direction):
            yield kind, f"{what} {name}", before, after, direction, where


def _members(old: dict[str, Member], new: dict[str, Member], direction: Direction, where: str,
             scope: Scope | None) -> Iterator[tuple[str, str, Any, Any, Direction, str]]:  # fmt: skip
    def in_scope(path: str) -> bool:
        return scope is None or _depth(path) <= scope.depth

    added = [p for p in new if p not in old and in_scope(p)]
    removed = [p for p in old if p not in new and in_scope(p)]
    for path in added:
        if _parent(path) in new and _parent(path) not in added:  # only the top of a new subtree
            yield "member added", path, None, new[path].facts, direction, where
    for path in removed:
        if _parent(path) in old and _parent(path) not in removed:
            yield "member removed", path, old[path].facts, None, direction, where
    for path in old:
        if path in new and in_scope(path):
            for kind, before, after in _fact_changes(old[path].facts, new[path].facts, scope, direction):
                yield kind, path or "(body)", before, after, direction, where


def _fact_changes(old: Facts, new: Facts, scope: Scope | None,
                  direction: Direction = "request") -> Iterator[tuple[str, Any, Any]]:  # fmt: skip
    def compared(fact: str) -> bool:
        return scope is None or fact in scope.facts

    if compared("types") and old.types != new.types:
        yield "type changed", sorted(old.types), sorted(new.types)
    if compared(f"required:{direction}") and old.required != new.required:
        yield "required changed", old.required, new.required
    if compared("nullable") and old.nullable != new.nullable:
        yield "nullable changed", old.nullable, new.nullable
    if compared("enum"):
        old_enum, new_enum = old.enum or frozenset(), new.enum or frozenset()
        for value in sorted(new_enum - old_enum, key=str):
            yield "enum value added", None, value
        for value in sorted(old_enum - new_enum, key=str):
            yield "enum value removed", value, None
    for name in LIMITS:
        if compared(name) and old.limits.get(name) != new.limits.get(name):
            yield "limit changed", (name, old.limits.get(name)), (name, new.limits.get(name))


def _grouped(found: list[tuple[str, str, Any, Any, Direction, str]]) -> list[Change]:
    """One change per (kind, subject, before, after, severity), listing every place it applies to."""
    groups: dict[tuple[str, str, str, str, Severity], list[str]] = {}
    values: dict[tuple[str, str, str, str, Severity], tuple[Any, Any]] = {}
    for kind, subject, before, after, direction, where in found:
        severity = RULES[kind](direction, before, after)
        key = (kind, subject, repr(_plain(before)), repr(_plain(after)), severity)
        groups.setdefault(key, []).append(where)
        values[key] = (before, after)
    changes = [Change(kind, subject, *values[key], severity, tuple(where))
               for key, where in groups.items() for kind, subject, *_, severity in [key]]  # fmt: skip
    return sorted(changes, key=lambda c: c.severity != "breaking")  # breaking first, then as found


def _parent(path: str) -> str:
    for suffix in ("[]", "{}"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path.rpartition(".")[0]


def _depth(path: str) -> int:
    return 0 if not path else path.count(".") + path.count("[]") + path.count("{}") + 1


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "|".join(map(str, value))
    return str(value)


def _plain(value: Any) -> Any:
    """A fact as JSON: a member's facts as a small object, sets sorted."""
    if isinstance(value, Facts):
        plain: dict[str, Any] = {"type": sorted(value.types_with_null())}
        if value.required:
            plain["required"] = True
        if value.enum is not None:
            plain["enum"] = sorted(value.enum, key=str)
        return {**plain, **dict(value.limits)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    return value
