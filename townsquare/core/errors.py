"""Errors the domain raises; interfaces turn them into pages, HTTP statuses or CLI messages.

Each carries a stable `code` (for APIs and tests) and a human message (for people).

`InvalidInput` says, per field, what is wrong as `Problem`s: a stable code and its parameters
(as Django's `ValidationError(message, code, params)` does), plus the English message that
the APIs and the CLI show as they are. Interfaces that speak other languages translate the
code and parameters (portal/error_messages.py), never the English text, so no interface needs
its own copy of a rule to word its own messages (ADR 80).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field.

    `template` is English with `%(name)s` placeholders filled from `params`; `code` names the
    rule that was broken, and with `params` is all an interface needs to say it in its own
    words. A Problem made from a bare message has the code "invalid": an interface can only
    show such a message as it is (in English).
    """

    template: str
    code: str = "invalid"
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return self.message


Problems = Mapping[str, Sequence["str | Problem"]]


class InvalidInput(DomainError):
    """Input that breaks a rule.

    `problems` maps each field (or "__all__") to its Problems; `errors` gives the same as
    English messages, for interfaces that show them as they are. Accepts a message, a Problem,
    or a mapping of field to messages and Problems.
    """

    code = "invalid"

    def __init__(self, errors: Problems | Problem | str, *, code: str | None = None) -> None:
        if isinstance(errors, str | Problem):
            errors = {"__all__": [errors]}
        self.problems: dict[str, list[Problem]] = {
            name: [p if isinstance(p, Problem) else Problem(p) for p in items]
            for name, items in errors.items()
        }
        self.errors: dict[str, list[str]] = {
            name: [p.message for p in items] for name, items in self.problems.items()
        }
        message = "; ".join(
            f"{name}: {msg}" if name != "__all__" else msg
            for name, msgs in self.errors.items()
            for msg in msgs
        )
        super().__init__(message, code=code)

    def first(self, name: str) -> Problem | None:
        """The first problem with `name`, if any."""
        found = self.problems.get(name)
        return found[0] if found else None
