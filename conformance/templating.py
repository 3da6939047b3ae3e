"""The one way the project's Jinja templates are set up: a missing value is an error, block tags leave no
blank lines. Each renderer (reports, ticket, history, parity, contract watch) adds its own filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2


def environment(package: str, *, autoescape: bool = False, keep_trailing_newline: bool = False,
                **filters: Callable[..., Any]) -> jinja2.Environment:  # fmt: skip
    """The templates in ``package``'s ``templates`` folder, with ``filters``; ``autoescape`` for HTML (Markdown and
    text escape through their filters where values go)."""
    built = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    built.filters.update(filters)
    return built
