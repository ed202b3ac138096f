from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_councils_and_their_services_by_group(client, council, other_council):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Testshire Council" in body and "Otherton Council" in body
    assert 'href="/council/testshire/"' in body and 'href="/apply/otherton/"' in body
    assert '<html lang="en' in body
    for entry in ("Report a problem", "Apply for a service", "Track a request", "My requests"):
        assert f">{entry}</a></h2>" in body


def test_a_council_home_lists_its_services_by_group(client, council):
    body = client.get("/council/testshire/").content.decode()
    assert "Testshire Council" in body and "Roads" in body
    assert 'href="/report/testshire/pothole/"' in body
    assert 'href="/apply/testshire/school_transport/"' in body
    assert client.get("/council/nowhere/").status_code == 404


@pytest.mark.parametrize(
    "query, where",
    [
        ("testshire", "/council/testshire/"),
        ("West ward", None),
        ("TESTSHIRE council", "/council/testshire/"),
    ],
)
def test_find_your_council_by_name_or_ward(client, council, other_council, query, where):
    response = client.get("/find-your-council", {"q": query})
    if where:
        assert response.status_code == 302 and response["Location"] == where
    else:
        body = response.content.decode()
        assert 'href="/council/testshire/"' in body


def test_find_your_council_explains_what_it_could_not_find(client, council):
    body = client.get("/find-your-council", {"q": "Atlantis <script>"}).content.decode()
    assert "We could not find a council or ward with that name" in body
    assert "<script>" not in body
    assert client.get("/find-your-council", {"q": ""}).status_code == 400


def test_home_has_a_helpful_empty_state(client):
    response = client.get("/")
    assert "No councils are set up yet" in response.content.decode()


def test_health_check(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_unsupported_method_is_refused(client):
    assert client.post("/").status_code == 405


def test_find_your_council_by_street_or_postcode_from_the_gazetteer(client, council, other_council):
    from townsquare.councils.services import places_import_csv

    places_import_csv(
        council=council,
        text="name,lat,lng,kind\nMill Lane,51.5,-1.75,street\nTS1 4AB,51.4,-1.2,postcode\n",
    )
    for query in ("Mill Lane", "ts1 4ab"):
        response = client.get("/find-your-council", {"q": query})
        assert response.status_code == 302 and response["Location"] == "/council/testshire/"
    # A ward name both councils have: both are offered.
    body = client.get("/find-your-council", {"q": "East ward"}).content.decode()
    assert "East ward (ward), in Testshire Council" in body
    assert "East ward (ward), in Otherton Council" in body
    body = client.get("/find-your-council", {"q": "ZZ9 9ZZ"}).content.decode()
    assert "We could not place that postcode" in body
