"""The desk, the public boards and the figures, in process: what each shows and who may."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import STAFF_TOTP_SECRET, make_council, make_staff_signed_in
from townsquare.appointments.models import Appointment, AppointmentStatus, Session

pytestmark = pytest.mark.django_db


def _staff_client(user) -> Client:
    from django.contrib.auth import SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    from townsquare.core import clock
    from townsquare.staff.access import SEEN_AT, VERIFIED_AT

    session[VERIFIED_AT] = session[SEEN_AT] = clock.now().isoformat()
    session.save()
    assert SESSION_KEY in client.session and STAFF_TOTP_SECRET
    return client


def test_desk_sets_the_delay_checks_in_and_sees(council, clinic, wall):
    user, _ = make_staff_signed_in(council, "agent")
    client = _staff_client(user)
    desk = f"/staff/queues/{clinic.id}/"
    page = client.get(desk)
    assert page.status_code == 200
    assert b"Running 40 minutes late" in page.content and b"Ann Jones" in page.content
    assert client.get("/staff/queues/").status_code == 200
    response = client.post(f"{desk}delay", {"minutes": "40"})
    assert response.status_code == 302
    assert Session.objects.get(pk=clinic.id).delay_minutes == 40
    first = Appointment.objects.filter(session=clinic).order_by("number").first()
    client.post(f"{desk}appointments/{first.id}", {"action": "check_in"})
    client.post(f"{desk}appointments/{first.id}", {"action": "seen"})
    assert Appointment.objects.get(pk=first.id).status == AppointmentStatus.SEEN
    rows = client.get(f"{desk}?fragment=rows")
    assert b"Seen" in rows.content
    client.post(f"{desk}delay", {"action": "cancel"})
    assert Session.objects.get(pk=clinic.id).status == "cancelled"
    assert client.get("/staff/queues/figures").status_code == 200


def test_other_councils_desks_are_not_there(council, clinic, wall):
    other = make_council("otherton", prefix="OTH", bounds=(0.0, 51.0, 1.0, 52.0))
    user, _ = make_staff_signed_in(other, "council_admin", email="admin@otherton.test")
    client = _staff_client(user)
    assert client.get(f"/staff/queues/{clinic.id}/").status_code == 404
    assert client.post(f"/staff/queues/{clinic.id}/delay", {"minutes": "40"}).status_code == 404
    assert Session.objects.get(pk=clinic.id).delay_minutes == 0
    assert Client().get(f"/staff/queues/{clinic.id}/").status_code == 302


def test_public_board_shows_numbers_never_names(council, clinic, wall, client):
    from tests.factories import make_staff
    from townsquare.appointments import services

    services.session_delay_set(
        session=clinic, delay_minutes=40, actor=make_staff(council, "agent")[1]
    )
    listing = client.get("/queues/")
    assert listing.status_code == 200 and b"Central Health Clinic" in listing.content
    board = client.get(f"/queues/{clinic.id}/")
    assert board.status_code == 200
    assert b"Running 40 minutes late" in board.content
    assert b"101" in board.content and b"09:40" in board.content
    for name in Appointment.objects.values_list("name", flat=True):
        assert name.encode() not in board.content
    text = client.get(f"/queues/{clinic.id}/text")
    assert text["Content-Type"].startswith("text/plain")
    assert "Running 40 minutes late." in text.content.decode()
    assert "Number 101: expected at 09:40." in text.content.decode()
    client.cookies["django_language"] = "cy"
    welsh = client.get(f"/queues/{clinic.id}/", HTTP_ACCEPT_LANGUAGE="cy")
    assert "Clinig Iechyd Canolog" in welsh.content.decode()
    assert client.get("/queues/999999/").status_code == 404


def test_desk_books_one_appointment(council, clinic, wall):
    user, _ = make_staff_signed_in(council, "agent")
    client = _staff_client(user)
    url = f"/staff/queues/{clinic.id}/book"
    before = Appointment.objects.count()
    client.post(url, {"time": "9.99", "phone": "07700900999"})
    client.post(url, {"time": "11:05", "phone": "", "email": ""})
    assert Appointment.objects.count() == before
    response = client.post(
        url, {"time": "11:05", "phone": "07700 900999", "language": "cy", "name": "Walk In"}
    )
    assert response.status_code == 302
    booked = Appointment.objects.get(phone="07700900999")
    assert booked.language == "cy" and booked.scheduled_at.strftime("%H:%M") == "11:05"
