"""Request rules that need no state: null stripping, the nesting limit, error messages, idempotency fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate, islice
from typing import Any, NoReturn

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from conformance.contract.schemas import SCHEMA_FILES, Contract
from conformance.emulator.exceptions import InvalidParameter

MAX_NESTING = 32  # request bodies nested deeper than this are rejected (an emulator assumption)
MAX_CONTAINERS = 10_000  # objects and arrays per body: parsing each costs ~0.5 us, so 1 MiB of them took 0.3 s
QUOTE_LIMIT = 64  # error messages quote at most this many characters of a client's value
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)  # \ud800 to \udfff, paired or not
_UTF8 = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
ERROR_LIMIT = 100  # the 400 names the shallowest of at most this many violations, so a body's cost is bounded
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1 opens, -1 closes


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes (no NaN/Infinity), or 400."""
    if not raw.strip():
        raise InvalidParameter("Request body is empty; expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("Request body is not valid UTF-8") from None
    check_containers(raw)
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise InvalidParameter("Request body is nested too deeply") from None
    except ValueError as exc:
        raise InvalidParameter(f"Request body is not valid JSON: {' '.join(str(exc).split())[:200]}") from None
    reject_lone_surrogates(text, value)
    return value


def quote(value: str, limit: int = QUOTE_LIMIT) -> str:
    """A client's value as an error message may show it: a short prefix, marked when cut."""
    return value if len(value) <= limit else value[:limit] + "..."


def reject_lone_surrogates(text: str, value: Any) -> None:
    """400 when ``value`` (parsed from JSON ``text``) holds a lone UTF-16 surrogate: no UTF-8 text can carry it.

    Only escapes in ``text`` can produce one, so bodies without them (all but a few) skip the walk.
    """
    if _SURROGATE_ESCAPE.search(text) is None:
        return
    try:
        _UTF8(value).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter("Request body is not valid JSON: it holds a lone UTF-16 surrogate escape") from None


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def field_path(path: Sequence[Any]) -> str:
    """``["participants", 3, "type"]`` -> ``participants[3].type``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_error(error: ValidationError) -> str:
    """A one-line message naming the offending field, from a jsonschema error."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        return f"Missing required parameter {field_path([*path, *missing[:1]])}"
    if not path and error.validator == "type":
        return f"Request body must be a JSON object, got {json_type(instance)}"
    name = field_path(path)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"Invalid parameter {name}: expected {expected}, got {json_type(instance)}"
    if error.validator == "enum":
        return f"Invalid parameter {name}: must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "maxItems" and isinstance(instance, list):
        return f"Invalid parameter {name}: at most {error.validator_value} items allowed, got {len(instance)}"
    detail = error.message
    if isinstance(instance, str) and len(instance) > QUOTE_LIMIT:  # the message starts with the value's repr
        detail = detail.replace(repr(instance), repr(quote(instance)), 1)
    detail = detail if len(detail) <= 200 else detail[:197] + "..."
    return f"Invalid parameter {name}: {detail}"


def strip_nulls(value: Any, depth: int = 0) -> Any:
    """Drop object members whose value is ``null`` (null means absent); refuse absurd nesting.

    Levels are objects and arrays: the body is level 1, so a container at ``depth`` 32 is the 33rd
    level and refused, whatever it holds (an empty one, or only a ``null`` about to be dropped).
    """
    if isinstance(value, dict):
        if depth >= MAX_NESTING:
            raise _too_deep()
        return {
            k: strip_nulls(v, depth + 1) if type(v) in _CONTAINERS else v for k, v in value.items() if v is not None
        }
    if isinstance(value, list):
        if depth >= MAX_NESTING:
            raise _too_deep()
        return [strip_nulls(v, depth + 1) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)


def _too_deep() -> InvalidParameter:
    return InvalidParameter(f"Request body is nested more than {MAX_NESTING} levels deep")


def nesting_depth(raw: bytes) -> int:
    """How deep objects and arrays nest in (well-formed) JSON text ``raw``; brackets inside strings do not count.

    Regex, translate and accumulate all run in C: a few milliseconds for 1 MiB, where a walk of the
    parsed value over half a million containers takes hundreds.
    """
    steps = array("b", _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS).translate(_BRACKET_STEPS))
    return max(accumulate(steps), default=0)


