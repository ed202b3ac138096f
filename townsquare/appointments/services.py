"""Writes for live queues: keyword-only, atomic, each appending its events (the audit trail).

The delay changes (the desk's tap, a cancellation, the pace seen at the desk) decide here who
must be told: one Alert row per person and change, then one AlertsDecided event that messaging
turns into texts and emails in each person's language. Deciding here, in one transaction with
the change, is what makes "never twice per change" hold whoever sends.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from townsquare.accounts.principal import Principal
from townsquare.appointments import events, policies, rules
from townsquare.appointments.models import (
    Alert,
    AlertKind,
    Appointment,
    AppointmentStatus,
    ServicePoint,
    Session,
    SessionStatus,
)
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.councils.models import Council

LANGUAGES = ("en", "cy")
MAX_DELAY_MINUTES = 600


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _append(event: events.SessionEvent, session: Session, actor: Actor) -> None:
    append_event(
        event,
        council_id=session.council_id,
        stream=events.STREAM,
        stream_id=session.id,
        actor=actor,
    )


def service_point_ensure(
    *,
    council: Council,
    code: str,
    name: str,
    owner: str,
    address: str = "",
    opening_hours: str = "",
    alert_threshold_minutes: int = 15,
    name_cy: str = "",
) -> ServicePoint:
    point, _ = ServicePoint.objects.update_or_create(
        council=council,
        code=code,
        defaults={
            "name": name,
            "name_cy": name_cy,
            "owner": owner,
            "address": address,
            "opening_hours": opening_hours,
            "alert_threshold_minutes": alert_threshold_minutes,
        },
        create_defaults={
            "name": name,
            "name_cy": name_cy,
            "owner": owner,
            "address": address,
            "opening_hours": opening_hours,
            "alert_threshold_minutes": alert_threshold_minutes,
            "created_at": clock.now(),
        },
    )
    return point


def session_create(
    *,
    service_point: ServicePoint,
    name: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    slot_minutes: int = 10,
    actor: Principal,
) -> Session:
    _require(
        policies.can_manage_appointments(actor, service_point.council_id),
        "You cannot run sessions of this council",
    )
    if ends_at <= starts_at:
        raise InvalidInput({"ends_at": ["The session must end after it starts"]})
    with transaction.atomic():
        session = Session.objects.create(
            council_id=service_point.council_id,
            service_point=service_point,
            name=name.strip()[:200],
            starts_at=starts_at,
            ends_at=ends_at,
            slot_minutes=slot_minutes,
            created_at=clock.now(),
        )
        _append(
            events.SessionCreated(session_id=session.id, service_point=service_point.code),
            session,
            actor.as_actor(),
        )
    return session


@dataclass(frozen=True)
class AppointmentIn:
    """One appointment as an import or a booking gives it (already parsed)."""

    scheduled_at: dt.datetime
    phone: str = ""
    email: str = ""
    language: str = "en"
    name: str = ""
    number: int | None = None
    external_id: str = ""


def appointment_problems(item: AppointmentIn, session: Session) -> list[str]:
    """What is wrong with one appointment for this session (empty when it may be stored)."""
    problems = []
    if not (item.phone or item.email):
        problems.append("Give a mobile number or an email address")
    if item.phone and len(rules.phone_key(item.phone)) < 10:
        problems.append(f"{item.phone!r} is not a UK mobile number")
    if item.email and "@" not in item.email:
        problems.append(f"{item.email!r} is not an email address")
    if item.language not in LANGUAGES:
        problems.append(f"Language must be one of {', '.join(LANGUAGES)}, not {item.language!r}")
    if not (session.starts_at <= item.scheduled_at < session.ends_at):
        problems.append("The time is outside the session")
    return problems


def appointments_add(
    *,
    session: Session,
    items: Sequence[AppointmentIn],
    actor: Principal,
    source: str = "staff",
    labels: Sequence[str] | None = None,
    refused: dict[str, list[str]] | None = None,
) -> list[Appointment]:
    """Store appointments, all or none: any problem refuses the whole batch with every row's
    reasons (InvalidInput, one field per row: `labels[i]` names items[i], "row N" by default;
    `refused`: rows already refused while reading the file, which refuse the batch too)."""
    _require(
        policies.can_manage_appointments(actor, session.council_id),
        "You cannot book appointments of this council",
    )
    problems: dict[str, list[str]] = dict(refused or {})
    numbers_given = [i.number for i in items if i.number is not None]
    for index, item in enumerate(items, start=1):
        found = appointment_problems(item, session)
        if item.number is not None and numbers_given.count(item.number) > 1:
            found.append(f"Number {item.number} is given twice")
        if found:
            problems[labels[index - 1] if labels else f"row {index}"] = found
    if not items and not problems:
        problems["__all__"] = ["There are no appointments in it"]
    if problems:
        raise InvalidInput(problems, code="rows_refused")
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        taken = set(
            Appointment.objects.filter(session=locked, number__in=numbers_given).values_list(
                "number", flat=True
            )
        )
        if taken:
            raise InvalidInput(
                {"__all__": [f"Numbers already in this session: {sorted(taken)}"]},
                code="rows_refused",
            )
        next_number = (
            Appointment.objects.filter(session=locked).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        rows = []
        for item in sorted(items, key=lambda i: i.scheduled_at):
            number = item.number
            if number is None:
                while next_number in taken or next_number in numbers_given:
                    next_number += 1
                number, next_number = next_number, next_number + 1
            rows.append(
                Appointment(
                    session=locked,
                    number=number,
                    scheduled_at=item.scheduled_at,
                    queue_at=item.scheduled_at,
                    told_expected_at=item.scheduled_at,
                    name=item.name.strip()[:200],
                    # Digits only (and a leading +), so a text back finds its sender.
                    phone=re.sub(r"[^\d+]", "", item.phone)[:30],
                    email=item.email.strip()[:254],
                    language=item.language,
                    external_id=item.external_id[:100],
                )
            )
        created = Appointment.objects.bulk_create(rows, batch_size=1000)
        _append(
            events.AppointmentsAdded(session_id=locked.id, count=len(created), source=source),
            locked,
            actor.as_actor(),
        )
    return created


def _locked_session(session: Session) -> Session:
    locked = Session.objects.select_for_update().select_related("service_point").get(pk=session.pk)
    if locked.cleaned_at is not None:
        raise InvalidInput("This session is over and its appointments are removed")
    return locked


def session_delay_set(
    *, session: Session, delay_minutes: int, actor: Principal, source: str = "desk"
) -> Session:
    """The desk's one tap: "running N minutes late" (0: back on time). Decides the alerts."""
    _require(policies.can_run_desk(actor, session.council_id), "You cannot run this desk")
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise InvalidInput({"delay": [f"Give a delay from 0 to {MAX_DELAY_MINUTES} minutes"]})
    with transaction.atomic():
        locked = _locked_session(session)
        if locked.status == SessionStatus.CANCELLED:
            raise InvalidInput("The session is cancelled")
        _delay_change(locked, delay_minutes, source=source, actor=actor.as_actor())
    return locked


