"""Domain errors: what a service raises, with the HTTP status and code the API reports.

The message is a coded :class:`portal.messages.Msg` (plain text is still accepted from plugins
and older code): ``exc.message`` is its English text, ``tr(exc)`` the viewer's language, and
:meth:`DomainError.to_dict` renders message and field messages in the language asked for.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: Any, **extra: Any):
        self.msg = message  # a Msg, or plain text
        self.message = message.english if hasattr(message, "english") else str(message)
        super().__init__(self.message)
        self.extra = extra

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        from portal.messages import in_language

        text = self.msg.render(locale) if hasattr(self.msg, "render") else self.message
        return {"error": self.code, "message": text, **in_language(self.extra, locale)}


class Invalid(DomainError):
    """Bad input; ``fields`` maps field names to messages."""

    status = 422
    code = "invalid"

    def __init__(self, message: Any, fields: dict[str, Any] | None = None):
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
