"""A phone number typed into a public report: hidden in the public copy, kept for staff, and
the resident told what was hidden (issue 19, ADR 201)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from townsquare.cases.models import Case
from townsquare.core.models import Event
from townsquare.staff.tests.conftest import sign_in
from townsquare.triage.models import PrivateOriginal

pytestmark = pytest.mark.django_db

FORM = "/report/testshire/pothole/"
SENT = "Big hole by the bus stop, call me on 07700 900123 if you need more"


def _answers(**overrides):
    answers = {
        "lat": "51.5",
        "lng": "-1.75",
        "place": "Outside 4 Mill Lane",
        "field-depth": "deep",
        "field-width_cm": "40",
        "field-seen_at": "2026-03-02 07:30",
        "description": SENT,
        "email": "",
        "phone": "",
        "name": "Cit Izen",
    }
    answers.update(overrides)
    return answers


def test_a_phone_number_is_hidden_from_the_public_and_kept_for_staff(client, council):
    from townsquare.accounts.services import user_ensure

    client.force_login(user_ensure(email="citizen@example.org", full_name="Cit Izen"))
    response = client.post(FORM, _answers())
    assert response.status_code == 303
    case = Case.objects.get()
    assert "07700" not in case.description
    assert case.description == (
        "Big hole by the bus stop, call me on [phone number removed] if you need more"
    )
    original = PrivateOriginal.objects.get(case=case)
    assert original.original == SENT and original.kinds == ["phone"]
    hidden = Event.objects.get(kind="triage.personal_data_hidden")
    assert hidden.visibility == "internal" and "07700" not in str(hidden.payload)

    done = client.get(response["Location"]).content.decode()
    assert "we hid these from the public copy" in done and "a phone number" in done
    public = client.get(f"/track/{case.reference}").content.decode()
    assert "[phone number removed]" in public and "07700" not in public
    # Another browser is not told (the notice is for the person who sent it).
    assert "a phone number" not in Client().get(response["Location"]).content.decode()

    user, _ = factories.make_staff_signed_in(council, "agent", None)
    staff = Client()
    sign_in(staff, user.email)
    page = staff.get(f"/staff/cases/{case.reference}").content.decode()
    assert "As sent, before personal data was hidden" in page and SENT in page


def test_a_report_without_personal_data_keeps_its_words(client, council):
    from townsquare.accounts.services import user_ensure

    client.force_login(user_ensure(email="citizen@example.org", full_name="Cit Izen"))
    client.post(FORM, _answers(description="Big hole by lamp post 23"))
    case = Case.objects.get()
    assert case.description == "Big hole by lamp post 23"
    assert not PrivateOriginal.objects.exists()
