"""The run's HTTP/1.1 transport: one keep-alive ``http.client`` connection per sending thread.

A run sends one shape of request over and over, so the transport is the standard library's, without a
client library's cookie jar, URL model and event machinery: httpx took 0.45 ms of CPU per request here,
``http.client`` 0.15 ms (``bench/transport``). Every header that goes on the wire is chosen here and
returned with the answer, so the recording shows exactly what was sent.

Plain HTTP without a proxy (the embedded emulator, any loopback target) skips even ``http.client``'s request
builder and email-based header parser (:class:`_Wire`): the same bytes go out, refused by the same rules, in one
``send``, and an answer in the everyday shape (HTTP/1.1, simple header lines, a Content-Length) is read with a few
byte splits. Any other answer (chunked, HTTP/1.0, folded headers, a broken status line, a connection closed early)
is handed, bytes read so far included, to ``http.client``'s own parser, so what it accepts and how it fails stay
exactly ``http.client``'s.

Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``; ``http://``
proxies, credentials allowed) as other HTTP tools read
them, never for loopback; TLS verifies against ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else certifi's
bundle when installed, else the system's.
"""

from __future__ import annotations

import base64
import http.client
import io
import os
import re
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
        self._conn: http.client.HTTPConnection | _Wire | None = None
        self._served = 0  # answers on the current connection (a fresh one that fails is not "stale")
        self._plain = not self.https and self._proxy is None and self.host_header.isascii()  # what _Wire speaks

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
                if isinstance(conn, _Wire):
                    answer, will_close = conn.exchange(method, target, sent, body or None)
                else:
                    conn.request(method, target, body=body or None, headers=sent)
                    response = conn.getresponse()
                    answer = Answer(response.status, response.reason, response.getheaders(), response.read())
                    will_close = response.will_close
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
            if will_close:
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

    def _connection(self) -> http.client.HTTPConnection | _Wire:
        if self._conn is None:
            self._conn = _Wire(self.host, self.port, self.host_header, self.timeout) if self._plain else self._open()
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


# What _Wire reads itself: an HTTP/1.1 status line of 200-999, header lines email's parser (http.client's) would
# read the same way (a name without spaces, no folding), one plain Content-Length.
_STATUS_LINE = re.compile(rb"HTTP/1\.1 [2-9][0-9]{2}(?: [^\r\n]*)?")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*")
_DIGITS = re.compile(r"[0-9]+[ \t]*")
_NO_BODY = frozenset({204, 304})


class _Wire:
    """Keep-alive HTTP/1.1 over a plain socket, as ``http.client`` would speak it (see the module)."""

    def __init__(self, host: str, port: int, host_header: str, timeout: float) -> None:
        self.host, self.port, self.host_header, self.timeout = host, port, host_header, timeout
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> tuple[Answer, bool]:
        """One request and its answer, and whether the server closes the connection after it."""
        request = _request_bytes(method, target, headers, body, self.host_header)
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client sets it
        self.sock.sendall(request + body if body else request)
        return self._answer(self.sock, method)

    @staticmethod
    def _answer(sock: socket.socket, method: str) -> tuple[Answer, bool]:
        data = b""
        while (end := data.find(b"\r\n\r\n")) < 0:
            # A bare LF ends lines for http.client too: such a head (or a huge one, or a closed socket) is its to read.
            if len(data) > _HEAD_MAX or data.count(b"\n") != data.count(b"\r\n") or not (chunk := sock.recv(65536)):
                return _parsed_by_http_client(sock, method, data)
            data += chunk
        head = data[:end]
        lines = head.split(b"\r\n")
        status_line = lines[0]
        if (head.count(b"\n") != len(lines) - 1 or b"\r" in head.replace(b"\r\n", b"")
                or len(lines) > http.client._MAXHEADERS + 1 or not _STATUS_LINE.fullmatch(status_line)):  # fmt: skip
            return _parsed_by_http_client(sock, method, data)
        headers: list[tuple[str, str]] = []
        length: int | None = None
        close: bool | None = None  # from the first Connection header, as http.client reads it
        for line in lines[1:]:
            if len(line) + 2 > http.client._MAXLINE or not _HEADER_LINE.fullmatch(line):
                return _parsed_by_http_client(sock, method, data)
            name, _, value = line.decode("iso-8859-1").partition(":")
            value = value.lstrip(" \t")
            key = name.lower()
            if key == "content-length":
                if length is not None or not _DIGITS.fullmatch(value):
                    return _parsed_by_http_client(sock, method, data)
                length = int(value)
            elif key == "transfer-encoding":
                return _parsed_by_http_client(sock, method, data)
            elif key == "connection" and close is None:
                close = "close" in value.lower()
            headers.append((name, value))
        status = int(status_line[9:12])
        if status in _NO_BODY or method == "HEAD":
            length = 0
        if length is None:
            return _parsed_by_http_client(sock, method, data)
        chunks, received = [data[end + 4 :]], len(data) - end - 4
        while received < length:
            chunk = sock.recv(max(65536, length - received))
            if not chunk:
                raise http.client.IncompleteRead(b"".join(chunks), length - received)
            chunks.append(chunk)
            received += len(chunk)
        body = b"".join(chunks)[:length]  # bytes past the body are dropped, as http.client drops them
        reason = status_line[13:].decode("iso-8859-1").strip()
        return Answer(status, reason, headers, body), bool(close)


