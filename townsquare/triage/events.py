"""What triage records in the event log (the audit trail of its suggestions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class PersonalDataHidden(DomainEvent):
    """Personal data was taken out of the public copy of a case's text; the original is kept
    for staff. Names the kinds only, never the values."""

    kind: ClassVar[str] = "triage.personal_data_hidden"
    visibility: ClassVar[str] = Visibility.INTERNAL
    case_id: int
    reference: str
    field: str
    kinds: list[str]


@dataclass(frozen=True)
class SuggestionDecided(DomainEvent):
    """Staff accepted or rejected a suggestion (a category or a likely duplicate)."""

    kind: ClassVar[str] = "triage.suggestion_decided"
    visibility: ClassVar[str] = Visibility.INTERNAL
    case_id: int
    reference: str
    suggestion: str
    suggested: str
    accepted: bool
