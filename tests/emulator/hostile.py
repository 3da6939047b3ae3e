"""Hostile request bodies from a seeded generator, and a direct in-process ASGI call to send them fast.

The bodies are JSON text built piece by piece, so they can hold what a JSON library would never write:
lone surrogate escapes, astral characters raw and escaped, numbers no float or int can hold, duplicate
keys, nesting at and past the limit (with ``null``, a scalar or an empty container innermost), bytes
that are not UTF-8, and truncated or flipped text.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Callable
from typing import Any

from conformance.emulator.models import DEFAULT_CONFIGURATION_ID, DEFAULT_CREDENTIALS, MAX_NESTING

CONFIGURATION = json.dumps(DEFAULT_CONFIGURATION_ID)
SURROGATES = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\uD83D", "\\ude00", "\\ud83d\\ud83d", "\\ude00\\ud83d"]
ASTRAL = ["\\ud83d\\ude00", "\U0001f600", "\U0010ffff", "\\udbff\\udfff", "\U00020000"]
ODD_CHARS = ["\\u0000", "\\u001f", "\x7f", "\u2028", "\ufeff", "\\\\ud800", "\\/", '\\"', "é", "\\u00e9"]
NUMBERS = ["1e999", "-1e999", "1e-999", "-0", "0.0e0", "1E+400", "123456789012345678901234567890",
           "9" * 4299, "9" * 4301, "-" + "9" * 5000, "1." + "0" * 3000, "1e" + "9" * 40]  # fmt: skip
ENUM_SLOTS = ["CUSTOMER", "HUMAN_AGENT", "AI_AGENT", "SMS", "CHAT", "WHATSAPP"]


def _string(rng: random.Random) -> str:
    """A JSON string literal, usually with something hostile in it."""
    parts = [rng.choice(["", "a", "Support", rng.choice(ENUM_SLOTS)])]
    for _ in range(rng.randint(0, 3)):
        parts.append(rng.choice(SURROGATES + ASTRAL + ODD_CHARS + ["x"]))
    return '"' + "".join(parts) + '"'


def _nested(rng: random.Random) -> str:
    """Containers nested around the limit, with null, a scalar or an empty container innermost."""
    depth = rng.choice([MAX_NESTING - 2, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, MAX_NESTING + 2, 200])
    inner = rng.choice(["null", "1", '""', "[]", "{}", _string(rng)])
    text = inner
    for _ in range(depth):
        text = "[" + text + "]" if rng.random() < 0.5 else '{"k":' + text + "}"
    return text


def _value(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if roll < 0.35:
        return _string(rng)
    if roll < 0.55:
        return rng.choice(NUMBERS)
    if roll < 0.62:
        return rng.choice(["null", "true", "false", "NaN", "Infinity", "-Infinity", "nul", "tru"])
    if roll < 0.72:
        return _nested(rng)
    if depth < 3 and roll < 0.86:
        return "[" + ",".join(_value(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    if depth < 3:
        return _object(rng, [(_string(rng), _value(rng, depth + 1)) for _ in range(rng.randint(0, 3))])
    return _string(rng)


def _object(rng: random.Random, members: list[tuple[str, str]]) -> str:
    if members and rng.random() < 0.2:  # a duplicate key, with another value
        key = rng.choice(members)[0]
        members.insert(rng.randint(0, len(members)), (key, _value(rng, 3)))
    return "{" + ",".join(f"{key}:{value}" for key, value in members) + "}"


def _slot(rng: random.Random, honest: str) -> str:
    return _value(rng) if rng.random() < 0.5 else honest


def hostile_body(rng: random.Random) -> bytes:
    """One create body, valid in shape, with hostile values in one or more places (or no shape at all)."""
    address = _object(rng, [('"channel"', _slot(rng, '"SMS"')), ('"address"', _slot(rng, '"+18005550100"'))])
    participant = _object(rng, [('"name"', _slot(rng, '"Ada"')), ('"type"', _slot(rng, '"CUSTOMER"')),
                                ('"addresses"', "[" + address + "]")])  # fmt: skip
    members = [('"configurationId"', CONFIGURATION if rng.random() < 0.6 else _value(rng)),
               ('"name"', _slot(rng, '"Support"')),
               ('"participants"', "[" + participant + "]" if rng.random() < 0.8 else _value(rng)),
               ('"configuration"', _slot(rng, '{"intelligenceConfigurationIds": ["i"]}'))]  # fmt: skip
    if rng.random() < 0.3:
        members.append((_string(rng), _value(rng)))  # a hostile key
    text = _value(rng) if rng.random() < 0.08 else _object(rng, members)
    raw = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.05:
        raw = raw[: rng.randint(0, len(raw))]  # truncated
    elif roll < 0.10:
        at = rng.randrange(len(raw)) if raw else 0
        raw = raw[:at] + bytes([rng.randrange(256)]) + raw[at + 1 :]  # one byte flipped
    elif roll < 0.13:
        raw = rng.choice([b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc0\xaf", b"\xff"]) + raw  # BOM or not UTF-8
    return raw


AUTH = "Basic " + base64.b64encode(f"{DEFAULT_CREDENTIALS.api_key}:{DEFAULT_CREDENTIALS.api_secret}".encode()).decode()
ASGIApp = Callable[..., Any]


async def asgi_request(app: ASGIApp, method: str, path: str, body: bytes = b"",
                       headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
    """One request straight into the ASGI app (no client, no socket): status and body."""
    sent = False
    status = 0
    chunks: list[bytes] = []
    all_headers = {"content-type": "application/json", "authorization": AUTH, **(headers or {})}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.encode(), v.encode("latin-1")) for k, v in all_headers.items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    try:
        await app(scope, receive, send)
    except Exception:  # Starlette answers 500 and then re-raises: count it as the 500 it is
        return 500, b"".join(chunks)
    return status, b"".join(chunks)


def send_all(app: ASGIApp, bodies: list[bytes], path: str = "/v2/Conversations") -> list[tuple[int, bytes]]:
    """Every body to the app, one after another, in one event loop."""

    async def run() -> list[tuple[int, bytes]]:
        return [await asgi_request(app, "POST", path, body) for body in bodies]

    return asyncio.run(run())


def _fill(prefix: str, item: str, suffix: str, size: int) -> bytes:
    """``prefix`` + as many comma-separated ``item`` as fit + ``suffix``, at most ``size`` bytes."""
    count = (size - len(prefix) - len(suffix) + 1) // (len(item) + 1)
    return (prefix + ",".join([item] * count) + suffix).encode()


def worst_bodies(size: int = 1024 * 1024) -> dict[str, bytes]:
    """Bodies of ``size`` bytes that cost the most to parse and validate (the issue-10 probes and their kin)."""
    head = '{"configurationId":' + CONFIGURATION + ","
    deep = "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2)
    return {
        "500k invalid addresses": _fill(head + '"participants":[{"addresses":[', "1", "]}]}", size),
        "350k addresses missing fields": _fill(head + '"participants":[{"addresses":[', "{}", "]}]}", size),
        "200k null addresses": _fill(head + '"participants":[{"addresses":[', "null", "]}]}", size),
        "100k addresses with a wrong channel": _fill(
            head + '"participants":[{"addresses":[', '{"channel":1,"address":2}', "]}]}", size
        ),
        "9k addresses missing fields, then ints": _fill(
            head + '"participants":[{"addresses":[' + ",".join(["{}"] * 9_000) + ",", "1", "]}]}", size
        ),
        "50 participants x 190 bad addresses, then ints": _fill(
            head
            + '"participants":['
            + ",".join(['{"addresses":[' + ",".join(["[]"] * 190) + "]}"] * 50)
            + ',{"addresses":[',
            "1",
            "]}]}",
            size,
        ),
        "9k containers 30 deep, then ints": _fill(head + '"extra":[' + ",".join([deep] * 300) + ",", "1", "]}", size),
        "500k participants": _fill(head + '"participants":[', "1", "]}", size),
        "500k intelligence ids": _fill(head + '"configuration":{"intelligenceConfigurationIds":[', "1", "]}}", size),
        "50 participants x 10k bad addresses": _fill(
            head + '"participants":[', '{"addresses":[' + ",".join(["[]"] * 10_000) + "]}", "]}", size
        ),
        "200k nulls in an unknown field": _fill(head + '"extra":[', "null", "]}", size),
        "16k nests of 30 levels": _fill(head + '"extra":[', deep, "]}", size),
        "100k duplicate keys": _fill("{", '"configurationId":' + CONFIGURATION, "}", size),
        "170k lone surrogates": (head + '"name":"' + "\\ud800" * ((size - 100) // 6) + '"}').encode(),
        "170k escaped characters": (head + '"name":"' + "\\u00e9" * ((size - 100) // 6) + '"}').encode(),
    }
