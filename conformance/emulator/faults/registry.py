"""The fault registry: what a fault is, how one registers, and what it acts on.

Each fault is one small function registered with :func:`fault`; its docstring is its one-line description,
and everything it does is in that function. Kinds (as the control API names them):

- ``respond``: answer instead of the emulator (e.g. a 500);
- ``delay``: sleep before answering;
- ``switch``: bend one rule while a request is handled, by hooking one :class:`Stage` of it;
- ``transform``: change an otherwise faithful reply (``on`` says which: success or error); one that
  ``sees_request`` also gets what arrived (:class:`Inbound`), to echo it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from conformance.emulator.exceptions import EmulatorError

ROUTES = ("create", "fetch")
JSON = "application/json"


@dataclass(slots=True)
class Reply:
    """A response before it goes on the wire; faults act on this."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
    raw: bytes | None = None  # sent as-is instead of ``body`` when set

    @classmethod
    def error(cls, exc: EmulatorError) -> Reply:
        return cls(exc.status, exc.body(), dict(exc.headers))


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a fault that echoes the request sees of it: the request line and the headers, as they arrived."""

    method: str
    target: str  # path and query
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def text(self) -> str:
        return f"{self.method} {self.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers)


class Stage(StrEnum):
    """A point in handling a request where a switch fault can act. The HTTP layer calls the hooks of the active
    faults of a stage (in the order the faults are defined, then the order injected) with the stage's arguments,
    after the parameters ``p``; a hook that acts returns a true value (or raises the vendor error it answers
    with), and that uses one of its fault's count.

    ``first`` stages stop at the first hook that acts and use what it returned; ``every`` stages run them all."""

    AUTH_REFUSED = "auth_refused"  # first: (p, backend, mode, form) -> the account to let the request in as
    AUTH_ORDER = "auth_order"  # first, create: (p) -> True to judge the body before the credentials
    CONTENT_TYPE = "content_type"  # first, create, Content-Type not JSON: (p) -> True to read the body anyway
    REQUEST = "request"  # every, create: (p, backend, body) -> True when it used the (parsed) body; edits in place
    CONFIGURATION = "configuration"  # first, create: (p, backend, account, body) -> True: any account's config
    INVALID = "invalid"  # first, create, body refused: (p, backend, body) -> True to create from it regardless
    FETCH_ID = "fetch_id"  # first, fetch: (p, conversation_id) -> raises to answer before the lookup
    FETCH_ELSEWHERE = "fetch_elsewhere"  # first, fetch of another account's: (p, found, id, form) -> found, or raises
    SUCCESS = "success"  # every, a success the emulator built: (p, backend, account, reply) -> True; edits reply


Kind = Literal["respond", "switch", "transform", "delay"]
ParamCheck = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Param:
    """A fault parameter: its type, its default, whether JSON null is a value of it (``nullable``; needed for a
    default of ``None``, optional with none) and, for a number, the least and most it may be."""

    type: type
    default: Any = None
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None

    def __post_init__(self) -> None:
        if self.default is None and not self.nullable:
            raise TypeError("a parameter whose default is None must be nullable")

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this parameter, or None."""
        if value is None:
            return None if self.nullable else "must not be null"
        if not _is_a(value, self.type):
            return f"must be {self.type.__name__}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}"
        return None

    def describe(self) -> dict[str, Any]:
        bounds = {
            key: value for key, value in (("minimum", self.minimum), ("maximum", self.maximum)) if value is not None
        }
        return {"type": self.type.__name__, "default": self.default, "nullable": self.nullable, **bounds}


class FaultError(ValueError):
    """A fault request that cannot be honoured (unknown name, bad parameter)."""


@dataclass(frozen=True)
class Fault:
    """One registered fault."""

    name: str
    doc: str
    kind: Kind
    func: Callable[..., Any]
    params: Mapping[str, Param]
    routes: tuple[str, ...]
    on: Literal["success", "error", "any"]
    sees_request: bool = False  # a transform called with the request too (see Inbound)
    stage: Stage | None = None  # the stage a switch hooks
    check: ParamCheck | None = None  # what the parameters' types cannot say: None, or what is wrong
    order: int = 0  # place in the registry: a stage runs its faults in this order

    def describe(self) -> dict[str, Any]:
        params = {name: p.describe() for name, p in self.params.items()}
        return {"doc": self.doc, "kind": self.kind, "routes": list(self.routes), "params": params}

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The fault's parameters with their defaults filled in, checked; FaultError when they do not fit."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise FaultError(
                f"fault {self.name} has no parameter(s) {', '.join(unknown)}; known: {', '.join(self.params) or 'none'}"
            )
        values = {key: params.get(key, param.default) for key, param in self.params.items()}
        for key, value in values.items():
            problem = self.params[key].problem(value)
            if problem:
                raise FaultError(f"fault {self.name}: parameter {key} {problem}")
        problem = self.check(values) if self.check else None
        if problem:
            raise FaultError(f"fault {self.name}: {problem}")
        return values


def _is_a(value: Any, expected: type) -> bool:
    if expected is object:
        return True
    if isinstance(value, bool) and expected is not bool:
        return False  # JSON true is not the integer 1
    return isinstance(value, expected)


def one_of(param: str, allowed: tuple[str, ...]) -> ParamCheck:
    """A parameter check: ``param`` must be one of ``allowed``."""
    return lambda p: None if p[param] in allowed else f"{param} must be one of {', '.join(allowed)}"


def http_status(param: str) -> ParamCheck:
    """A parameter check: ``param`` must be an HTTP status a response can carry."""
    return lambda p: None if 100 <= p[param] <= 599 else f"{param} must be an HTTP status (100-599)"


def header_field(name: str, value: str | None = None) -> ParamCheck:
    """A parameter check: ``name`` must be a header name (an RFC 9110 token) and ``value``, if given, a header value
    (visible ASCII and inner spaces), so the reply can go on the wire."""

    def check(p: Mapping[str, Any]) -> str | None:
        if not _TOKEN.fullmatch(p[name]):
            return f"{name} must be a header name (letters, digits and !#$%&'*+-.^_`|~)"
        if value is not None and not _FIELD_VALUE.fullmatch(p[value]):
            return f"{value} must be a header value (visible ASCII, spaces inside)"
        return None

    return check


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"([\x21-\x7e]([ \x21-\x7e]*[\x21-\x7e])?)?")

FAULTS: dict[str, Fault] = {}


def fault(
    kind: Kind,
    *,
    params: Mapping[str, Param] | None = None,
    routes: tuple[str, ...] = ROUTES,
    on: Literal["success", "error", "any"] = "success",
    sees_request: bool = False,
    stage: Stage | None = None,
    check: ParamCheck | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the fault named after it (a ``switch`` names the stage it hooks)."""
    if (kind == "switch") != (stage is not None):
        raise TypeError("a switch fault hooks one stage; other kinds hook none")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        doc = " ".join((func.__doc__ or "").split())
        FAULTS[func.__name__] = Fault(func.__name__, doc, kind, func, dict(params or {}), routes, on, sees_request,
                                      stage, check, len(FAULTS))  # fmt: skip
        return func

    return register