def _delay_change(session: Session, delay_minutes: int, *, source: str, actor: Actor) -> None:
    now = clock.now()
    session.delay_minutes = delay_minutes
    session.delay_source = source
    session.delay_set_at = now
    session.change_no += 1
    session.worst_delay_minutes = max(session.worst_delay_minutes, delay_minutes)
    session.save(
        update_fields=[
            "delay_minutes",
            "delay_source",
            "delay_set_at",
            "change_no",
            "worst_delay_minutes",
        ]
    )
    _append(
        events.SessionDelaySet(
            session_id=session.id,
            delay_minutes=delay_minutes,
            change_no=session.change_no,
            source=source,
        ),
        session,
        actor,
    )
    _alerts_decide(session, now=now, actor=actor)


def session_cancel(*, session: Session, actor: Principal) -> Session:
    _require(policies.can_run_desk(actor, session.council_id), "You cannot run this desk")
    with transaction.atomic():
        locked = _locked_session(session)
        if locked.status == SessionStatus.CANCELLED:
            return locked
        locked.status = SessionStatus.CANCELLED
        locked.change_no += 1
        locked.save(update_fields=["status", "change_no"])
        _append(
            events.SessionCancelled(session_id=locked.id, change_no=locked.change_no),
            locked,
            actor.as_actor(),
        )
        _alerts_decide(locked, now=clock.now(), actor=actor.as_actor())
    return locked


