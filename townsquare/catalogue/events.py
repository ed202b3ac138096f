from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ServicePublished(DomainEvent):
    kind: ClassVar[str] = "service.published"
    visibility: ClassVar[str] = Visibility.INTERNAL
    service_id: int
    code: str
    version: int


@dataclass(frozen=True)
class ServiceDraftSaved(DomainEvent):
    """A council admin changed a draft in the service builder (`what`: the part changed)."""

    kind: ClassVar[str] = "service.draft_saved"
    visibility: ClassVar[str] = Visibility.INTERNAL
    draft_id: int
    code: str
    what: str


@dataclass(frozen=True)
class ServiceDraftDeleted(DomainEvent):
    kind: ClassVar[str] = "service.draft_deleted"
    visibility: ClassVar[str] = Visibility.INTERNAL
    draft_id: int
    code: str


@dataclass(frozen=True)
class ServiceAvailabilitySet(DomainEvent):
    """A council admin retired a service (no new cases) or offered it again."""

    kind: ClassVar[str] = "service.availability_set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    service_id: int
    code: str
    active: bool
