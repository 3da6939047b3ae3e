"""Is this answer the API's own? Answers from something in between are not judged against the contract.

A proxy, load balancer or captive portal answers with an HTML page, a gateway 502/504, or a 5xx whose body
is not JSON. Judging those as the API would list dozens of contract failures for a broken target; the run
calls such a case inconclusive instead, with the reason, and a run where most answers are like that stops
with one line (``run_command.not_the_api``).
"""

from __future__ import annotations

import json

from conformance.send.exchange import Exchange

GATEWAY_STATUSES = frozenset({502, 504})
NOT_THE_API = "not the API's answer"  # every reason below starts with this, so a run can count them


def not_the_api(exchange: Exchange) -> str | None:
    """Why ``exchange`` did not come from the API itself, or None when it may have."""
    if exchange.status is None:
        return None
    media_type = (exchange.content_type or "").split(";")[0].strip().lower()
    head = exchange.response_body[:512].lstrip().lower()
    if media_type in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype html", b"<html")):
        return f"{NOT_THE_API}: {exchange.status} with an HTML page (a proxy, portal or wrong base URL?)"
    if exchange.status in GATEWAY_STATUSES and not _vendor_error(exchange.response_body):
        return f"{NOT_THE_API}: {exchange.status} from a gateway or proxy in between"
    if exchange.status >= 500 and not _is_json(exchange.response_body):
        return f"{NOT_THE_API}: {exchange.status} with a body that is not JSON (something in between answered)"
    return None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _vendor_error(body: bytes) -> bool:
    """A body in the vendor's error shape (integer code and status): the API answered, through whatever."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and isinstance(value.get("code"), int) and isinstance(value.get("status"), int)