def session_expected_times(session: Session, *, now: dt.datetime) -> dict[int, dt.datetime]:
    """Each waiting person's expected time (appointment id -> time)."""
    waiting = [
        rules.Waiting(id=i, queue_at=q, status=s)
        for i, q, s in Appointment.objects.filter(
            session=session, status__in=rules.WAITING
        ).values_list("id", "queue_at", "status")
    ]
    seen = list(
        Appointment.objects.filter(session=session, seen_at__isnull=False)
        .order_by("-seen_at")
        .values_list("seen_at", flat=True)[: rules.RECENT_SEEN]
    )
    return rules.expected_times(
        waiting,
        now=now,
        starts_at=session.starts_at,
        delay_minutes=session.delay_minutes,
        pace_minutes=rules.minutes_per_person(seen, slot_minutes=session.slot_minutes),
    )


def _alerts_decide(session: Session, *, now: dt.datetime, actor: Actor) -> int:
    """Store an alert for each person still to come whose expected time moved past the
    service's threshold (everyone still to come when the session is cancelled). Nobody is told
    at night, nor once they are at the desk (checked in) or seen."""
    if rules.is_night(now, spec=settings.MESSAGING_SMS_QUIET_HOURS, zone=settings.TIME_ZONE):
        return 0
    threshold = session.service_point.alert_threshold_minutes
    cancelled = session.status == SessionStatus.CANCELLED
    expected = {} if cancelled else session_expected_times(session, now=now)
    # Plain rows, not model instances: a big clinic has 10,000 people to weigh.
    to_come = Appointment.objects.filter(
        session=session, status=AppointmentStatus.BOOKED
    ).values_list("id", "told_expected_at", "scheduled_at", "phone", "email", "alerts_sent")
    alerts, moved = [], []
    for appointment_id, told, scheduled, phone, email, sent in to_come.iterator(chunk_size=2000):
        if not (phone or email):
            continue
        if cancelled:
            at, kind = scheduled, AlertKind.CANCELLED
        else:
            at, kind = expected[appointment_id], AlertKind.DELAY
            if not rules.moved_enough(told=told, expected=at, threshold_minutes=threshold):
                continue
            told = at
        moved.append((told, sent + 1, appointment_id))
        alerts.append(
            Alert(
                session=session,
                appointment_id=appointment_id,
                change_no=session.change_no,
                kind=kind,
                expected_at=at,
                created_at=now,
            )
        )
    if not alerts:
        return 0
    Alert.objects.bulk_create(alerts, batch_size=2000, ignore_conflicts=True)
    _told_update(moved)
    _append(
        events.AlertsDecided(session_id=session.id, change_no=session.change_no, count=len(alerts)),
        session,
        actor,
    )
    return len(alerts)


def _told_update(moved: list[tuple[dt.datetime, int, int]]) -> None:
    """Record what each person was told ((told time, alerts sent, id) rows), one statement run
    for many rows: the ORM's bulk_update builds a CASE per row, seconds for 10,000 people."""
    ops = connection.ops
    table = ops.quote_name(Appointment._meta.db_table)
    # Only constant names go into the statement; every value is a parameter.
    sql = f"UPDATE {table} SET told_expected_at = %s, alerts_sent = %s WHERE id = %s"  # noqa: S608
    rows = [(ops.adapt_datetimefield_value(told), sent, pk) for told, sent, pk in moved]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])


