"""What happens to cases, as typed events other apps may subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class CasesBulkLoaded(DomainEvent):
    """Cases were written in bulk (`townsquare generate`, an import) with their events, ids
    first_event_id..last_event_id, committed before this one. It is history, not news: the
    consumers of the log take the whole range in one bulk step, in the process that loaded it
    and so outside any request (ADR 223)."""

    kind: ClassVar[str] = "cases.bulk_loaded"
    visibility: ClassVar[str] = Visibility.INTERNAL
    first_event_id: int
    last_event_id: int
    cases: int


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
    # The team before, so that readers can tell a case arriving in a team's queue from one
    # given to a person within the same team (events before this field lack it).
    previous_team_id: int | None = None


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


@dataclass(frozen=True)
class CasePrioritySet(CaseEvent):
    kind: ClassVar[str] = "case.priority_set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    priority: int
    previous: int


@dataclass(frozen=True)
class AttachmentAdded(CaseEvent):
    """A file staff attached; public ones (photos) are shown on the public page too."""

    kind: ClassVar[str] = "case.attachment_added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    attachment_id: int
    content_type: str
    is_public: bool


@dataclass(frozen=True)
class CasesLinked(CaseEvent):
    kind: ClassVar[str] = "case.linked"
    visibility: ClassVar[str] = Visibility.INTERNAL
    other_reference: str


@dataclass(frozen=True)
class CitizenReplyReceived(CaseEvent):
    """Someone replied to an email or SMS about the case. Internal: staff read it on the
    timeline and decide what to make public. No address: the log outlives personal data."""

    kind: ClassVar[str] = "case.citizen_reply"
    visibility: ClassVar[str] = Visibility.INTERNAL
    message: str
    channel: str


@dataclass(frozen=True)
class CaseReporterConfirmed(CaseEvent):
    """The reporter followed the link sent to their email address; a public report is now
    public."""

    kind: ClassVar[str] = "case.reporter_confirmed"
    visibility: ClassVar[str] = Visibility.INTERNAL


@dataclass(frozen=True)
class CaseSupported(CaseEvent):
    """Someone else has the same problem and added their support. Who they are is not kept
    here (they may follow the case through messaging instead)."""

    kind: ClassVar[str] = "case.supported"
    support_count: int


@dataclass(frozen=True)
class CaseReporterLinked(CaseEvent):
    """A case sent without signing in now belongs to the account of the person who reported it:
    they signed in with a link sent to the address the case was made with."""

    kind: ClassVar[str] = "case.reporter_linked"
    visibility: ClassVar[str] = Visibility.INTERNAL


@dataclass(frozen=True)
class CaseDocumentsAdded(CaseEvent):
    """Supporting documents came with an application; names stay out (they can be personal)."""

    kind: ClassVar[str] = "case.documents_added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    count: int


@dataclass(frozen=True)
class ApplicantReplied(CaseEvent):
    """The applicant answered the council's request for more information on the web. Shown to
    the applicant (their own private case) and to staff; `documents` are the files' own names,
    as the applicant knows them. No name or address of the person: the log is immutable."""

    kind: ClassVar[str] = "case.applicant_reply"
    message: str
    documents: tuple[str, ...] = ()
    state: str = ""
