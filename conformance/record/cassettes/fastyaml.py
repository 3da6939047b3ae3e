"""Loading a vcrpy cassette quickly: the same values as vcrpy's loader, in about half the time.

vcrpy's loader (``yaml.load`` with a ``CSafeLoader`` subclass) parses in C but builds every node
object and then every value in Python; most of a replay's time went there. This loader walks
PyYAML's C parser events and builds the dicts, lists and scalars directly, resolving plain
scalars with PyYAML's own resolver and constructing non-string ones with its safe constructor.
Anything vcrpy's serializer does not write (explicit tags beyond the core schema, merge keys,
several documents, complex keys) falls back to vcrpy's loader, so the result is always what
vcrpy would have read.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml
from yaml import events
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_STR = "tag:yaml.org,2002:str"
_MAP = ("tag:yaml.org,2002:map", None, "!")
_SEQ = ("tag:yaml.org,2002:seq", None, "!")
_SCALARS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp"))
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_NO_KEY = object()


class _Unsupported(Exception):
    """Something only the full loader handles."""


def load_cassette(data: bytes | str) -> Any:
    """The YAML document in ``data`` (UTF-8 bytes, or text), as vcrpy's cassette loader would return it."""
    try:
        return _load(data)
    except _Unsupported:
        from vcr.serializers import yamlserializer

        return yamlserializer.deserialize(data.decode("utf-8") if isinstance(data, bytes) else data)


def _scalar(event: events.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return event.value  # quoted: a string
        tag = _resolve(event.value)
    if tag == _STR:
        return event.value
    if tag not in _SCALARS:
        raise _Unsupported(tag)
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, event.value, style=event.style))


@functools.lru_cache(maxsize=4096)
def _resolve(plain: str) -> str:
    """The tag of a plain scalar (mapping keys repeat: resolve each once)."""
    return _RESOLVER.resolve(ScalarNode, plain, (True, False))


def _load(data: bytes | str) -> Any:
    stack: list[Any] = []  # open containers
    keys: list[Any] = []  # per open container: the mapping key waiting for its value (_NO_KEY when none)
    anchors: dict[str, Any] = {}
    root: Any = None
    documents = 0
    scalar, alias, stream_end, document_start = (events.ScalarEvent, events.AliasEvent, events.StreamEndEvent,
                                                  events.DocumentStartEvent)  # fmt: skip
    map_start, map_end, seq_start, seq_end = (events.MappingStartEvent, events.MappingEndEvent,
                                              events.SequenceStartEvent, events.SequenceEndEvent)  # fmt: skip
    parser = yaml.CSafeLoader(data)
    try:
        next_event = parser.get_event
        while True:
            event = next_event()
            kind = event.__class__
            if kind is scalar:
                value = event.value if event.tag is None and not event.implicit[0] else _scalar(event)
            elif kind is map_start or kind is seq_start:
                if event.tag not in (_MAP if kind is map_start else _SEQ):
                    raise _Unsupported(event.tag)
                value = {} if kind is map_start else []
            elif kind is map_end or kind is seq_end:
                stack.pop()
                keys.pop()
                continue
            elif kind is alias:
                if event.anchor not in anchors:
                    raise _Unsupported("unknown alias")  # vcrpy's loader says which
                value = anchors[event.anchor]
            elif kind is document_start:
                documents += 1
                if documents > 1:
                    raise _Unsupported("several documents")
                continue
            elif kind is stream_end:
                return root
            else:
                continue
            if kind is not alias and event.anchor:
                anchors[event.anchor] = value
            if not stack:
                root = value
            elif stack[-1].__class__ is list:
                stack[-1].append(value)
            elif keys[-1] is _NO_KEY:
                if value.__class__ in (dict, list) or value == "<<":
                    raise _Unsupported("complex or merge key")
                keys[-1] = value
            else:
                stack[-1][keys[-1]] = value
                keys[-1] = _NO_KEY
            if kind is map_start or kind is seq_start:
                stack.append(value)
                keys.append(_NO_KEY)
    finally:
        parser.dispose()