def _locked_appointment(appointment: Appointment) -> tuple[Appointment, Session]:
    session = _locked_session(appointment.session)
    return Appointment.objects.get(pk=appointment.pk), session


def _changed(
    appointment: Appointment, session: Session, actor: Actor, *, via: str = "desk"
) -> None:
    _append(
        events.AppointmentChanged(
            session_id=session.id,
            appointment_id=appointment.id,
            number=appointment.number,
            status=appointment.status,
            late_minutes=appointment.late_minutes,
            via=via,
        ),
        session,
        actor,
    )


def appointment_check_in(*, appointment: Appointment, actor: Principal) -> Appointment:
    _require(
        policies.can_run_desk(actor, appointment.session.council_id), "You cannot run this desk"
    )
    with transaction.atomic():
        appointment, session = _locked_appointment(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            return appointment
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = clock.now()
        appointment.save(update_fields=["status", "checked_in_at"])
        _changed(appointment, session, actor.as_actor())
    return appointment


def appointment_seen(*, appointment: Appointment, actor: Principal) -> Appointment:
    """Seen: never told anything again. The lateness of this person tells the delay when the
    desk has not set it by hand since (the delay "worked out from the check-ins")."""
    _require(
        policies.can_run_desk(actor, appointment.session.council_id), "You cannot run this desk"
    )
    with transaction.atomic():
        appointment, session = _locked_appointment(appointment)
        if appointment.status not in rules.WAITING:
            return appointment
        now = clock.now()
        appointment.status = AppointmentStatus.SEEN
        appointment.seen_at = now
        appointment.save(update_fields=["status", "seen_at"])
        _changed(appointment, session, actor.as_actor())
        observed = max(0, int((now - appointment.queue_at).total_seconds() // 60))
        observed = 5 * round(observed / 5)
        desk_set_since = session.delay_source == "desk" and session.change_no > 0
        if (
            session.status == SessionStatus.OPEN
            and not desk_set_since
            and observed != session.delay_minutes
            and observed <= MAX_DELAY_MINUTES
        ):
            _delay_change(session, observed, source="check-ins", actor=actor.as_actor())
    return appointment


def appointment_cancel(*, appointment: Appointment, actor: Actor, via: str = "desk") -> None:
    with transaction.atomic():
        appointment, session = _locked_appointment(appointment)
        if appointment.status not in rules.WAITING:
            return
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save(update_fields=["status"])
        _changed(appointment, session, actor, via=via)


def appointment_cancel_at_desk(*, appointment: Appointment, actor: Principal) -> None:
    _require(
        policies.can_run_desk(actor, appointment.session.council_id), "You cannot run this desk"
    )
    appointment_cancel(appointment=appointment, actor=actor.as_actor())


@dataclass(frozen=True)
class ReplyOutcome:
    appointment_id: int
    session_id: int
    word: str
    minutes: int = 0


def _local_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def appointment_reply_receive(*, source_number: str, text: str) -> ReplyOutcome:
    """A text back from someone with an appointment today: OK, CANCEL (frees the slot and the
    desk sees it), LATE 20 (they come 20 minutes later: they move down the queue). NotFound
    when the number has no appointment still to come today or the text is none of these."""
    reply = rules.reply_read(text)
    key = rules.phone_key(source_number)
    if reply is None or len(key) < 10:
        raise NotFound("Not a reply to an appointment")
    now = clock.now()
    start, end = _local_day_bounds(now)
    appointment = (
        Appointment.objects.filter(
            phone__endswith=key,
            status__in=rules.WAITING,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
            session__cleaned_at__isnull=True,
        )
        .select_related("session")
        .order_by("scheduled_at")
        .first()
    )
    if appointment is None:
        raise NotFound("No appointment still to come today for that number")
    actor = Actor(kind="citizen", label="Text message reply")
    with transaction.atomic():
        appointment, session = _locked_appointment(appointment)
        appointment.replies += 1
        appointment.save(update_fields=["replies"])
        append_event(
            events.ReplyReceived(
                session_id=session.id,
                appointment_id=appointment.id,
                number=appointment.number,
                word=reply.word,
            ),
            council_id=session.council_id,
            stream=events.STREAM,
            stream_id=session.id,
            actor=actor,
        )
        if reply.word == "cancel":
            appointment_cancel(appointment=appointment, actor=actor, via="sms")
        elif reply.word == "late":
            arrives = (now + dt.timedelta(minutes=reply.minutes)).replace(microsecond=0)
            appointment.late_minutes = reply.minutes
            appointment.queue_at = max(appointment.queue_at, arrives)
            # What they said is what they know: no alert for the move they asked for.
            appointment.save(update_fields=["late_minutes", "queue_at"])
            expected = session_expected_times(session, now=now)
            appointment.told_expected_at = expected.get(appointment.id, appointment.queue_at)
            appointment.save(update_fields=["told_expected_at"])
            _changed(appointment, session, actor, via="sms")
    return ReplyOutcome(appointment.id, session.id, reply.word, reply.minutes)


def sessions_clean_up(*, limit: int = 200) -> dict[str, int]:
    """Remove the personal data of every session whose day is over: contacts, names,
    languages and alerts go; what stays (times, statuses, the figures) names nobody. Counted and
    logged (an event per session). Safe to run twice."""
    start_of_today, _ = _local_day_bounds(clock.now())
    due = list(
        Session.objects.filter(cleaned_at__isnull=True, ends_at__lt=start_of_today).order_by(
            "ends_at"
        )[:limit]
    )
    removed = 0
    for session in due:
        removed += _session_clean(session)
    return {"sessions": len(due), "appointments": removed}


def _session_clean(session: Session) -> int:
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.cleaned_at is not None:
            return 0
        now = clock.now()
        appointments = Appointment.objects.filter(session=session)
        appointments.filter(status=AppointmentStatus.BOOKED).update(
            status=AppointmentStatus.NO_SHOW
        )
        session.figures = _session_figures(session)
        Alert.objects.filter(session=session).delete()
        count = appointments.update(name="", phone="", email="", external_id="", language="")
        session.cleaned_at = now
        session.save(update_fields=["figures", "cleaned_at"])
        append_event(
            events.SessionCleaned(session_id=session.id, appointments=count),
            council_id=session.council_id,
            stream=events.STREAM,
            stream_id=session.id,
            actor=Actor.system("Live queues clean-up"),
        )
    return count


def _session_figures(session: Session) -> dict[str, int | float | None]:
    """The anonymous figures a session leaves behind."""
    rows = list(
        Appointment.objects.filter(session=session).values_list(
            "status", "scheduled_at", "seen_at", "alerts_sent", "replies"
        )
    )
    waits = [
        (seen - scheduled).total_seconds() / 60
        for status, scheduled, seen, _, _ in rows
        if seen is not None
    ]
    return {
        "appointments": len(rows),
        "seen": sum(1 for r in rows if r[0] == AppointmentStatus.SEEN),
        "no_shows": sum(1 for r in rows if r[0] == AppointmentStatus.NO_SHOW),
        "no_shows_alerted": sum(1 for r in rows if r[0] == AppointmentStatus.NO_SHOW and r[3]),
        "cancelled": sum(1 for r in rows if r[0] == AppointmentStatus.CANCELLED),
        "alerts_sent": sum(r[3] for r in rows),
        "alerted": sum(1 for r in rows if r[3]),
        "replies": sum(r[4] for r in rows),
        "average_wait_minutes": round(sum(waits) / len(waits), 1) if waits else None,
        "worst_delay_minutes": session.worst_delay_minutes,
        "final_delay_minutes": session.delay_minutes,
    }
