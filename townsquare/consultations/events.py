"""What happens to consultations, as typed events (the audit trail of every staff action)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ConsultationEvent(DomainEvent):
    consultation_id: int


@dataclass(frozen=True)
class ConsultationCreated(ConsultationEvent):
    kind: ClassVar[str] = "consultation.created"
    visibility: ClassVar[str] = Visibility.INTERNAL
    title: str


@dataclass(frozen=True)
class QuestionAdded(ConsultationEvent):
    kind: ClassVar[str] = "consultation.question_added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    code: str
    question_kind: str


@dataclass(frozen=True)
class ConsultationMoved(ConsultationEvent):
    kind: ClassVar[str] = "consultation.moved"
    from_state: str
    to_state: str


@dataclass(frozen=True)
class ResponseSubmitted(ConsultationEvent):
    """No answers and nothing personal: the log is immutable."""

    kind: ClassVar[str] = "consultation.response_submitted"
    visibility: ClassVar[str] = Visibility.INTERNAL
    number: int
    confirmed: bool


@dataclass(frozen=True)
class ResponseConfirmed(ConsultationEvent):
    kind: ClassVar[str] = "consultation.response_confirmed"
    visibility: ClassVar[str] = Visibility.INTERNAL
    number: int


@dataclass(frozen=True)
class ThemeAdded(ConsultationEvent):
    kind: ClassVar[str] = "consultation.theme_added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    theme_id: int
    name: str


@dataclass(frozen=True)
class ResponseTagged(ConsultationEvent):
    kind: ClassVar[str] = "consultation.response_tagged"
    visibility: ClassVar[str] = Visibility.INTERNAL
    number: int
    theme_ids: list[int]


@dataclass(frozen=True)
class ResponseConsidered(ConsultationEvent):
    kind: ClassVar[str] = "consultation.response_considered"
    visibility: ClassVar[str] = Visibility.INTERNAL
    number: int
    considered: bool


@dataclass(frozen=True)
class TextPublished(ConsultationEvent):
    kind: ClassVar[str] = "consultation.text_published"
    visibility: ClassVar[str] = Visibility.INTERNAL
    number: int
    question_code: str


@dataclass(frozen=True)
class OutcomeChangeAdded(ConsultationEvent):
    kind: ClassVar[str] = "consultation.outcome_change_added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    change_id: int
    version_id: int | None
    changed_on: str


@dataclass(frozen=True)
class OutcomePublished(ConsultationEvent):
    kind: ClassVar[str] = "consultation.outcome_published"
    changes: int


@dataclass(frozen=True)
class ResponsesImported(ConsultationEvent):
    kind: ClassVar[str] = "consultation.responses_imported"
    visibility: ClassVar[str] = Visibility.INTERNAL
    count: int
