"""A service template's own texts in Welsh (ADR 63): names, groups, questions, answers and
states on the Welsh pages of the report, apply and track journeys; English where a template
has no Welsh."""

from __future__ import annotations

import copy

import pytest

from tests.factories import APPLICATION_TEMPLATE, REPORT_TEMPLATE, make_staff
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db

POTHOLE_CY = {
    "name": "Twll yn y ffordd",
    "group": "Ffyrdd",
    "fields": {
        "depth": {"label": "Pa mor ddwfn yw e?", "values": {"shallow": "Bas", "deep": "Dwfn"}}
    },
    "states": {"submitted": {"name": "Wedi'i gyflwyno"}, "in_progress": {"name": "Ar y gweill"}},
}
TRANSPORT_CY = {
    "name": "Cludiant i'r ysgol",
    "group": "Addysg",
    "fields": {
        "child_name": {"label": "Enw'r plentyn"},
        "sen": {"label": "Anghenion arbennig?", "values": {"yes": "Ie", "no": "Na"}},
    },
}


@pytest.fixture
def welsh_council(council):
    actor = Actor.system("tests")
    for english, welsh in ((REPORT_TEMPLATE, POTHOLE_CY), (APPLICATION_TEMPLATE, TRANSPORT_CY)):
        document = {**copy.deepcopy(english), "translations": {"cy": welsh}}
        template_publish(council=council, document=document, actor=actor)
    return council


def _welsh(client):
    client.cookies["django_language"] = "cy"
    return client


def test_the_report_journey_names_the_service_and_asks_in_welsh(client, welsh_council):
    page = _welsh(client).get("/report/testshire/").content.decode()
    assert "Twll yn y ffordd" in page and "Ffyrdd" in page
    assert "Pothole" not in page.split("<main", 1)[1]
    # The Welsh name finds it, and so does the English one.
    assert "Twll yn y ffordd" in client.get("/report/testshire/", {"q": "twll"}).content.decode()
    assert "Twll yn y ffordd" in client.get("/report/testshire/", {"q": "pothole"}).content.decode()
    form = client.get("/report/testshire/pothole/").content.decode()
    assert "Pa mor ddwfn yw e?" in form and "Dwfn" in form and "Bas" in form
    # A question the template has no Welsh for is still asked, in English.
    assert "Width in cm" in form


def test_english_pages_are_unchanged(client, welsh_council):
    page = client.get("/report/testshire/pothole/").content.decode()
    assert "Pothole" in page and "How deep?" in page and "Twll" not in page


def test_the_track_page_gives_the_status_in_welsh(client, welsh_council):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=welsh_council,
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        description="A deep pothole",
        reporter=Reporter(email="a@example.org"),
    )
    case_transition(case=case, to_state="in_progress", actor=make_staff(welsh_council, "agent")[1])
    page = _welsh(client).get(f"/track/{case.reference}").content.decode()
    assert "Ar y gweill" in page and "Twll yn y ffordd" in page


def test_an_application_asks_its_questions_in_welsh(client, welsh_council):
    _welsh(client)
    start = client.get("/apply/testshire/school_transport/").content.decode()
    assert "Cludiant i&#x27;r ysgol" in start
    draft = client.get(client.post("/apply/testshire/school_transport/")["Location"])
    question = client.get(draft["Location"]).content.decode()
    assert "Enw&#x27;r plentyn" in question
    response = client.post(draft["Location"], {"answer": "Sam", "action": "continue"})
    question = client.get(response["Location"]).content.decode()
    assert "Anghenion arbennig?" in question
    assert "Ie" in question and "Na" in question
