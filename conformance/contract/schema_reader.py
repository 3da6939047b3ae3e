"""results.json (and the config files, through ``conformance.contract.config_files``) checked against their schemas in
``schemas/`` without a validation library.

The report commands read documents and should start like it. Measured (``bench/schema``, "Report schema reader" in
``bench/RESULTS.md``), import plus one validation of a real results.json: this reader costs a twentieth of
jsonschema (whose import alone is several times this one's, and which takes 0.2-0.9 s per document), and less than
jsonschema-rs, whose faster validation catches up only on the largest documents. So it stays.
The schemas use a small part of JSON Schema (types, required, enums, bounds, local ``$ref``), compiled here into
plain functions, once per process. A keyword outside that part is refused when the schema is compiled, never
skipped; ``tests/reports/test_report_schema.py`` and ``tests/test_config_files.py`` hold this reader to jsonschema.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from conformance.contract.schemas import schemas_dir

REPORT_SCHEMA = "report.schema.json"

Path_ = tuple[Any, str | int] | None  # (parent, step), built only as deep as the walk goes; None: the root
Problem = tuple[Path_, str]
Validate = Callable[[Any, Path_], list[Problem] | None]  # None: valid (the common case costs no list)

# x-expected, x-named-by: how conformance.contract.config_files words a config file's error
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "examples", "$comment", "x-expected",
                         "x-named-by"})  # fmt: skip
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


class SchemaKeywordError(Exception):
    """The report schema uses a keyword this reader does not implement."""


def problem(document: Any) -> str | None:
    """The first way ``document`` breaks the report schema (shallowest first, as jsonschema orders them)."""
    found = first_problem(_compiled(), document)
    if found is None:
        return None
    where, message = found
    return f"{'/'.join(map(str, where)) or '(root)'}: {message[:200]}"


def first_problem(validate: Validate, document: Any, *, in_document_order: bool = False,
                  ) -> tuple[list[str | int], str] | None:  # fmt: skip
    """The shallowest way ``document`` breaks a compiled schema (as jsonschema orders them), or with
    ``in_document_order`` the earliest, as a person reads the file (``cases[2]`` before ``cases[10]``, the first
    key before the next): the steps to the value, and what is wrong."""
    found = validate(document, None)
    if not found:
        return None
    problems = [(_steps(path), message) for path, message in found]
    if in_document_order:
        return min(problems, key=lambda item: _position(document, item[0]))
    return min(problems, key=lambda item: (len(item[0]), [str(step) for step in item[0]]))


def _position(document: Any, steps: list[str | int]) -> tuple[int, ...]:
    """Where ``steps`` lead in ``document``, as indices in file order (a key at its place among its siblings)."""
    position: list[int] = []
    value = document
    for step in steps:
        if isinstance(value, dict):
            keys = list(value)
            position.append(keys.index(step) if step in value else len(keys))
            value = value.get(step)  # type: ignore[call-overload]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            position.append(step)
            value = value[step]
        else:
            break
    return tuple(position)


def _steps(path: Path_) -> list[str | int]:
    steps: list[str | int] = []
    while path is not None:
        path, step = path
        steps.append(step)
    return steps[::-1]


@functools.cache
def _compiled() -> Validate:
    schema = json.loads((schemas_dir() / REPORT_SCHEMA).read_text(encoding="utf-8"))
    return compile_schema(schema)


def compile_schema(root: dict[str, Any]) -> Validate:
    """A validating function for ``root`` (a JSON Schema using only the keywords below)."""
    compiled: dict[str, Validate] = {}

    def ref(target: str) -> Validate:
        if not target.startswith("#/"):
            raise SchemaKeywordError(f"$ref {target!r}: only references inside the schema are supported")
        if target not in compiled:
            compiled[target] = lambda value, path: compiled[target](value, path)  # recursion: resolved on use
            node: Any = root
            for step in target[2:].split("/"):
                node = node[step]
            compiled[target] = build(node)
        return compiled[target]

    def build(node: dict[str, Any] | bool) -> Validate:
        if node is True:
            return lambda value, path: None
        if node is False:
            return lambda value, path: [(path, "False schema does not allow it")]
        unknown = set(node) - ANNOTATIONS - set(_KEYWORDS) - {"then"}
        if unknown:
            raise SchemaKeywordError(f"keyword(s) {', '.join(sorted(unknown))} not supported by this reader")
        parts = [_KEYWORDS[key](node, build, ref) for key in _KEYWORDS if key in node]
        if len(parts) == 1:
            return parts[0]

        def validate(value: Any, path: Path_) -> list[Problem] | None:
            found: list[Problem] | None = None
            for part in parts:
                more = part(value, path)
                if more:
                    found = more if found is None else found + more
            return found

        return validate

    return build(root)


Builder = Callable[[Any], Validate]
Ref = Callable[[str], Validate]


def _type(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    names = node["type"] if isinstance(node["type"], list) else [node["type"]]
    exact = frozenset(kind for name in names for kind in _TYPES[name])  # type(True) is bool, never int
    whole_floats = "integer" in names and "number" not in names  # JSON Schema: 1.0 is an integer
    shown = repr(names[0]) if len(names) == 1 else repr(names)

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        kind = type(value)
        if kind in exact or (whole_floats and kind is float and value.is_integer()):
            return None
        if not isinstance(value, bool) and isinstance(value, tuple(exact)):  # a subclass (a StrEnum member)
            return None
        return [(path, f"{value!r} is not of type {shown}")]

    return validate


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "number": (int, float),
    "integer": (int,),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _const(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    expected = node["const"]
    return lambda value, path: None if _equal(value, expected) else [(path, f"{expected!r} was expected")]


def _enum(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    allowed = node["enum"]
    strings = frozenset(allowed) if all(isinstance(item, str) for item in allowed) else None

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if strings is not None:
            if isinstance(value, str) and value in strings:
                return None
        elif any(_equal(value, item) for item in allowed):
            return None
        return [(path, f"{value!r} is not one of {allowed!r}")]

    return validate


def _minimum(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    bound = node["minimum"]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not _is_number(value) or value >= bound:
            return None
        return [(path, f"{value!r} is less than the minimum of {bound!r}")]

    return validate


def _maximum(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    bound = node["maximum"]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not _is_number(value) or value <= bound:
            return None
        return [(path, f"{value!r} is greater than the maximum of {bound!r}")]

    return validate


def _exclusive_minimum(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    bound = node["exclusiveMinimum"]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not _is_number(value) or value > bound:
            return None
        return [(path, f"{value!r} is less than or equal to the minimum of {bound!r}")]

    return validate


def _min_length(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    least = node["minLength"]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, str) or len(value) >= least:
            return None
        return [(path, f"{value!r} is too short")]

    return validate


def _pattern(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    pattern = re.compile(node["pattern"])

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, str) or pattern.search(value):
            return None
        return [(path, f"{value!r} does not match {node['pattern']!r}")]

    return validate


def _format(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    if node["format"] != "date-time":
        raise SchemaKeywordError(f"format {node['format']!r} not supported by this reader")

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, str) or _is_datetime(value):
            return None
        return [(path, f"{value!r} is not a 'date-time'")]

    return validate


def _is_datetime(text: str) -> bool:
    """RFC 3339 date-time, with a real date and time (what jsonschema's format checker accepts)."""
    if not _RFC3339.match(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _required(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    names = node["required"]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, dict):
            return None
        missing = [(path, f"{name!r} is a required property") for name in names if name not in value]
        return missing or None

    return validate


def _properties(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    members = {name: build(sub) for name, sub in node["properties"].items()}

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, dict):
            return None
        found: list[Problem] | None = None
        for name, sub in members.items():
            if name in value:
                more = sub(value[name], (path, name))
                if more:
                    found = more if found is None else found + more
        return found

    return validate


def _additional(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    sub = build(node["additionalProperties"])
    named = frozenset(node.get("properties", ()))

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, dict):
            return None
        found: list[Problem] | None = None
        for name, item in value.items():
            if name not in named:
                more = sub(item, (path, name))
                if more:
                    found = more if found is None else found + more
        return found

    return validate


def _property_names(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    sub = build(node["propertyNames"])

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, dict):
            return None
        found = [problem for name in value for problem in (sub(name, path) or ())]
        return found or None

    return validate


def _items(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    sub = build(node["items"])

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, list):
            return None
        found: list[Problem] | None = None
        for index, item in enumerate(value):
            more = sub(item, (path, index))
            if more:
                found = more if found is None else found + more
        return found

    return validate


def _unique(node: dict[str, Any], _build: Builder, _ref: Ref) -> Validate:
    if not node["uniqueItems"]:
        return lambda value, path: None

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if not isinstance(value, list):
            return None
        seen = {json.dumps(item, sort_keys=True) for item in value}
        return None if len(seen) == len(value) else [(path, f"{value!r} has non-unique elements")]

    return validate


def _any_of(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    options = [build(sub) for sub in node["anyOf"]]

    def validate(value: Any, path: Path_) -> list[Problem] | None:
        if any(not option(value, path) for option in options):
            return None
        return [(path, f"{value!r} is not valid under any of the given schemas")]

    return validate


def _if_then(node: dict[str, Any], build: Builder, _ref: Ref) -> Validate:
    condition = build(node["if"])
    then = build(node.get("then", True))
    return lambda value, path: None if condition(value, path) else then(value, path)


def _dollar_ref(node: dict[str, Any], _build: Builder, ref: Ref) -> Validate:
    return ref(node["$ref"])  # compiled now, so a keyword this reader lacks is found when the schema loads


# keyword -> how it is compiled; checked in this order (an object's own keywords before its members)
_KEYWORDS: dict[str, Callable[[dict[str, Any], Builder, Ref], Validate]] = {
    "$ref": _dollar_ref,
    "type": _type,
    "const": _const,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "minLength": _min_length,
    "pattern": _pattern,
    "format": _format,
    "required": _required,
    "anyOf": _any_of,
    "if": _if_then,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "uniqueItems": _unique,
}
