"""What happens in neighbourhood discussion, as typed events (the audit trail)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ThreadStarted(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.thread_started"
    thread_id: int
    area_id: int
    post_id: int


@dataclass(frozen=True)
class PostAdded(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.post_added"
    thread_id: int
    post_id: int
    held: bool
    officer: bool


@dataclass(frozen=True)
class PostDeleted(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.post_deleted"
    thread_id: int
    post_id: int


@dataclass(frozen=True)
class ModerationDecided(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.moderation_decided"
    visibility: ClassVar[str] = Visibility.INTERNAL
    decision_id: int
    action: str
    rule_code: str
    thread_id: int | None
    post_id: int | None
    automated: bool


@dataclass(frozen=True)
class AppealMade(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.appeal_made"
    visibility: ClassVar[str] = Visibility.INTERNAL
    decision_id: int
    appeal_id: int


@dataclass(frozen=True)
class AppealDecided(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.appeal_decided"
    visibility: ClassVar[str] = Visibility.INTERNAL
    decision_id: int
    appeal_id: int
    outcome: str


@dataclass(frozen=True)
class PostReported(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.post_reported"
    visibility: ClassVar[str] = Visibility.INTERNAL
    post_id: int
    rule_code: str


@dataclass(frozen=True)
class ThreadTurnedIntoCase(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.thread_turned_into_case"
    thread_id: int
    case_id: int
    reference: str


@dataclass(frozen=True)
class NoticePosted(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.notice_posted"
    notice_id: int
    area_id: int


@dataclass(frozen=True)
class RuleSaved(DomainEvent):
    kind: ClassVar[str] = "neighbourhoods.rule_saved"
    rule_id: int
    code: str
