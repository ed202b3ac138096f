"""Who did something, as the event log records it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The author of an event. `kind` is one of: staff, citizen, anonymous, system, api."""

    kind: str
    label: str
    user_id: int | None = None

    @classmethod
    def system(cls, label: str = "Townsquare") -> Actor:
        return cls(kind="system", label=label)

    @classmethod
    def anonymous(cls, label: str = "Member of the public") -> Actor:
        return cls(kind="anonymous", label=label)
