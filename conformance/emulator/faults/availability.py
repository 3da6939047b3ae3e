"""Faults of availability: the service failing, refusing for load, or slow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.emulator.exceptions import InternalError, NotFound, ServiceUnavailable, TooManyRequests
from conformance.emulator.faults.registry import Param, Reply, fault


@fault("respond", on="any")
def status_500(p: Mapping[str, Any]) -> Reply:
    """Answer 500 with the vendor error body."""
    return Reply.error(InternalError("Injected fault: internal server error"))


@fault("respond", params={"retry_after": Param(int, nullable=True)}, on="any")
def status_503(p: Mapping[str, Any]) -> Reply:
    """Answer 503 with the vendor error body (and Retry-After when ``retry_after`` is given)."""
    return Reply.error(ServiceUnavailable(p["retry_after"], "Injected fault: service unavailable"))


@fault("respond", params={"retry_after": Param(int, 1, nullable=True)}, on="any")
def rate_limit(p: Mapping[str, Any]) -> Reply:
    """Answer 429 with Retry-After (``retry_after`` seconds) and the vendor error body."""
    return Reply.error(TooManyRequests(p["retry_after"], "Injected fault: too many requests"))


@fault("respond", routes=("fetch",), on="any")
def fetch_not_found(p: Mapping[str, Any]) -> Reply:
    """Answer a fetch with 404 although the conversation exists."""
    return Reply.error(NotFound("Injected fault: the requested resource was not found"))


@fault("delay", params={"ms": Param(int, 200, minimum=0, maximum=600_000)}, on="any")
def slow(p: Mapping[str, Any]) -> float:
    """Wait ``ms`` milliseconds before answering."""
    return p["ms"] / 1000