def check_containers(raw: bytes) -> None:
    """400 when JSON text ``raw`` holds more than :data:`MAX_CONTAINERS` objects and arrays (counted before parsing).

    Brackets inside strings do not count; they are only looked for when the plain count is over the limit.
    """
    if raw.count(b"{") + raw.count(b"[") > MAX_CONTAINERS:
        structure = _JSON_STRING.sub(b"", raw)
        if structure.count(b"{") + structure.count(b"[") > MAX_CONTAINERS:
            raise InvalidParameter(f"Request body holds more than {MAX_CONTAINERS} objects and arrays")


def check_nesting(raw: bytes) -> None:
    """400 when ``raw`` nests objects and arrays more than :data:`MAX_NESTING` levels deep."""
    if raw.count(b"{") + raw.count(b"[") > MAX_NESTING and nesting_depth(raw) > MAX_NESTING:
        raise _too_deep()


def _plain(raw: bytes) -> bool:
    """True when JSON text ``raw`` can hold neither a null nor nesting deeper than :data:`MAX_NESTING`."""
    return b"null" not in raw and raw.count(b"{") + raw.count(b"[") <= MAX_NESTING


_MEMBER_NULL = re.compile(rb":\s*null")  # an object member whose value is null (or text that looks like one)


def _without_nulls(members: dict[str, Any]) -> dict[str, Any]:
    return members if None not in members.values() else {k: v for k, v in members.items() if v is not None}


_NULLS_DROPPED = json.JSONDecoder(object_hook=_without_nulls)


def decode_without_nulls(raw: bytes, parsed: Any) -> Any:
    """``parsed`` (the value of the JSON text ``raw``, already checked) with null object members dropped.

    Bodies with no member that can be null are returned as they are; the others are decoded again with
    the dropping done by the decoder as it builds each object, which is cheaper than a walk in Python.
    """
    return parsed if _MEMBER_NULL.search(raw) is None else _NULLS_DROPPED.decode(raw.decode("utf-8"))


def fingerprint(request: dict[str, Any]) -> str:
    """What makes two requests 'the same body' for Idempotency-Key purposes (key order ignored)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- the first violations, at bounded cost ---------------------------------------------


class ErrorFinder:
    """The first :data:`ERROR_LIMIT` violations of schema ``name``, in the detailed validator's order.

    Two things made an invalid 1 MiB body cost seconds: the Python walk of every array item (valid
    or not) and messages holding the ``repr`` of a whole array. Here an array's items are checked in
    halves by the compiled (Rust) validator and only invalid ones are walked in Python, and the
    ``type``, ``enum`` and ``maxItems`` messages (which :func:`describe_error` rewrites anyway)
    name the value's type instead of printing it. An object's members the compiled validator accepts are
    not walked either (a refused body mostly breaks one rule: the walk goes down to it). The violations and
    their order are unchanged: what is skipped is only what has none.
    """

    def __init__(self, contract: Contract, name: str) -> None:
        registry = jsonschema_rs.Registry(list(contract.documents.items()))
        sources: dict[int, tuple[str, str, bool]] = {}  # id(a subschema) -> where it comes from, and if it is items
        registered: dict[str, Any] = {}
        try:
            schema = _inlined(contract, contract.schema(name), SCHEMA_FILES.get(name, name), sources)
        except _NotInlined:  # a schema shape the inlining does not take: validated as written (slower, the same)
            sources.clear()
            schema, registered = contract.schema(name), {"registry": contract.registry}
        self._arrays: dict[int, Any] = {}  # id(an "items" subschema) -> compiled validator of arrays of such items
        self._members: dict[int, Any] = {}  # id(a property's subschema) -> compiled validator of it
        for key, (document, pointer, items) in sources.items():
            ref = (
                {"type": "array", "items": {"$ref": f"{document}#{pointer}"}}
                if items
                else {"$ref": f"{document}#{pointer}"}
            )
            compiled = jsonschema_rs.validator_for(
                ref, registry=registry, validate_formats=True, base_uri="emulator-items.json"
            )
            (self._arrays if items else self._members)[key] = compiled
        hooks = {"items": self._items, "properties": self._properties, "type": _type, "enum": _enum,
                 "maxItems": _max_items}  # fmt: skip
        kind = validators.extend(Draft202012Validator, hooks)
        self._validator = kind(schema, format_checker=FormatChecker(), **registered)

    def first(self, instance: Any) -> list[ValidationError]:
        """At most :data:`ERROR_LIMIT` violations, shallowest first."""
        errors = list(islice(self._validator.iter_errors(instance), ERROR_LIMIT))
        return sorted(errors, key=lambda e: (len(e.path), list(map(str, e.path))))

    def _items(self, validator: Any, items: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if not validator.is_type(instance, "array") or items is True:
            return
        compiled = self._arrays.get(id(items))
        indexes = range(len(instance)) if compiled is None else _invalid(compiled, instance, 0, len(instance))
        for index in indexes:
            yield from validator.descend(instance=instance[index], schema=items, path=index)

    def _properties(self, validator: Any, properties: dict[str, Any], instance: Any,
                    schema: dict[str, Any]) -> Iterator[ValidationError]:  # fmt: skip
        """jsonschema's own ``properties``, except that a member the compiled validator accepts is not walked."""
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name in instance:
                compiled = self._members.get(id(subschema))
                if compiled is not None and compiled.is_valid(instance[name]):
                    continue
                yield from validator.descend(instance[name], subschema, path=name, schema_path=name)


