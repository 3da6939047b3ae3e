"""Vendor errors as data: one small class per error the emulator answers with.

Each class knows its HTTP status; the vendor code and ``more_info`` link come from
:mod:`conformance.vendor`, so the emulator and the checks cannot drift apart.
"""

from __future__ import annotations

from typing import Any, ClassVar

from conformance.vendor import CONFLICTING_RESOURCE_ID_HEADER, error_code, more_info_url


class EmulatorError(Exception):
    """An error the emulator answers with the vendor error body."""

    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal server error"

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers: dict[str, str] = headers or {}
        super().__init__(self.message)

    @property
    def code(self) -> int:
        return error_code(self.status)

    def body(self) -> dict[str, Any]:
        """The vendor error body: exactly ``code``, ``message``, ``more_info``, ``status``."""
        code = self.code
        return {"code": code, "message": self.message, "more_info": more_info_url(code), "status": self.status}


class InvalidParameter(EmulatorError):
    """400 / 20001: the request breaks the documented contract."""

    status = 400
    default_message = "Invalid parameter"


class InvalidContentType(InvalidParameter):
    """400 / 20001: the body is not declared as ``application/json`` (the docs list 400, not 415)."""

    default_message = "Content-Type must be application/json"


class AuthenticationFailed(EmulatorError):
    """401 / 20003: missing or wrong HTTP basic credentials."""

    status = 401
    default_message = "Authentication Error - invalid username or password"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, {"WWW-Authenticate": 'Basic realm="Twilio API"'})


class NotFound(EmulatorError):
    """404 / 20404: no such resource (or no such path)."""

    status = 404
    default_message = "The requested resource was not found"


class Forbidden(EmulatorError):
    """403: the caller is known but may not see the resource (only a fault answers so: the rule is 404)."""

    status = 403
    default_message = "The requested resource belongs to another account"


class MethodNotAllowed(EmulatorError):
    """405: the path exists but not for this method."""

    status = 405
    default_message = "Method not allowed"

    def __init__(self, allowed: str, message: str | None = None) -> None:
        super().__init__(message, {"Allow": allowed} if allowed else None)


class Conflict(EmulatorError):
    """409: an Idempotency-Key reused with a different body."""

    status = 409
    default_message = "Idempotency-Key was already used with a different request body"

    def __init__(self, conflicting_id: str, message: str | None = None) -> None:
        super().__init__(message, {CONFLICTING_RESOURCE_ID_HEADER: conflicting_id})
        self.conflicting_id = conflicting_id


class PayloadTooLarge(EmulatorError):
    """413: the request body exceeds the emulator's limit."""

    status = 413
    default_message = "Request body too large"


class TooManyRequests(EmulatorError):
    """429 / 20429: the account exceeded its request rate."""

    status = 429
    default_message = "Too many requests"

    def __init__(self, retry_after: int | None, message: str | None = None) -> None:
        super().__init__(message, {"Retry-After": str(retry_after)} if retry_after is not None else None)
        self.retry_after = retry_after  # None: a 429 that says nothing of when to come back


class InternalError(EmulatorError):
    """500: something went wrong (only ever on demand, through fault injection, or a bug)."""

    status = 500


class ServiceUnavailable(EmulatorError):
    """503: the service is unavailable (fault injection)."""

    status = 503
    default_message = "Service unavailable"

    def __init__(self, retry_after: int | None = None, message: str | None = None) -> None:
        super().__init__(message, {"Retry-After": str(retry_after)} if retry_after is not None else None)


class EmulatorConfigError(Exception):
    """The emulator's settings (environment, config file, flags) cannot be used."""


class DatabaseError(EmulatorConfigError):
    """The ``--db`` file cannot be used: another emulator holds it, or it holds what the emulator did not write."""
