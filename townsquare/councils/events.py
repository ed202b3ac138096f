from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class CouncilSaved(DomainEvent):
    """A council's details or boundary were created or changed."""

    kind: ClassVar[str] = "council.saved"
    visibility: ClassVar[str] = Visibility.INTERNAL
    slug: str
    name: str


@dataclass(frozen=True)
class AreaSaved(DomainEvent):
    kind: ClassVar[str] = "area.saved"
    visibility: ClassVar[str] = Visibility.INTERNAL
    code: str
    name: str


@dataclass(frozen=True)
class TeamSaved(DomainEvent):
    kind: ClassVar[str] = "team.saved"
    visibility: ClassVar[str] = Visibility.INTERNAL
    code: str
    name: str


@dataclass(frozen=True)
class BrandingSet(DomainEvent):
    kind: ClassVar[str] = "council.branding_set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    branding: dict


@dataclass(frozen=True)
class AreasImported(DomainEvent):
    kind: ClassVar[str] = "council.areas_imported"
    visibility: ClassVar[str] = Visibility.INTERNAL
    count: int


@dataclass(frozen=True)
class GazetteerImported(DomainEvent):
    """A council's streets and place names were replaced from a CSV file."""

    kind: ClassVar[str] = "gazetteer.imported"
    visibility: ClassVar[str] = Visibility.INTERNAL
    places: int
    source: str


@dataclass(frozen=True)
class PublicPagesSet(DomainEvent):
    """A council admin changed what the council's public pages say (contacts, accessibility
    statement, data protection officer, phase banner)."""

    kind: ClassVar[str] = "council.public_pages_set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    settings: dict