def _invalid(compiled: Any, instance: list[Any], start: int, stop: int) -> Iterator[int]:
    """Indexes of the items the compiled validator rejects, in order; valid halves are skipped whole."""
    if compiled.is_valid(instance[start:stop]):
        return
    if stop - start <= 4:
        yield from range(start, stop)
        return
    middle = (start + stop) // 2
    yield from _invalid(compiled, instance, start, middle)
    yield from _invalid(compiled, instance, middle, stop)


class _NotInlined(Exception):
    """The schema has a shape :func:`_inlined` does not take apart (a recursive ``$ref``, or one beside keywords
    that validate)."""


_NOT_VALIDATING = {"$id", "$schema", "$defs", "$comment", "title", "description", "examples", "default"}
_VALUES = {"enum", "const", "required", "type", "format", "pattern"}


def _inlined(contract: Contract, node: Any, document: str, sources: dict[int, tuple[str, str, bool]], pointer: str = "",
             following: tuple[str, ...] = ()) -> Any:  # fmt: skip
    """``node`` with every ``$ref`` replaced by what it names, so the detailed validator never resolves a reference
    (that was half its work: 167 -> 90 us per refused body of a plan). A ``$ref`` that stands beside annotations
    only is replaced by its target, so the keywords are checked in the same order and the errors are the same;
    one beside keywords that validate, or a recursive one, raises :class:`_NotInlined`.
    ``sources`` gets id(each property's and each ``items`` subschema) -> (document, pointer) of the schema it came
    from, and whether it is an ``items``."""
    if isinstance(node, list):
        return [
            _inlined(contract, value, document, sources, f"{pointer}/{i}", following) for i, value in enumerate(node)
        ]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:  # one hop: a target that is a $ref itself is the next call's
        if set(node) - {"$ref"} - _NOT_VALIDATING - {key for key in node if key.startswith("x-")}:
            raise _NotInlined(f"{document}#{pointer}: $ref beside keywords that validate")
        target, document, pointer = contract.referenced(node["$ref"], document)
        if f"{document}#{pointer}" in following:
            raise _NotInlined(f"{document}#{pointer}: a recursive $ref")
        return _inlined(contract, target, document, sources, pointer, (*following, f"{document}#{pointer}"))
    inlined = {}
    for key, value in node.items():
        if key in _NOT_VALIDATING or key.startswith("x-"):
            continue
        if key in _VALUES:  # a value, not a schema: kept as it is
            inlined[key] = value
        elif key in ("properties", "patternProperties"):
            inlined[key] = {}
            for name, sub in value.items():
                where = f"{pointer}/{key}/{_escaped(name)}"
                inlined[key][name] = _inlined(contract, sub, document, sources, where, following)
                if key == "properties" and isinstance(inlined[key][name], dict):
                    sources[id(inlined[key][name])] = (document, where, False)
        else:
            inlined[key] = _inlined(contract, value, document, sources, f"{pointer}/{key}", following)
    if isinstance(inlined.get("items"), dict):
        sources[id(inlined["items"])] = (document, f"{pointer}/items", True)
    return inlined


def _escaped(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    types = types if isinstance(types, list) else [types]
    if not any(validator.is_type(instance, kind) for kind in types):
        yield ValidationError(f"{json_type(instance)} is not of type {', '.join(map(repr, types))}")


def _enum(validator: Any, enums: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if all(type(each) is not type(instance) or each != instance for each in enums):
        yield ValidationError(f"{json_type(instance)} value is not one of {enums!r}")


def _max_items(validator: Any, limit: int, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "array") and len(instance) > limit:
        yield ValidationError(f"array of {len(instance)} items is too long")
