"""What happens in live queues, as typed events. Stream "session", id = the session's.

Payloads carry numbers and times, never a name or contact: public ones feed the waiting-room
board, which anyone may watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility

STREAM = "session"


@dataclass(frozen=True)
class SessionEvent(DomainEvent):
    session_id: int


@dataclass(frozen=True)
class SessionCreated(SessionEvent):
    kind: ClassVar[str] = "appointments.session_created"
    visibility: ClassVar[str] = Visibility.INTERNAL
    service_point: str


@dataclass(frozen=True)
class SessionDelaySet(SessionEvent):
    kind: ClassVar[str] = "appointments.delay_set"
    delay_minutes: int
    change_no: int
    source: str


@dataclass(frozen=True)
class SessionCancelled(SessionEvent):
    kind: ClassVar[str] = "appointments.session_cancelled"
    change_no: int


@dataclass(frozen=True)
class AlertsDecided(SessionEvent):
    """Messaging's cue: the alerts of this change are stored, tell each person."""

    kind: ClassVar[str] = "appointments.alerts_decided"
    visibility: ClassVar[str] = Visibility.INTERNAL
    change_no: int
    count: int


@dataclass(frozen=True)
class AppointmentsAdded(SessionEvent):
    kind: ClassVar[str] = "appointments.added"
    visibility: ClassVar[str] = Visibility.INTERNAL
    count: int
    source: str


@dataclass(frozen=True)
class AppointmentChanged(SessionEvent):
    """Checked in, seen, cancelled, running late: the board moves."""

    kind: ClassVar[str] = "appointments.changed"
    appointment_id: int
    number: int
    status: str
    late_minutes: int = 0
    via: str = "desk"


@dataclass(frozen=True)
class ReplyReceived(SessionEvent):
    kind: ClassVar[str] = "appointments.reply"
    visibility: ClassVar[str] = Visibility.INTERNAL
    appointment_id: int
    number: int
    word: str


@dataclass(frozen=True)
class SessionCleaned(SessionEvent):
    """The session's personal data is gone; messaging forgets what it sent about it."""

    kind: ClassVar[str] = "appointments.cleaned"
    visibility: ClassVar[str] = Visibility.INTERNAL
    appointments: int
