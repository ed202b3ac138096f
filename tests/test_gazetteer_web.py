"""The gazetteer in the citizen web (issue 12, items 4 and 5): the "where is the problem?" box on
/report/, street and postcode labels with their licence notice, and a report's place in
words on its track page instead of bare coordinates."""

from __future__ import annotations

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_create
from townsquare.councils.services import places_import_csv
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db

NOTICE = "Contains test data © Test Survey 2026"
STREETS = (
    "name,lat,lng,kind,area\n"
    "Mill Lane,51.5,-1.7501,street,Westbury AB1\n"
    "Mill Lane,51.5,-1.2501,street,Eastham AB2\n"
    "AB1 2CD,51.6,-1.6,postcode,West ward\n"
)


@pytest.fixture
def streets(council):
    places_import_csv(council=council, text=STREETS, attribution=NOTICE)
    return council


def test_report_asks_where_and_goes_to_the_council_of_the_place(client, streets):
    page = client.get("/report/").content.decode()
    assert 'name="where"' in page and "Enter a postcode or street" in page
    response = client.get("/report/", {"where": "ab1 2cd"})
    assert response.status_code == 302
    assert response["Location"] == "/report/testshire/?where=ab1+2cd"
    services = client.get(response["Location"]).content.decode()
    assert "near “ab1 2cd”" in services
    assert "/report/testshire/pothole/?q=ab1%202cd#where" in services
    form = client.get("/report/testshire/pothole/", {"q": "mill lane"}).content.decode()
    assert "Mill Lane, Eastham AB2" in form and "Mill Lane, Westbury AB1" in form
    assert NOTICE in form
    assert "For example, Mill Lane or AB1 2CD." in form


def test_report_where_says_what_is_wrong(client, streets, other_council):
    empty = client.get("/report/", {"where": "  "})
    assert empty.status_code == 400
    assert "Enter a postcode or the name of a street or place" in empty.content.decode()
    unknown = client.get("/report/", {"where": "Nowhere Road"}).content.decode()
    assert "We could not find “Nowhere Road”" in unknown
    places_import_csv(council=other_council, text="name,lat,lng\nMill Lane,51.5,0.5\n")
    several = client.get("/report/", {"where": "mill lane"})
    body = several.content.decode()
    assert several.status_code == 200
    assert "Mill Lane, Westbury AB1, in Testshire Council" in body
    assert "Mill Lane, in Otherton Council" in body
    assert "/report/otherton/?where=mill%20lane" in body and NOTICE in body


def test_places_json_gives_labels_and_the_licence_notice(client, streets):
    data = client.get("/places.json", {"q": "mill lane otley", "council": "testshire"}).json()
    assert [p["label"] for p in data["places"]] == [
        "Mill Lane, Eastham AB2",
        "Mill Lane, Westbury AB1",
    ]
    assert data["attributions"] == [NOTICE]
    assert (
        client.get("/places.json", {"q": "mill lane westbury"}).json()["places"][0]["label"]
        == "Mill Lane, Westbury AB1"
    )


def test_the_track_page_says_where_in_words_not_coordinates(client, streets):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        address="Outside number 4",
    )
    assert case.place_in_words == "Mill Lane, Westbury AB1"
    body = client.get(f"/track/{case.reference}").content.decode()
    assert "Mill Lane, Westbury AB1<br>Outside number 4" in body
    assert "Where it is in Testshire Council: Mill Lane, Westbury AB1." in body
    assert NOTICE in body
    assert "51.50000" not in body and "latitude" not in body
    summary = client.get(f"/track/{case.reference}", {"fragment": "summary"}).content.decode()
    assert "Mill Lane, Westbury AB1" in summary


def test_reports_made_before_are_put_in_words_when_shown(client, streets):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.25),
        values={"depth": "deep"},
    )
    Case.objects.filter(id=case.id).update(place_in_words="")  # as bulk imports leave them
    body = client.get(f"/track/{case.reference}").content.decode()
    assert "Mill Lane, Eastham AB2" in body


def test_without_a_gazetteer_the_track_page_keeps_the_coordinates(client, council):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
    )
    body = client.get(f"/track/{case.reference}").content.decode()
    assert "51.50000, -1.75000" in body and "latitude 51.5" in body


def test_a_report_keeps_its_place_in_words_and_an_application_none(council):
    places_import_csv(
        council=council, text="name,lat,lng,kind,area\nMill Lane,51.5,-1.7501,street,Westbury AB1\n"
    )
    report = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
    )
    assert report.place_in_words == "Mill Lane, Westbury AB1"
    by_ward = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=council,
        area_id=council.areas.get(name="West ward").id,
        address="By the pond",
        values={"depth": "deep"},
    )
    assert by_ward.place_in_words == ""  # drawn inside its ward: the words would mislead
    application = case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=council,
        values={"child_name": "Sam", "sen": "no"},
    )
    assert application.place_in_words == ""


# Where, in words, on every page and in English and Welsh (issue 12, item 4).

POSTCODES_ONLY = "name,lat,lng,kind,area\nAB1 2CD,51.5,-1.7501,postcode,West ward\n"


def test_the_postcode_form_of_the_words_is_worded_for_the_language():
    from django.utils import translation

    from townsquare.councils.selectors import place_for_people, place_in_words_translated

    with translation.override("cy"):
        assert (
            place_in_words_translated("near BS1 5TR, Central ward") == "ger BS1 5TR, ward Central"
        )
        assert place_in_words_translated("near BS1 5TR") == "ger BS1 5TR"
        assert place_in_words_translated("Kirkstall Road, Leeds LS4") == "Kirkstall Road, Leeds LS4"
    with translation.override("en"):
        assert (
            place_in_words_translated("near BS1 5TR, Central ward") == "near BS1 5TR, Central ward"
        )
    assert place_for_people(words="Mill Lane, Westbury AB1", address="By the pond") == (
        "Mill Lane, Westbury AB1 (By the pond)"
    )
    assert place_for_people(words="Mill Lane", address="Mill Lane, outside 4") == (
        "Mill Lane, outside 4"
    )
    assert place_for_people(words="", address="By the pond") == "By the pond"
    assert place_for_people(words="near AB1 2CD", address="") == "near AB1 2CD"


def test_welsh_track_page_says_where_in_welsh(client, council):
    places_import_csv(council=council, text=POSTCODES_ONLY)
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        address="By the pond",
    )
    assert case.place_in_words == "near AB1 2CD, West ward"
    client.cookies["django_language"] = "cy"
    body = client.get(f"/track/{case.reference}").content.decode()
    assert "ger AB1 2CD, ward West" in body and "near AB1 2CD" not in body
    client.cookies["django_language"] = "en"
    assert "near AB1 2CD, West ward" in client.get(f"/track/{case.reference}").content.decode()


def test_staff_see_the_words_on_the_case_and_in_the_queue_with_the_coordinates(council):
    from django.test import Client

    from tests import factories
    from townsquare.staff.tests.conftest import sign_in

    places_import_csv(council=council, text=STREETS, attribution=NOTICE)
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        address="By the pond",
    )
    user, _ = factories.make_staff_signed_in(council, "agent")
    staff = Client()
    sign_in(staff, user.email)
    page = staff.get(f"/staff/cases/{case.reference}").content.decode()
    assert "Mill Lane, Westbury AB1" in page and "Reporter's words: By the pond" in page
    assert "51.50000, -1.75000" in page  # the coordinates stay for staff
    assert "West ward ward" not in page
    queue = staff.get("/staff/cases/").content.decode()
    assert "Mill Lane, Westbury AB1 (By the pond)" in queue
