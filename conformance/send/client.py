"""Sends requests to a target politely: a request budget, a rate, Retry-After on 429, bounded backoff on 503.

Safe to share between sending threads (``--workers``): the budget and the rate are counted under a lock,
and each thread talks over its own keep-alive connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from conformance.kinds import AuthMode
from conformance.plan.auth_modes import Login, definition
from conformance.plan.cases import Case
from conformance.send.connection import Connection, TransportError
from conformance.send.exchange import Attempt, Exchange
from conformance.send.targets import Target

RETRY_STATUSES = frozenset({429, 503})
MAX_RETRY_WAIT_S = 30.0


class BudgetExhausted(Exception):
    """``--max-requests`` is spent."""


class Stopped(Exception):
    """The run was interrupted: no new request goes out."""


@dataclass
class Limits:
    max_requests: int | None  # None: unlimited
    rate: float | None  # requests per second; None: as fast as the target answers
    retries: int = 3
    backoff_s: float = 0.5  # first 503 wait; doubles, capped at MAX_RETRY_WAIT_S


class Client:
    """One keep-alive HTTP client per run; every request passes through :meth:`_send`."""

    def __init__(self, target: Target, limits: Limits, sleep: Callable[[float], object] | None = None) -> None:
        self.target = target
        self.limits = limits
        self.sent = 0
        self._stopped = threading.Event()
        self._sleep = sleep or self._stopped.wait  # a wait that :meth:`stop` cuts short
        self._next_slot = 0.0  # the rate's next free slot (monotonic)
        self._paused_until = 0.0  # a Retry-After pauses every sender, not only the one that got it
        self._lock = threading.Lock()  # the budget and the rate are the run's, whichever thread sends
        self._local = threading.local()
        self._connections: list[Connection] = []

    def stop(self) -> None:
        """Send nothing more: waits end at once, attempts not yet made are not made (an interrupted run)."""
        self._stopped.set()

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    @property
    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = Connection(self.target.base_url)
            with self._lock:
                self._connections.append(connection)
        return connection

    @property
    def remaining(self) -> int | None:
        return None if self.limits.max_requests is None else self.limits.max_requests - self.sent

    def send_case(self, case: Case) -> Exchange:
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        exchange = Exchange(case.method, f"{self.target.base_url}{case.path}", headers, case.body, case.auth,
                            credentials=case.credentials, authorization=case.authorization,
                            account=case.account)  # fmt: skip
        return self._send(exchange)

    def fetch(self, conversation_id: str, form: str | None = None, account: str | None = None) -> Exchange:
        url = f"{self.target.base_url}/v2/Conversations/{conversation_id}"
        return self._send(Exchange("GET", url, {}, b"", AuthMode.VALID, credentials=form, account=account))

    def _login(self, exchange: Exchange) -> Login:
        """What the exchange's credentials mode starts from: the real login of its form (when the run has it), of
        the account it names."""
        logins = self.target.logins_of(exchange.account)
        form = exchange.credentials or next(iter(logins), self.target.forms[0])
        user, password = logins.get(form, ("", ""))
        others = [login[1] for name, login in logins.items() if name != form]
        return Login(form, user, password, others[0] if others else None, exchange.authorization)

    def _send(self, exchange: Exchange) -> Exchange:
        path = exchange.url.removeprefix(self.target.base_url)
        mode, login = definition(exchange.auth), self._login(exchange)
        exchange.username = mode.username(login) or exchange.username  # a made-up SID: the reproduce line names it
        chosen = dict(exchange.request_headers)
        header = mode.header(login)
        if header is not None:
            chosen["Authorization"] = header
        connection = self._connection
        headers = connection.headers(chosen, exchange.request_body, exchange.method)
        backoff = self.limits.backoff_s
        for attempt in range(1, self.limits.retries + 2):
            if not self._spend(first=attempt == 1):
                return exchange  # no budget left to retry, or stopped: the case is inconclusive, not failed
            exchange.attempts = attempt
            started = time.perf_counter()
            if not self.target.synthetic_clock:
                exchange.sent_at = time.time()
            try:
                answer = connection.request(exchange.method, path, headers, exchange.request_body)
            except TransportError as exc:
                exchange.status, exchange.error = None, str(exc)
                exchange.elapsed_ms = (time.perf_counter() - started) * 1000
                return exchange
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            if not self.target.synthetic_clock:
                exchange.received_at = time.time()
            exchange.tries.append(Attempt(exchange.method, exchange.url, headers, exchange.request_body,
                                          answer.status, answer.reason, answer.headers, answer.body))  # fmt: skip
            exchange.status = answer.status
            exchange.response_headers = answer.joined_headers
            exchange.response_body = answer.body
            exchange.__dict__.pop("json", None)
            if answer.status not in RETRY_STATUSES or attempt > self.limits.retries:
                return exchange
            wait = _retry_after(exchange.response_headers.get("retry-after"))
            if wait is None:
                wait, backoff = backoff, min(backoff * 2, MAX_RETRY_WAIT_S)
            wait = min(wait, MAX_RETRY_WAIT_S)
            with self._lock:  # the other senders' next cases wait too: the target asked the client to pause
                self._paused_until = max(self._paused_until, time.monotonic() + wait)
                self._local.waited_until = self._paused_until  # this sender waits it out here
            self._sleep(wait)
        return exchange

    def _spend(self, first: bool = True) -> bool:
        """Take one request from the budget, after any pause the target asked for and the rate's slot.

        A case's first attempt raises :class:`BudgetExhausted` or :class:`Stopped` (nothing of it was sent); a
        retry returns False instead, so the answers the case already got are kept."""
        with self._lock:
            if self._stopped.is_set() or (self.remaining is not None and self.remaining <= 0):
                if not first:
                    return False
                if self._stopped.is_set():
                    raise Stopped("the run was interrupted")
                raise BudgetExhausted(f"request budget of {self.limits.max_requests} spent")
            self.sent += 1
            now = time.monotonic()
            paused = self._paused_until > getattr(self._local, "waited_until", 0.0)  # not waited out by this sender
            start = max(now, self._paused_until) if paused else now
            if self.limits.rate:
                start = max(start, self._next_slot)
                self._next_slot = start + 1.0 / self.limits.rate
        if start > now:
            self._sleep(start - now)  # outside the lock: the other senders take the slots after this one
            if self._stopped.is_set():  # stopped while waiting: not sent, so not counted
                with self._lock:
                    self.sent -= 1
                if first:
                    raise Stopped("the run was interrupted")
                return False
        return True


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff rather than trust a clock
