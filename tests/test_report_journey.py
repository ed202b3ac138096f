"""Report a problem without JavaScript: choose the council and the problem, fill in one form,
get a reference, then track it."""

from __future__ import annotations

import re

import pytest

from townsquare.cases.models import Case
from townsquare.messaging.models import Message

pytestmark = pytest.mark.django_db

FORM = "/report/testshire/pothole/"


def _answers(**overrides):
    answers = {
        "lat": "51.5",
        "lng": "-1.75",
        "area": "",
        "place": "Outside 4 Mill Lane",
        "field-depth": "deep",
        "field-width_cm": "40",
        "field-hazards": ["cyclists", "cars"],
        "field-seen_at": "2026-03-02 07:30",
        "description": "Big hole by the bus stop",
        "email": "pat@example.org",
        "phone": "",
        "name": "Pat Resident",
        "name_public": "yes",
    }
    answers.update(overrides)
    return answers


def _error_summary(body: str) -> list[tuple[str, str]]:
    summary = body.split('govuk-error-summary__list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary)


def test_the_whole_journey_from_council_to_tracking(client, council):
    start = client.get("/report/")
    assert start.status_code == 200
    assert 'href="/report/testshire/"' in start.content.decode()

    choose = client.get("/report/testshire/")
    body = choose.content.decode()
    assert choose.status_code == 200
    assert "What is the problem?" in body and '<h2 class="govuk-heading-m">Roads</h2>' in body
    assert f'href="{FORM}"' in body

    form = client.get(FORM)
    body = form.content.decode()
    assert form.status_code == 200
    assert "csrfmiddlewaretoken" in body
    assert 'type="radio"' in body and 'value="deep"' in body  # singlevaluelist
    assert 'type="checkbox" value="cyclists"' in body  # multivaluelist
    assert 'inputmode="decimal"' in body and "A number from 1 to 1000." in body
    assert "24-hour clock" in body  # datetime hint
    assert "West ward" in body and "East ward" in body
    assert "Describe where it is" in body and "Show my name publicly" in body

    west = council.areas.get(name="West ward")
    response = client.post(FORM, _answers(area=str(west.id), lat="", lng=""))
    assert response.status_code == 303
    case = Case.objects.get()
    assert response["Location"].startswith("/report/check-email/")
    assert case.address == "Outside 4 Mill Lane" and case.area_id == west.id
    assert case.location_approximate and case.channel == "web"
    assert case.values == {
        "depth": "deep",
        "width_cm": 40,
        "hazards": ["cyclists", "cars"],
        "seen_at": "2026-03-02T07:30:00Z",
    }
    assert case.reporter_email == "pat@example.org" and case.reporter_name_public
    # Not public until the email address is confirmed.
    assert case.awaiting_confirmation and not case.is_public
    assert client.get(f"/track/{case.reference}").status_code == 404
    check = client.get(response["Location"]).content.decode()
    assert "Check your email" in check and "p***@example.org" in check
    assert case.reference in check and "will not be shown publicly" in check
    # Queued in the outbox for the reporter (tests/test_report_more.py sees it arrive).
    message = Message.objects.get(template="report_confirm")
    assert message.recipient == "pat@example.org" and case.reference in message.subject
    link = message.secret_link.removeprefix("http://testserver")
    assert link.startswith("/report/confirm/")

    response = client.get(link)
    assert response.status_code == 303
    assert response["Location"] == f"/report/done/{case.reference}?confirmed=1"
    case.refresh_from_db()
    assert case.is_public and not case.awaiting_confirmation
    assert client.get(link).status_code == 303  # following it twice is harmless
    assert "Email address confirmed" in client.get(response["Location"]).content.decode()

    done = client.get(f"/report/done/{case.reference}")
    body = done.content.decode()
    assert done.status_code == 200
    assert "govuk-panel--confirmation" in body and case.reference in body
    assert "What happens next" in body and "within 5 working days" in body  # close_hours 120
    assert f'href="/track/{case.reference}"' in body

    track = client.get(f"/track/{case.reference}")
    assert track.status_code == 200
    assert "Outside 4 Mill Lane" in track.content.decode()
    assert "pat@example.org" not in track.content.decode()


def test_a_phone_number_alone_is_enough_and_is_public_at_once(client, council):
    west = council.areas.get(name="West ward")
    response = client.post(
        FORM, _answers(email="", phone="01632 960 001", name="", area=str(west.id), lat="", lng="")
    )
    assert response.status_code == 303
    case = Case.objects.get()
    assert response["Location"] == f"/report/done/{case.reference}"
    assert case.reporter_phone == "01632960001" and case.is_public
    assert not Message.objects.filter(template="report_confirm").exists()


def test_a_missing_required_answer_and_place_are_listed_and_what_was_typed_kept(client, council):
    response = client.post(FORM, _answers(**{"field-depth": "", "place": "", "lat": "", "lng": ""}))
    body = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: " in body
    assert "There is a problem" in body
    assert _error_summary(body) == [
        (
            "area",
            "Show where the problem is: search for a street or place, or select the ward",
        ),
        ("place", "Describe where the problem is, for example Outside 4 Mill Lane"),
        ("field-depth", "Select an answer for “How deep?”"),
    ]
    # With JavaScript the map is shown (map.js says so in `map_shown`): the pin is one way.
    shown = client.post(
        FORM, _answers(**{"place": "", "lat": "", "lng": "", "map_shown": "yes"})
    ).content.decode()
    assert (
        "Show where the problem is: place a pin on the map, search for a street or place, "
        "or select the ward" in shown
    )
    assert 'id="field-depth-error"' in body and "govuk-form-group--error" in body
    assert 'value="pat@example.org"' in body and "Big hole by the bus stop" in body
    assert 'value="cyclists" checked' in body and 'value="40"' in body
    assert not Case.objects.exists()


def test_an_empty_form_lists_every_problem(client, council):
    response = client.post(FORM, {})
    assert response.status_code == 400
    targets = [target for target, _message in _error_summary(response.content.decode())]
    assert targets == ["area", "place", "field-depth", "email"]


def test_a_value_not_in_the_list_is_refused(client, council):
    response = client.post(
        FORM, _answers(**{"field-depth": "bottomless", "field-hazards": ["cyclists", "tanks"]})
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert _error_summary(body) == [
        # a list's error links to its first option, which has the field's id
        ("field-depth", "Select one of the answers listed for “How deep?”"),
        ("field-hazards", "Select only answers listed for “Hazards”"),
    ]
    assert 'id="field-depth-error"' in body and 'id="field-hazards-error"' in body
    assert not Case.objects.exists()


def test_numbers_and_dates_are_checked(client, council):
    response = client.post(FORM, _answers(**{"field-width_cm": "5000", "field-seen_at": "soon"}))
    assert response.status_code == 400
    assert _error_summary(response.content.decode()) == [
        ("field-width_cm", "“Width in cm” must be 1000 or less"),
        (
            "field-seen_at",
            "Enter “When did you see it?” as a date and time, for example 2026-03-02 07:30",
        ),
    ]


def test_no_way_to_contact_is_refused(client, council):
    response = client.post(FORM, _answers(email="", phone=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert dict(_error_summary(body)) == {
        "email": "Enter an email address or a phone number so the council can contact you "
        "about this report"
    }
    assert 'id="email-error"' in body


def test_a_bad_email_address_is_refused(client, council):
    response = client.post(FORM, _answers(email="not-an-address"))
    assert response.status_code == 400
    assert dict(_error_summary(response.content.decode()))["email"].startswith(
        "Enter an email address in the correct format"
    )


def test_over_long_text_is_refused(client, council):
    response = client.post(FORM, _answers(description="x" * 4001))
    body = response.content.decode()
    assert response.status_code == 400
    assert "must be 4000 characters or fewer" in dict(_error_summary(body))["description"]
    assert 'id="description-error"' in body
    response = client.post(FORM, _answers(place="y" * 301))
    assert (
        "must be 300 characters or fewer"
        in dict(_error_summary(response.content.decode()))["place"]
    )
    assert not Case.objects.exists()


def test_hostile_input_is_shown_escaped(client, council):
    hostile = "<script>alert(1)</script>"
    response = client.post(
        FORM, _answers(description=hostile, place=hostile, email="", **{"field-depth": hostile})
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body

    response = client.post(
        FORM, _answers(description=hostile, place=hostile, email="", phone="01632 960 001")
    )
    assert response.status_code == 303
    track = client.get(f"/track/{Case.objects.get().reference}").content.decode()
    assert "<script>alert(1)</script>" not in track
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in track


def test_a_private_service_is_not_offered(client, council):
    body = client.get("/report/testshire/").content.decode()
    assert "School transport" not in body and "school_transport" not in body
    assert client.get("/report/testshire/school_transport/").status_code == 404
    assert (
        client.post(
            "/report/testshire/school_transport/", {"place": "x", "email": "a@example.org"}
        ).status_code
        == 404
    )
    assert not Case.objects.exists()


def test_unknown_council_service_and_reference_are_not_found(client, council):
    assert client.get("/report/nowhere/").status_code == 404
    assert client.get("/report/testshire/no_such_thing/").status_code == 404
    assert client.get("/report/done/TST-26-999999").status_code == 404


def test_the_form_is_protected_against_cross_site_requests(council):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(FORM, _answers()).status_code == 403
    assert not Case.objects.exists()


def test_home_and_footer_link_to_the_journey(client, council):
    body = client.get("/").content.decode()
    assert 'href="/report/testshire/"' in body
    assert 'href="/report/"' in body


def test_problems_can_be_searched_without_javascript(client, council):
    body = client.get("/report/testshire/?q=POT").content.decode()
    assert f'href="{FORM}"' in body and "Problems matching “POT”" in body
    body = client.get("/report/testshire/?q=zebra").content.decode()
    assert f'href="{FORM}"' not in body and "No problems match “zebra”" in body
    assert "Show all problems" in body


def test_a_date_question_on_the_report_form(client, council):
    from tests import factories
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    template_publish(
        council=council,
        actor=Actor.system("tests"),
        document=factories.template(
            code="dumped",
            name="Dumped rubbish",
            fields=[
                {
                    "code": "first_seen",
                    "label": "When did you first see it",
                    "datatype": "date",
                    "required": True,
                    "order": 1,
                    "latest": "today",
                },
            ],
        ),
    )
    form = "/report/testshire/dumped/"
    page = client.get(form).content.decode()
    assert 'class="govuk-date-input" id="field-first_seen"' in page
    assert 'name="field-first_seen-year"' in page
    posted = {
        "lat": "51.5",
        "lng": "-1.75",
        "place": "Behind the shops",
        "email": "pat@example.org",
        "field-first_seen-day": "3",
        "field-first_seen-month": "",
        "field-first_seen-year": "2026",
    }
    refused = client.post(form, posted)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert _error_summary(body) == [
        ("field-first_seen-month", "When did you first see it must include a month")
    ]
    assert re.findall(r'govuk-input--error" id="([\w-]+)"', body) == ["field-first_seen-month"]
    accepted = client.post(form, {**posted, "field-first_seen-month": "2"})
    assert accepted.status_code in (302, 303), accepted.content.decode()[:2000]
    assert Case.objects.get(service__code="dumped").values == {"first_seen": "2026-02-03"}
