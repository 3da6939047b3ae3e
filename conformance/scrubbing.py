"""Scrubbing: a secret that slipped into any string of a JSON value replaced before it is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Secrets = tuple[str, ...] | Callable[[str], str]  # values to blank out, or a redactor


def scrub(value: Any, secrets: Secrets) -> Any:
    """Replace any secret that slipped into a string (an echoed body, an error message).

    ``secrets`` is the values to replace, or a function from text to safe text (a run's ``Redactor``).
    """
    if not callable(secrets):
        secrets = tuple(s for s in secrets if s)
        if not secrets:
            return value
    if isinstance(value, str):
        if callable(secrets):
            return secrets(value)
        for secret in secrets:
            value = value.replace(secret, "[REDACTED]")
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value
