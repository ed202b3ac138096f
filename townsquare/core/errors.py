"""Errors the domain raises; interfaces turn them into pages, HTTP statuses or CLI messages.

Each carries a stable `code` (for APIs and tests) and a human message (for people).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    """Input that breaks a rule; `errors` maps each field (or "__all__") to its messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]] | str, *, code: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = errors
        message = "; ".join(
            f"{field}: {msg}" if field != "__all__" else msg
            for field, msgs in errors.items()
            for msg in msgs
        )
        super().__init__(message, code=code)
