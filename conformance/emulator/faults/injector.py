"""The faults switched on: :class:`FaultInjector` holds them and runs them at each point of a request.

Each applies to the next ``count`` requests it actually changes (``None``: until cleared), on route
``create``, ``fetch`` or ``any``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from conformance.emulator.exceptions import EmulatorError
from conformance.emulator.faults.registry import FAULTS, ROUTES, Fault, FaultError, Inbound, Kind, Reply, Stage


@dataclass
class ActiveFault:
    """A fault switched on, with what is left of its count."""

    id: int
    fault: Fault
    routes: tuple[str, ...]
    params: dict[str, Any]
    count: int | None
    remaining: int | None
    hits: int = 0
    state: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        route = "any" if len(self.routes) > 1 else self.routes[0]
        return {"id": self.id, "fault": self.fault.name, "route": route, "params": self.params,
                "count": self.count, "remaining": self.remaining, "hits": self.hits}  # fmt: skip


class FaultInjector:
    """The faults currently switched on. Thread-safe; cheap to test for emptiness."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[ActiveFault] = []
        self._next_id = 1

    def __bool__(self) -> bool:
        return bool(self._active)

    def inject(self, name: str, /, count: int | None = None, route: str = "any", **params: Any) -> ActiveFault:
        """Switch fault ``name`` on for the next ``count`` requests it changes (None: until cleared)."""
        spec = FAULTS.get(name)
        if spec is None:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise FaultError("count must be a positive integer (or absent: until cleared)")
        if route not in ("any", *ROUTES):
            raise FaultError("route must be create, fetch or any")
        routes = spec.routes if route == "any" else (route,)
        if not set(routes) <= set(spec.routes):
            raise FaultError(f"fault {name} applies to route(s) {', '.join(spec.routes)} only")
        values = spec.bind(params)
        with self._lock:
            active = ActiveFault(self._next_id, spec, routes, values, count, count)
            self._next_id += 1
            self._active.append(active)
        return active

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._active)
            self._active.clear()
            return cleared

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.to_json() for a in self._active]

    def _matching(self, kind: Kind, route: str) -> list[ActiveFault]:
        with self._lock:
            return [a for a in self._active if a.fault.kind == kind and route in a.routes]

    def _hooking(self, stage: Stage, route: str) -> list[ActiveFault]:
        with self._lock:
            found = [a for a in self._active if a.fault.stage is stage and route in a.routes]
        return sorted(found, key=lambda a: a.fault.order)  # stable: the order injected within one fault

    def _consume(self, active: ActiveFault) -> None:
        with self._lock:
            active.hits += 1
            if active.remaining is not None:
                active.remaining -= 1
                if active.remaining <= 0 and active in self._active:
                    self._active.remove(active)

    def delay(self, route: str) -> float:
        """Seconds to wait before answering (sum of active ``delay`` faults)."""
        total = 0.0
        for active in self._matching("delay", route):
            total += active.fault.func(active.params)
            self._consume(active)
        return total

    def respond(self, route: str) -> Reply | None:
        """A reply that replaces the emulator's, from the first active ``respond`` fault."""
        for active in self._matching("respond", route):
            self._consume(active)
            return active.fault.func(active.params)
        return None

    def first(self, stage: Stage, route: str, *args: Any) -> Any:
        """What the first hook of ``stage`` that acts returns (None when none does); a hook that raises
        acts too: its error is the answer."""
        for active in self._hooking(stage, route):
            result = self._hook(active, args)
            if result:
                return result
        return None

    def every(self, stage: Stage, route: str, *args: Any) -> None:
        """Run every hook of ``stage``."""
        for active in self._hooking(stage, route):
            self._hook(active, args)

    def _hook(self, active: ActiveFault, args: tuple[Any, ...]) -> Any:
        try:
            result = active.fault.func(active.params, *args)
        except EmulatorError:  # the hook's answer
            self._consume(active)
            raise
        if result:
            self._consume(active)
        return result

    def transform(self, route: str, reply: Reply, request: Inbound | None = None) -> Reply:
        """Apply every active ``transform`` fault that fits this reply, in the order injected."""
        copied = False
        for active in self._matching("transform", route):
            on = active.fault.on
            if (on == "success" and reply.status >= 400) or (on == "error" and reply.status < 400):
                continue
            if active.fault.sees_request and request is None:
                continue
            if not copied:
                reply = Reply(
                    reply.status, copy.deepcopy(reply.body), dict(reply.headers), reply.content_type, reply.raw
                )
                copied = True
            extra = (request,) if active.fault.sees_request else ()
            if active.fault.func(reply, active.params, active.state, *extra):
                self._consume(active)
        return reply