_HEAD_MAX = http.client._MAXLINE * (http.client._MAXHEADERS + 1)


def _request_bytes(method: str, target: str, headers: dict[str, str], body: bytes | None, host_header: str) -> bytes:
    """The request line and headers ``http.client`` would send, refused by its rules (ValueError, InvalidURL)."""
    if found := http.client._contains_disallowed_method_pchar_re.search(method):
        raise ValueError(f"method can't contain control characters. {method!r} (found at least {found.group()!r})")
    url = target or "/"
    if found := http.client._contains_disallowed_url_pchar_re.search(url):
        raise http.client.InvalidURL(
            f"URL can't contain control characters. {url!r} (found at least {found.group()!r})"
        )
    lines = [f"{method} {url} HTTP/1.1".encode("ascii")]
    names = {name.lower() for name in headers}
    if "host" not in names:
        lines.append(b"Host: " + _host(url, host_header))
    if "accept-encoding" not in names:
        lines.append(b"Accept-Encoding: identity")
    if "content-length" not in names and "transfer-encoding" not in names:
        if body is not None:
            lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
        elif method.upper() in ("PATCH", "POST", "PUT"):
            lines.append(b"Content-Length: 0")
    for name, value in headers.items():
        encoded_name = name.encode("ascii")
        if not http.client._is_legal_header_name(encoded_name):
            raise ValueError(f"Invalid header name {encoded_name!r}")
        encoded = value.encode("latin-1")
        if http.client._is_illegal_header_value(encoded):
            raise ValueError(f"Invalid header value {encoded!r}")
        lines.append(encoded_name + b": " + encoded)
    lines += (b"", b"")
    return b"\r\n".join(lines)


def _host(url: str, host_header: str) -> bytes:
    """The Host header http.client adds: the absolute URL's host when the target is one, else the connection's."""
    netloc = urllib.parse.urlsplit(url).netloc if url.startswith("http") else ""
    if not netloc:
        return host_header.encode("ascii")
    try:
        encoded = netloc.encode("ascii")
    except UnicodeEncodeError:
        encoded = netloc.encode("idna")
    return http.client._strip_ipv6_iface(encoded)  # type: ignore[attr-defined]


class _Replayed(io.RawIOBase):
    """The bytes already read from a socket, then the rest of it: what ``http.client`` reads an odd answer from."""

    def __init__(self, read: bytes, sock: socket.socket) -> None:
        self._read, self._sock = read, sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._read:
            count = min(len(buffer), len(self._read))
            buffer[:count], self._read = self._read[:count], self._read[count:]
            return count
        return self._sock.recv_into(buffer)


class _ReplaySocket:
    def __init__(self, read: bytes, sock: socket.socket) -> None:
        self._stream = io.BufferedReader(_Replayed(read, sock))

    def makefile(self, _mode: str) -> io.BufferedReader:
        return self._stream


def _parsed_by_http_client(sock: socket.socket, method: str, read: bytes) -> tuple[Answer, bool]:
    """An answer :class:`_Wire` does not read itself, read by ``http.client`` (its errors raised as it raises them)."""
    response = http.client.HTTPResponse(_ReplaySocket(read, sock), method=method)  # type: ignore[arg-type]
    response.begin()
    answer = Answer(response.status, response.reason, response.getheaders(), response.read())
    return answer, bool(response.will_close)


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
