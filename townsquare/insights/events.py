"""What insights tells other apps (messaging notifies the team of an anomaly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class AnomalyDetected(DomainEvent):
    """Far more reports of one service in one area than expected. `team_id` is the team the
    service routes to: the one to tell. `explanation` is a sentence for people."""

    kind: ClassVar[str] = "insights.anomaly_detected"
    visibility: ClassVar[str] = Visibility.INTERNAL
    anomaly_id: int
    service_id: int
    service_code: str
    team_id: int | None
    cell: str
    window_start: str
    window_end: str
    count: int
    expected: float
    probability: float
    explanation: str
