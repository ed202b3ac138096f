"""The Done-when path in process: the desk says "running 40 minutes late", each affected person
is texted or emailed in their language (the demo's SMS log and mailbox), a LATE 20 text moves
its sender, nobody is told twice about one change, and the next day's clean-up leaves no
personal data behind."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_staff
from townsquare.appointments import services
from townsquare.appointments.models import Alert, Appointment, AppointmentStatus, Session
from townsquare.appointments.selectors import desk_rows
from townsquare.core.models import Event
from townsquare.messaging.mailbox import mailbox_list
from townsquare.messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_log(settings, tmp_path, messaging_on, smtp):
    settings.DEMO_MAILBOX = True
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    settings.MESSAGING_SMS_QUIET_HOURS = "21:00-08:00"
    settings.NOTIFY_CALLBACK_TOKEN = "callback-token"
    return settings.MAILBOX_DIR


def _texts(directory) -> dict[str, str]:
    found = {}
    for mail in mailbox_list(directory=directory, limit=1000):
        parsed = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
        found[mail.to] = parsed.get_body(preferencelist=("plain",)).get_content()
    return found


def _send():
    call_command("worker", "--batch", verbosity=0)


def test_delay_tells_each_person_once_in_their_language(council, clinic, wall, demo_log, smtp):
    _, agent = make_staff(council, "agent")
    services.session_delay_set(session=clinic, delay_minutes=40, actor=agent)
    _send()
    texts = _texts(demo_log)
    people = list(Appointment.objects.filter(session=clinic).order_by("number"))
    by_phone = [p for p in people if p.phone]
    assert {p.phone for p in by_phone} == set(texts)
    first_en = next(p for p in by_phone if p.language == "en")
    first_cy = next(p for p in by_phone if p.language == "cy")
    assert "your 09:00 appointment is now expected at 09:40" in texts[first_en.phone]
    assert "Reply OK, CANCEL, or LATE 20" in texts[first_en.phone]
    assert "Clinig Iechyd Canolog" in texts[first_cy.phone]
    assert "disgwylir eich apwyntiad 09:10 am 09:50 bellach" in texts[first_cy.phone]
    by_email = {p.email: p for p in people if p.email}
    assert sorted(m["to"] for m in smtp.messages) == sorted(by_email)
    # Nobody twice for one change: handling the event again writes nothing new.
    count = Message.objects.count()
    from townsquare.messaging.models import Cursor

    Cursor.objects.update(last_event_id=0)
    _send()
    assert Message.objects.count() == count == len(people)

    # A smaller move than the service's threshold (15 minutes) tells nobody.
    wall.advance(minutes=1)
    services.session_delay_set(session=clinic, delay_minutes=45, actor=agent)
    _send()
    assert Message.objects.count() == count

    # Seen people and those checked in are not told; back on time tells the rest.
    seen = people[0]
    services.appointment_check_in(appointment=seen, actor=agent)
    services.appointment_seen(appointment=Appointment.objects.get(pk=seen.pk), actor=agent)
    services.session_delay_set(session=clinic, delay_minutes=0, actor=agent)
    _send()
    back = Message.objects.filter(event_id__gt=0).order_by("-id")[: len(people) - 1]
    assert seen.phone not in {m.recipient for m in back}
    assert Alert.objects.filter(appointment=seen).count() == 1


def test_no_alerts_at_night(council, clinic, wall, demo_log):
    _, agent = make_staff(council, "agent")
    wall.at = wall.at.replace(hour=22)
    services.session_delay_set(session=clinic, delay_minutes=40, actor=agent)
    _send()
    assert not Alert.objects.exists()
    assert Message.objects.filter(template__startswith="appointment").count() == 0


def test_replies_late_cancel_ok_through_the_inbound_sms_webhook(council, clinic, wall, demo_log):
    _, agent = make_staff(council, "agent")
    services.session_delay_set(session=clinic, delay_minutes=40, actor=agent)
    first = Appointment.objects.filter(session=clinic, phone__gt="").order_by("queue_at")[0]
    notify = Client(headers={"authorization": "Bearer callback-token"})

    def text(number: str, message: str):
        return notify.post(
            "/api/notify/inbound-sms",
            {"source_number": "+44 " + number[1:], "message": message},
            content_type="application/json",
        )

    response = text(first.phone, "Late 20")
    assert response.status_code == 201, response.content
    assert response.json()["reply"] == "late"
    moved = Appointment.objects.get(pk=first.pk)
    assert moved.late_minutes == 20
    assert moved.queue_at > first.queue_at
    order = [row.number for row in desk_rows(session=Session.objects.get(pk=clinic.pk))]
    assert order.index(first.number) > 0

    second = Appointment.objects.filter(session=clinic, phone__gt="").order_by("queue_at")[1]
    assert text(second.phone, "CANCEL").json()["reply"] == "cancel"
    assert Appointment.objects.get(pk=second.pk).status == AppointmentStatus.CANCELLED
    third = Appointment.objects.filter(session=clinic, phone__gt="").order_by("queue_at")[2]
    assert text(third.phone, "ok").json()["reply"] == "ok"
    assert Appointment.objects.get(pk=third.pk).replies == 1
    assert Event.objects.filter(kind="appointments.reply").count() == 3
    # Any other text is not an appointment reply: the case path answers (nothing texted).
    assert text(third.phone, "Where is the clinic?").status_code == 404


def test_next_days_clean_up_leaves_no_personal_data(council, clinic, wall, demo_log):
    _, agent = make_staff(council, "agent")
    services.session_delay_set(session=clinic, delay_minutes=40, actor=agent)
    _send()
    sent = Message.objects.filter(template__startswith="appointment")
    assert sent.exists()
    wall.advance(hours=12)
    assert services.sessions_clean_up() == {"sessions": 0, "appointments": 0}
    wall.advance(hours=12)
    assert services.sessions_clean_up()["appointments"] == 18
    assert services.sessions_clean_up()["sessions"] == 0  # twice is harmless
    _send()
    for row in Appointment.objects.filter(session=clinic).values(
        "name", "phone", "email", "language", "external_id"
    ):
        assert set(row.values()) == {""}
    assert not Alert.objects.exists()
    for message in sent:
        assert message.recipient == "(removed)" and message.body_text == ""
    session = Session.objects.get(pk=clinic.pk)
    assert session.figures["appointments"] == 18
    assert session.figures["worst_delay_minutes"] == 40
    assert session.figures["no_shows"] == 18
    assert Event.objects.filter(kind="appointments.cleaned").count() == 1
