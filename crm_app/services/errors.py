"""Domain exceptions: services raise them, pages show them, the API maps them to JSON."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected, user-facing error."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, key: str = "", **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.key = key  # an i18n key for the UI; ``message`` is the English text
        self.details = details


class NotFound(DomainError):
    """The record does not exist, or belongs to another business (never a leak)."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    """The user is signed in but their role may not do this."""

    code = "forbidden"
    status = 403


class AuthenticationFailed(DomainError):
    """No valid credentials."""

    code = "unauthenticated"
    status = 401


class Throttled(DomainError):
    """Too many failed attempts; ``retry_after`` seconds until the next try."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, retry_after: int, *, key: str = "") -> None:
        super().__init__(message, key=key, retry_after=retry_after)
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """A value failed validation; ``field`` names it."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, field: str = "", *, key: str = "") -> None:
        super().__init__(message, key=key, field=field)
        self.field = field


class Conflict(DomainError):
    """The change collides with an existing record (``existing_id``)."""

    code = "conflict"
    status = 409

    def __init__(self, message: str, existing_id: int | None = None, *, key: str = "") -> None:
        super().__init__(message, key=key, existing_id=existing_id)
        self.existing_id = existing_id


class PayloadTooLarge(DomainError):
    """An upload is over the configured limit."""

    code = "too_large"
    status = 413
