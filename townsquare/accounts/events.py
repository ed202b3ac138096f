from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ApiKeyCreated(DomainEvent):
    kind: ClassVar[str] = "api_key.created"
    visibility: ClassVar[str] = Visibility.INTERNAL
    api_key_id: int
    name: str
    test_mode: bool


@dataclass(frozen=True)
class ApiKeyRevoked(DomainEvent):
    kind: ClassVar[str] = "api_key.revoked"
    visibility: ClassVar[str] = Visibility.INTERNAL
    api_key_id: int
    name: str


@dataclass(frozen=True)
class MembershipSet(DomainEvent):
    """Someone was given a role in a council (or their role or team changed)."""

    kind: ClassVar[str] = "membership.set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int
    role: str
    team_id: int | None
