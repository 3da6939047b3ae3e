"""Scrubbing: a secret that slipped into any string of a JSON value replaced before it is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Secrets = tuple[str, ...] | Callable[[str], str]  # values to blank out, or a redactor


def scrub(value: Any, secrets: Secrets) -> Any:
    """Replace any secret that slipped into a string (an echoed body, an error message).

    ``secrets`` is the values to replace, or a function from text to safe text (a run's ``Redactor``). A string met
    twice in ``value`` (a check name, a curl line) is cleaned once.
    """
    if callable(secrets):
        clean_text = secrets
    else:
        values = tuple(s for s in secrets if s)
        if not values:
            return value

        def clean_text(text: str) -> str:
            for secret in values:
                text = text.replace(secret, "[REDACTED]")
            return text

    cleaned: dict[str, str] = {}

    def clean(node: Any) -> Any:
        if isinstance(node, str):
            found = cleaned.get(node)
            if found is None:
                found = cleaned[node] = clean_text(node)
            return found
        if isinstance(node, dict):
            return {clean(k): clean(v) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(value)
