"""Run options pinned in a file, so a nightly's policy lives in the repository.

``conformance.toml`` (its top-level keys), else ``[tool.conformance]`` of ``pyproject.toml``, in the folder
``conformance run`` starts in. A key is a ``run`` option's long name without its dashes (``max-examples = 50``,
``redact-pii = false``, ``severity = ["undocumented_enum_values=warn"]`` or a table of check = severity); the
values become the option's defaults, so a flag on the command line wins. A key or value the run would refuse
is refused here, with the file and the key, before anything is sent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

FILES = ("conformance.toml", "pyproject.toml")
Parsers = Mapping[str, Callable[[Any], object]]  # option key -> the run's own parsing of its text


class PinnedOptionsError(click.ClickException):
    """A file's key or value the run cannot use: one line (click's ``Error:``), exit 2 like any usage error."""

    exit_code = 2


def pinned_file(folder: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The file that pins run options in ``folder`` and its table, or None when none does."""
    for name in FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PinnedOptionsError(f"{path}: not readable TOML ({exc})") from None
        table = document if name == "conformance.toml" else document.get("tool", {}).get("conformance")
        if table is None:
            continue
        if not isinstance(table, dict):
            raise PinnedOptionsError(f"{path}: [tool.conformance] must be a table")
        return path, table
    return None


def pinned_defaults(command: click.Command, folder: Path,
                    parsing: Callable[[], Parsers]) -> tuple[Path | None, dict[str, Any]]:  # fmt: skip
    """``command``'s defaults from the file in ``folder`` (click's ``default_map``), each value checked as the
    option itself checks it, then by ``parsing()`` (the run's own parsing of an option's text, by key)."""
    found = pinned_file(folder)
    if found is None:
        return None, {}
    path, table = found
    parsers = parsing()
    options = {_key(param): param for param in command.params if isinstance(param, click.Option) and _key(param)}
    context = click.Context(command, info_name=command.name)
    defaults: dict[str, Any] = {}
    for key, value in table.items():
        param = options.get(key)
        where = f"{path}: {key}"
        if param is None or param.name is None:
            raise PinnedOptionsError(f"{where}: not a run option; known: {', '.join(sorted(options))}")
        if param.multiple and isinstance(value, dict):  # severity = {check = "warn"}
            value = [f"{name}={setting}" for name, setting in value.items()]
        if param.multiple and not isinstance(value, list):
            raise PinnedOptionsError(f"{where}: expected a list, got {value!r}")
        if isinstance(value, dict | list) and not param.multiple:
            raise PinnedOptionsError(f"{where}: expected one value, got {value!r}")
        if param.is_flag and not isinstance(value, bool):
            raise PinnedOptionsError(f"{where}: expected true or false, got {value!r}")
        if not param.is_flag:
            value = [_typed(param, item, where) for item in value] if param.multiple else _typed(param, value, where)
        try:
            converted = param.type_cast_value(context, value)
            if key in parsers:
                parsers[key](converted)
        except click.BadParameter as exc:
            raise PinnedOptionsError(f"{where}: {exc.message}") from None
        defaults[param.name] = value
    return path, defaults


def _typed(param: click.Option, value: Any, where: str) -> str:
    """A TOML value as the text a user would type after the flag, so the option's own parser judges it as it judges
    a flag (``seed = 1.5`` is refused like ``--seed 1.5``, never cut to 1). A path, a choice or a word is written
    in quotes: a bare number, boolean or date there is refused."""
    if isinstance(value, str):
        return value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or isinstance(param.type, click.Path | click.Choice) or param.type is click.STRING:
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        raise PinnedOptionsError(f"{where}: expected a quoted string, got {shown}")
    return repr(value) if isinstance(value, float) else str(value)


def pinned_flags(command: click.Command, pinned: Mapping[str, Any]) -> list[str]:
    """The flags a user types for the options ``pinned`` holds (keyed by parameter name): ``--max-examples``."""
    return sorted(f"--{_key(p)}" for p in command.params if isinstance(p, click.Option) and p.name in pinned)


def _key(param: click.Option) -> str | None:
    """The option's name in a file: its long flag without the dashes (``--max-examples`` -> ``max-examples``)."""
    long = [opt for opt in param.opts if opt.startswith("--")]
    return long[0][2:] if long else None
