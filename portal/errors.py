"""Domain errors: what a service raises, with the HTTP status and code the API reports."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class Invalid(DomainError):
    """Bad input; ``fields`` maps field names to messages."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransitionError(DomainError):
    status = 409
    code = "illegal_transition"


class GuardFailedError(DomainError):
    status = 422
    code = "guard_failed"
