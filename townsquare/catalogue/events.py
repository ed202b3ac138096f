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
