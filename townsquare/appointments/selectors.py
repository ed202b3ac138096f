"""Reads for live queues. Staff reads are access-checked; the public board names nobody."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from townsquare.accounts.principal import Principal
from townsquare.appointments import policies, rules
from townsquare.appointments.models import (
    Alert,
    Appointment,
    AppointmentStatus,
    Session,
    SessionStatus,
)
from townsquare.appointments.services import session_expected_times
from townsquare.core import clock
from townsquare.core.errors import NotFound

BOARD_NEXT = 5


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=_zone())
    return start, start + dt.timedelta(days=1)


def today() -> dt.date:
    return clock.now().astimezone(_zone()).date()


def sessions_of_day(*, principal: Principal, council_id: int, day: dt.date) -> list[Session]:
    if not policies.can_run_desk(principal, council_id):
        return []
    start, end = _day_bounds(day)
    return list(
        Session.objects.filter(council_id=council_id, starts_at__gte=start, starts_at__lt=end)
        .select_related("service_point")
        .order_by("starts_at", "id")
    )


def session_get_for_staff(*, principal: Principal, session_id: int) -> Session:
    """A session of a council the principal works for; NotFound otherwise (other councils'
    sessions are not there for them, ADR 150)."""
    session = Session.objects.select_related("service_point").filter(pk=session_id).first()
    if session is None or not policies.can_run_desk(principal, session.council_id):
        raise NotFound("No such session")
    return session


def appointment_get_for_staff(
    *, principal: Principal, session: Session, appointment_id: int
) -> Appointment:
    appointment = (
        Appointment.objects.select_related("session")
        .filter(pk=appointment_id, session=session)
        .first()
    )
    if appointment is None or not policies.can_run_desk(principal, session.council_id):
        raise NotFound("No such appointment")
    return appointment


@dataclass(frozen=True)
class DeskRow:
    id: int
    number: int
    name: str
    scheduled_at: dt.datetime
    expected_at: dt.datetime | None
    status: str
    status_label: str
    late_minutes: int
    alerts_sent: int
    replies: int
    contact: str


def desk_rows(*, session: Session) -> list[DeskRow]:
    """Every appointment of the session in queue order, with each waiting person's expected
    time. Call with a session from session_get_for_staff."""
    expected = session_expected_times(session, now=clock.now())
    labels = dict(AppointmentStatus.choices)
    rows = []
    for a in Appointment.objects.filter(session=session).order_by("queue_at", "id"):
        rows.append(
            DeskRow(
                id=a.id,
                number=a.number,
                name=a.name,
                scheduled_at=a.scheduled_at,
                expected_at=expected.get(a.id),
                status=a.status,
                status_label=labels.get(a.status, a.status),
                late_minutes=a.late_minutes,
                alerts_sent=a.alerts_sent,
                replies=a.replies,
                contact="text" if a.phone else ("email" if a.email else ""),
            )
        )
    return rows


@dataclass(frozen=True)
class BoardEntry:
    number: int
    expected_at: dt.datetime
    checked_in: bool


@dataclass(frozen=True)
class Board:
    session: Session
    place: str
    delay_minutes: int
    cancelled: bool
    next: list[BoardEntry]
    waiting: int
    seen: int


def public_sessions(*, day: dt.date | None = None) -> list[Session]:
    """The sessions of a day (today by default) with a public board, every council."""
    start, end = _day_bounds(day or today())
    return list(
        Session.objects.filter(starts_at__gte=start, starts_at__lt=end, cleaned_at__isnull=True)
        .select_related("service_point")
        .order_by("starts_at", "id")
    )


def public_session_get(*, session_id: int) -> Session:
    session = (
        Session.objects.select_related("service_point")
        .filter(pk=session_id, cleaned_at__isnull=True)
        .first()
    )
    if session is None:
        raise NotFound("No such session")
    return session


def board(*, session: Session, language: str = "en") -> Board:
    """What the waiting room sees: the delay and the next numbers, never a name."""
    expected = session_expected_times(session, now=clock.now())
    waiting = list(
        Appointment.objects.filter(session=session, status__in=rules.WAITING)
        .order_by("queue_at", "id")
        .values_list("id", "number", "status")
    )
    seen = Appointment.objects.filter(session=session, status=AppointmentStatus.SEEN).count()
    point = session.service_point
    place = point.name_cy if language == "cy" and point.name_cy else point.name
    return Board(
        session=session,
        place=place,
        delay_minutes=session.delay_minutes,
        cancelled=session.status == SessionStatus.CANCELLED,
        next=[
            BoardEntry(number=n, expected_at=expected[i], checked_in=s == "checked_in")
            for i, n, s in sorted(waiting, key=lambda row: (expected[row[0]], row[1]))[:BOARD_NEXT]
        ],
        waiting=len(waiting),
        seen=seen,
    )


@dataclass(frozen=True)
class AlertNotice:
    """One person to tell about one change: what messaging needs to write to them."""

    alert_id: int
    council_id: int
    kind: str
    phone: str
    email: str
    language: str
    number: int
    scheduled_at: dt.datetime
    expected_at: dt.datetime
    place: str
    address: str
    session_name: str


def alert_notices(*, session_id: int, change_no: int) -> list[AlertNotice]:
    """The alerts of one change still worth sending: nobody seen, checked in or gone since
    (for messaging, which is told of them by an AlertsDecided event)."""
    session = Session.objects.select_related("service_point").filter(pk=session_id).first()
    if session is None or session.cleaned_at is not None:
        return []
    point = session.service_point
    notices = []
    for alert_id, kind, expected_at, phone, email, language, number, scheduled_at, status in (
        Alert.objects.filter(session_id=session_id, change_no=change_no)
        .order_by("appointment__queue_at", "id")
        .values_list(
            "id",
            "kind",
            "expected_at",
            "appointment__phone",
            "appointment__email",
            "appointment__language",
            "appointment__number",
            "appointment__scheduled_at",
            "appointment__status",
        )
        .iterator(chunk_size=2000)
    ):
        if status != AppointmentStatus.BOOKED:
            continue
        notices.append(
            AlertNotice(
                alert_id=alert_id,
                council_id=session.council_id,
                kind=kind,
                phone=phone,
                email=email,
                language=language or "en",
                number=number,
                scheduled_at=scheduled_at,
                expected_at=expected_at,
                place=point.name_cy if language == "cy" and point.name_cy else point.name,
                address=point.address.replace("\n", ", "),
                session_name=session.name,
            )
        )
    return notices


def figures(*, principal: Principal, council_id: int) -> dict:
    """Managers' figures: per session (delays, alerts, replies, no-shows) and per weekday, from
    the anonymous figures of finished sessions and the live ones of today's."""
    if not policies.can_see_figures(principal, council_id):
        return {"sessions": [], "weekdays": []}
    sessions = list(
        Session.objects.filter(council_id=council_id)
        .select_related("service_point")
        .order_by("-starts_at")[:200]
    )
    live = [s.id for s in sessions if s.cleaned_at is None]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for session_id, status, alerts_sent, replies in Appointment.objects.filter(
        session_id__in=live
    ).values_list("session_id", "status", "alerts_sent", "replies"):
        c = counts[session_id]
        c["appointments"] += 1
        c["alerts_sent"] += alerts_sent
        c["alerted"] += 1 if alerts_sent else 0
        c["replies"] += replies
        c["no_shows"] += status == AppointmentStatus.NO_SHOW
        c["no_shows_alerted"] += status == AppointmentStatus.NO_SHOW and alerts_sent > 0
        c["cancelled"] += status == AppointmentStatus.CANCELLED
    rows = []
    by_weekday: dict[int, list[dict]] = defaultdict(list)
    for s in sessions:
        data = dict(s.figures) if s.cleaned_at else dict(counts.get(s.id, {}))
        data.setdefault("worst_delay_minutes", s.worst_delay_minutes)
        data["final_delay_minutes"] = s.delay_minutes
        row = {"session": s, "figures": data}
        rows.append(row)
        by_weekday[s.starts_at.astimezone(_zone()).weekday()].append(data)
    weekdays = []
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    for day in sorted(by_weekday):
        items = by_weekday[day]
        delays = [i.get("worst_delay_minutes", 0) or 0 for i in items]
        weekdays.append(
            {
                "weekday": names[day],
                "sessions": len(items),
                "average_delay": round(sum(delays) / len(delays), 1),
                "worst_delay": max(delays),
                "alerts_sent": sum(i.get("alerts_sent", 0) for i in items),
                "replies": sum(i.get("replies", 0) for i in items),
                "no_shows": sum(i.get("no_shows", 0) for i in items),
                "no_shows_alerted": sum(i.get("no_shows_alerted", 0) for i in items),
            }
        )
    return {"sessions": rows, "weekdays": weekdays}
