"""The run's HTTP/1.1 transport: one keep-alive ``http.client`` connection per sending thread.

A run sends one shape of request over and over, so the transport is the standard library's, without a
client library's cookie jar, URL model and event machinery: httpx took 0.45 ms of CPU per request here,
``http.client`` 0.15 ms (``bench/transport``). Every header that goes on the wire is chosen here and
returned with the answer, so the recording shows exactly what was sent.

Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``; ``http://``
proxies, credentials allowed) as other HTTP tools read
them, never for loopback; TLS verifies against ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else certifi's
bundle when installed, else the system's.
"""

from __future__ import annotations

import base64
import http.client
import os
import select
import socket
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass

from conformance import __version__

USER_AGENT = f"conformance/{__version__}"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Raised when a kept-alive connection was closed by the server before we reused it: sent again once, fresh.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class TransportError(Exception):
    """No HTTP answer: refused, reset, timed out, TLS failure, a malformed response."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # as received, repeats kept
    body: bytes

    @property
    def joined_headers(self) -> dict[str, str]:
        """The headers as an ``Exchange`` holds them: lower-case names, repeats joined with ", "."""
        joined: dict[str, str] = {}
        for name, value in self.headers:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return joined


class Connection:
    """Keep-alive HTTP/1.1 to one base URL; not shared between threads (each sender has its own)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        """Raises ValueError, with a message that names the problem, for a URL or proxy it cannot use."""
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL with a host: {base_url}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        default_port = 443 if self.https else 80
        self.port = parts.port or default_port  # ValueError for a port that is not one
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if self.port == default_port else f"{host}:{self.port}"
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout
        self._proxy = _proxy_for(base_url, self.host)
        self._proxy_authorization = _basic(self._proxy) if self._proxy is not None else None
        self._conn: http.client.HTTPConnection | None = None
        self._served = 0  # answers on the current connection (a fresh one that fails is not "stale")

    def request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """Send once; raises TransportError. A kept-alive connection the server closed while idle is replaced
        before sending; one found closed only while sending is retried for a GET, never for a POST."""
        for retry in (False, True):
            if self._conn is not None and self._conn.sock is not None and _dropped(self._conn.sock):
                self.close()  # the server closed the kept-alive connection while it sat idle: open another
            conn = self._connection()
            try:
                target = self.base_path + path
                sent = dict(headers)
                if self._proxy is not None and not self.https:
                    target = f"http://{self.host_header}{target}"  # a plain-HTTP proxy takes the absolute form
                    if self._proxy_authorization:
                        sent["Proxy-Authorization"] = self._proxy_authorization  # to the proxy; never recorded
                conn.request(method, target, body=body or None, headers=sent)
                response = conn.getresponse()
                answer = Answer(response.status, response.reason, response.getheaders(), response.read())
            except _STALE as exc:
                reused = self._served > 0
                self.close()
                if reused and not retry and method == "GET":  # never a second create the budget did not count
                    continue
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.close()
                name = "Timeout" if isinstance(exc, socket.timeout | TimeoutError) else type(exc).__name__
                raise TransportError(f"{name}: {exc}") from None
            self._served += 1
            if response.will_close:
                self.close()
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def headers(self, chosen: dict[str, str], body: bytes, method: str) -> list[tuple[str, str]]:
        """Every header the request will carry, in wire order: ours, then the case's."""
        sent = [("host", self.host_header), ("user-agent", USER_AGENT), ("accept", "*/*"),
                ("accept-encoding", "identity"), ("connection", "keep-alive")]  # fmt: skip
        if body or method in ("POST", "PUT", "PATCH"):
            sent.append(("content-length", str(len(body))))
        sent += [(name.lower(), value) for name, value in chosen.items()]
        return sent

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._served = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> http.client.HTTPConnection:
        proxy = self._proxy
        if proxy is None:
            if self.https:
                return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=_tls())
            return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        proxy_port = proxy.port or 80
        if not self.https:
            return http.client.HTTPConnection(proxy.hostname or "", proxy_port, timeout=self.timeout)
        conn = http.client.HTTPSConnection(proxy.hostname or "", proxy_port, timeout=self.timeout, context=_tls())
        tunnel_headers = {"Proxy-Authorization": self._proxy_authorization} if self._proxy_authorization else {}
        conn.set_tunnel(self.host, self.port, headers=tunnel_headers)
        return conn


def _dropped(sock: socket.socket) -> bool:
    """An idle kept-alive socket with something to read has been closed (or spoken out of turn) by the server."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _basic(proxy: urllib.parse.SplitResult) -> str | None:
    if proxy.username is None:
        return None
    login = f"{urllib.parse.unquote(proxy.username)}:{urllib.parse.unquote(proxy.password or '')}"
    return "Basic " + base64.b64encode(login.encode()).decode()


def _proxy_for(base_url: str, host: str) -> urllib.parse.SplitResult | None:
    """The proxy the environment names for ``base_url`` (never for loopback), or None; ValueError for a proxy
    setting this transport cannot use (its message names the variable, not the value: it may hold a password)."""
    if host in LOOPBACK_HOSTS or urllib.request.proxy_bypass_environment(host):
        return None
    scheme = urllib.parse.urlsplit(base_url).scheme
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy:
        return None
    variable = f"{scheme.upper()}_PROXY" if proxies.get(scheme) else "ALL_PROXY"
    try:
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        parts.port  # noqa: B018 - raises for a port that is not one
    except ValueError:
        raise ValueError(f"{variable} is not a usable proxy URL") from None
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{variable}: only http:// proxies are supported (a CONNECT tunnel carries the TLS)")
    return parts


def _tls() -> ssl.SSLContext:
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with the test extras; the system store then
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
