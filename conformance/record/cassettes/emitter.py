"""Writing cassette interactions as YAML quickly: the text ``yaml.dump`` would mean, without its representer.

A recording appends every judged case's interactions to its cassette; ``yaml.dump`` (PyYAML's representer
in Python, even with the C emitter) cost about a tenth of a large run. Interactions have one shape (see
``recording._interaction``), so this writes that shape directly, keys in PyYAML's sorted order:

- a string is plain when PyYAML would read it back as that string (``POST``, ``application/json``),
  single-quoted when it is printable ASCII (``'*/*'``, ``'328'``, a JSON body), and otherwise double-quoted
  with escapes (``"caf\\xe9\\n"``). The text is ASCII, like ``yaml.dump``'s: vcrpy's filesystem persister
  reads a cassette in the locale's encoding;
- bytes (a body that is not UTF-8) are ``!!binary``, as vcrpy writes them; ``None`` is ``null``;
- every scalar is on one line (no folding at 80 columns), so a long body stays one line.

Anything of another shape (an extra key, a value of another type) is written by ``yaml.dump`` instead,
one interaction at a time, so the output is always what vcrpy's loader reads.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C escaper json.dumps uses
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_DUMPER = getattr(yaml, "CDumper", yaml.Dumper)  # what vcrpy's serializer dumps with
_INTERACTION = frozenset({"request", "response"})
_REQUEST = frozenset({"body", "headers", "method", "uri"})
_RESPONSE = frozenset({"body", "headers", "status"})
_BODY = frozenset({"string"})
_STATUS = frozenset({"code", "message"})
_STR = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()  # what every loader of a cassette resolves plain scalars with (the C ones too)
# A plain scalar that reads back as written on one line in block context: no indicator first, no ': ' or
# ' #', no trailing space or ':'. Whether it is a string (not a number, bool, null, date) the resolver decides.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+=;,()?&%*!@~-]*(?:(?::| +)[A-Za-z0-9._/+=;,()?&%*!@~-]+)*")
_PRINTABLE = bytes(range(0x20, 0x7F))  # deleting these finds any other byte faster than str.isprintable
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(rb"\\ud[89a-f]")
_CACHED = 256  # strings up to this long that repeat are written once per run, then looked up
_SIMPLE_KEY = 128  # longer keys are written explicitly (``? key``), as PyYAML does: a simple key has a limit


class _Unsupported(Exception):
    """Not the interaction shape this module writes: ``yaml.dump`` writes it."""


def dump_interactions(interactions: Iterable[Mapping[str, Any]]) -> str:
    """``interactions`` as a YAML block sequence, loading back to the same values as ``yaml.dump`` of them
    (nothing for no interactions, so the text can always be appended to a cassette's list)."""
    parts: list[str] = []
    for interaction in interactions:
        try:
            parts.append(_interaction(interaction))
        except (_Unsupported, AttributeError, KeyError, TypeError):
            parts.append(yaml.dump([interaction], Dumper=_DUMPER))
    return "".join(parts)


def _interaction(interaction: Mapping[str, Any]) -> str:
    request, response = interaction["request"], interaction["response"]
    body, status = response["body"], response["status"]
    if (interaction.keys() != _INTERACTION or request.keys() != _REQUEST or response.keys() != _RESPONSE
            or body.keys() != _BODY or status.keys() != _STATUS):  # fmt: skip
        raise _Unsupported
    return "".join((
        "- request:\n    body: ", _scalar(request["body"], "      "),
        "\n    headers:", _headers(request["headers"]),
        "    method: ", _word(request["method"]),
        "\n    uri: ", _scalar(request["uri"], "      "),
        "\n  response:\n    body:\n      string: ", _scalar(body["string"], "        "),
        "\n    headers:", _headers(response["headers"]),
        "    status:\n      code: ", _word(status["code"]),
        "\n      message: ", _word(status["message"]), "\n",
    ))  # fmt: skip


def _headers(headers: Mapping[str, Any]) -> str:
    """A header mapping (name -> list of values) under its key: each name on a line of its own."""
    if not headers:
        return " {}\n"
    parts = ["\n"]
    for name, values in sorted(headers.items()):
        if type(values) is not list:
            raise _Unsupported
        if len(values) == 1 and type(values[0]) is str and len(values[0]) <= _CACHED:
            parts.append(_header(name, values[0]))
        else:
            parts.append(_header_lines(name, values))
    return "".join(parts)


@functools.lru_cache(maxsize=8192)
def _header(name: str, value: str) -> str:
    """A header with one value (most have one, and a run repeats them: each is written once)."""
    return _header_lines(name, [value])


def _header_lines(name: str, values: list[Any]) -> str:
    if type(name) is not str:
        raise _Unsupported
    key = _string(name)
    if len(key) > _SIMPLE_KEY:  # ``? key``, then the value under ``:``
        head, item, indent = f"      ? {key}\n      :", "\n        - ", "          "
    else:
        head, item, indent = f"      {key}:", "\n      - ", "        "
    if not values:
        return head + " []\n"
    return head + "".join(item + _scalar(value, indent) for value in values) + "\n"


def _word(value: Any) -> str:
    """A short scalar that repeats (a method, a status code, a reason phrase)."""
    if type(value) is str and len(value) <= _CACHED:
        return _cached_string(value)
    return _scalar(value, "        ")


def _scalar(value: Any, indent: str) -> str:
    """One scalar on one line (``indent``: where a ``!!binary`` block's lines go)."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is bytes:
        if not value:
            return "!!binary ''"
        lines = base64.encodebytes(value).decode("ascii").splitlines()
        return "!!binary |\n" + "\n".join(indent + line for line in lines)
    if value is None:
        return "null"
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    raise _Unsupported


def _string(text: str) -> str:
    if text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE):  # only ' ' to '~'
        if _PLAIN.fullmatch(text) and _resolves_to_str(text):
            return text
        return "'" + text.replace("'", "''") + "'"
    # JSON's escapes (\", \\, \n, \t, \u0001...) are YAML's too; what JSON leaves raw and a cassette must not
    # hold raw (DEL; any non-ASCII, among them C1 controls, the \x85, \u2028 and \u2029 line breaks and \ufeff)
    # becomes a YAML \x, \u or \U escape.
    quoted = encode_basestring(text)
    if "\x7f" in quoted:
        quoted = quoted.replace("\x7f", "\\x7f")
    if quoted.isascii():
        return quoted
    escaped = quoted.encode("ascii", "backslashreplace")
    if _ESCAPED_SURROGATE.search(escaped) and _SURROGATE.search(text):  # the first can be an escaped backslash
        raise UnicodeEncodeError("utf-8", text, 0, len(text), "a lone surrogate cannot be written as YAML")
    return escaped.decode("ascii")


_cached_string = functools.lru_cache(maxsize=1024)(_string)


@functools.lru_cache(maxsize=4096)
def _resolves_to_str(plain: str) -> bool:
    """Whether a plain scalar reads back as a string (header names and values repeat: resolve each once)."""
    return _RESOLVER.resolve(ScalarNode, plain, (True, False)) == _STR
