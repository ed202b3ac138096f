"""What happens to cases, as typed events other apps may subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class CaseEvent(DomainEvent):
    case_id: int
    reference: str


@dataclass(frozen=True)
class CaseCreated(CaseEvent):
    kind: ClassVar[str] = "case.created"
    service_code: str
    state: str


@dataclass(frozen=True)
class CaseTransitioned(CaseEvent):
    kind: ClassVar[str] = "case.transitioned"
    from_state: str
    to_state: str
    message: str = ""


@dataclass(frozen=True)
class CaseAssigned(CaseEvent):
    kind: ClassVar[str] = "case.assigned"
    visibility: ClassVar[str] = Visibility.INTERNAL
    team_id: int | None
    assignee_id: int | None


@dataclass(frozen=True)
class PublicUpdatePosted(CaseEvent):
    kind: ClassVar[str] = "case.public_update"
    message: str
    state: str = ""


@dataclass(frozen=True)
class CitizenUpdatePosted(CaseEvent):
    """A member of the public (directly or through a client such as FixMyStreet) commented,
    perhaps asking for a status (e.g. "fixed"); `state` is the case's state afterwards. No name:
    the log is immutable, and personal data must be removable when retention ends."""

    kind: ClassVar[str] = "case.citizen_update"
    message: str
    requested_status: str
    state: str


@dataclass(frozen=True)
class InternalNoteAdded(CaseEvent):
    kind: ClassVar[str] = "case.internal_note"
    visibility: ClassVar[str] = Visibility.INTERNAL
    note: str


@dataclass(frozen=True)
class CaseMergedInto(CaseEvent):
    """This case was closed as a duplicate of another."""

    kind: ClassVar[str] = "case.merged_into"
    original_reference: str
    from_state: str
    to_state: str


@dataclass(frozen=True)
class DuplicateMerged(CaseEvent):
    """Another case was merged into this one."""

    kind: ClassVar[str] = "case.duplicate_merged"
    duplicate_reference: str


@dataclass(frozen=True)
class CaseAnonymised(CaseEvent):
    kind: ClassVar[str] = "case.anonymised"
    visibility: ClassVar[str] = Visibility.INTERNAL
