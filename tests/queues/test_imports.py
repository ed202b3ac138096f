"""Appointments from CSV and from FHIR Appointment resources: every row stored, or none with
each refused row and its reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_staff, make_staff_signed_in
from tests.queues.test_pages import _staff_client
from townsquare.appointments.imports import parse_csv, parse_fhir
from townsquare.appointments.models import Appointment
from townsquare.appointments.services import appointments_add
from townsquare.core.errors import InvalidInput

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def _patient_appointment(ident: str, start: str, *, phone="07700900555", language="cy", **extra):
    return {
        "resourceType": "Appointment",
        "id": ident,
        "status": "booked",
        "start": start,
        "end": start,
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "name": [{"given": ["Siân"], "family": "Roberts"}],
                "telecom": [{"system": "phone", "use": "mobile", "value": phone}],
                "communication": [
                    {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]}}
                ],
            }
        ],
        "participant": [{"actor": {"reference": "#p"}, "status": "accepted"}],
        **extra,
    }


def test_csv_all_or_nothing_with_each_rows_reason(council, clinic, wall):
    agent = make_staff(council, "agent")[1]
    before = Appointment.objects.count()
    bad = (
        "time,phone,email,language,name,number\n"
        "11:00,07700900201,,en,Ann,301\n"
        "half past,07700900202,,en,Bob,302\n"
        "11:20,,,en,Cat,303\n"
        "11:30,07700900204,,fr,Dee,304\n"
        "23:30,07700900205,,en,Eve,305\n"
    )
    parsed = parse_csv(bad, day=DAY)
    with pytest.raises(InvalidInput) as refused:
        appointments_add(
            session=clinic,
            items=parsed.items,
            labels=parsed.labels,
            refused=parsed.refused,
            actor=agent,
        )
    assert set(refused.value.errors) == {"row 3", "row 4", "row 5", "row 6"}
    assert "mobile number or an email" in refused.value.errors["row 4"][0]
    assert "outside the session" in refused.value.errors["row 6"][0]
    assert Appointment.objects.count() == before

    good = "time,phone,language,name\n11:00,07700 900201,cy,Ann\n11:10,07700900202,en,Bob\n"
    parsed = parse_csv(good, day=DAY)
    added = appointments_add(session=clinic, items=parsed.items, labels=parsed.labels, actor=agent)
    assert [a.language for a in added] == ["cy", "en"]
    assert Appointment.objects.count() == before + 2


def test_fhir_bundle_read_with_the_fhir_library_refused_row_by_row(council, clinic, wall):
    agent = make_staff(council, "agent")[1]
    good = _patient_appointment("a1", "2026-03-10T11:00:00+00:00", identifier=[{"value": "401"}])
    wrong_type = {"resourceType": "Patient", "id": "x"}
    malformed = _patient_appointment("a3", "not a time")
    no_contact = _patient_appointment("a4", "2026-03-10T11:20:00+00:00", phone="")
    no_contact["contained"][0]["telecom"] = []
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (good, wrong_type, malformed, no_contact)],
    }
    parsed = parse_fhir(json.dumps(bundle))
    assert set(parsed.refused) == {"entry 2", "entry 3"}
    assert any("start" in reason for reason in parsed.refused["entry 3"])
    before = Appointment.objects.count()
    with pytest.raises(InvalidInput) as refused:
        appointments_add(
            session=clinic,
            items=parsed.items,
            labels=parsed.labels,
            refused=parsed.refused,
            actor=agent,
        )
    assert set(refused.value.errors) == {"entry 2", "entry 3", "entry 4"}
    assert Appointment.objects.count() == before

    parsed = parse_fhir(json.dumps(good))
    [added] = appointments_add(
        session=clinic, items=parsed.items, labels=parsed.labels, actor=agent
    )
    assert (added.number, added.language, added.phone, added.name) == (
        401,
        "cy",
        "07700900555",
        "Siân Roberts",
    )
    assert added.external_id == "a1"


def test_import_page_lists_refused_rows_and_adds_nothing(council, clinic, wall):
    user, _ = make_staff_signed_in(council, "agent")
    client = _staff_client(user)
    url = f"/staff/queues/{clinic.id}/import"
    assert client.get(url).status_code == 200
    before = Appointment.objects.count()
    upload = SimpleUploadedFile("day.csv", b"time,phone\n11:00,07700900301\nsoon,07700900302\n")
    page = client.post(url, {"file": upload})
    assert page.status_code == 400
    assert b"row 3" in page.content and b"Nothing was added" in page.content
    assert Appointment.objects.count() == before
    upload = SimpleUploadedFile("day.csv", b"time,phone\n11:00,07700900301\n11:10,07700900302\n")
    assert client.post(url, {"file": upload}).status_code == 302
    assert Appointment.objects.count() == before + 2
