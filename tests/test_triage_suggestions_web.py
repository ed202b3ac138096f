"""The report page suggests problems from the resident's own words: as they type (the page's
script calls the JSON endpoint) and, without JavaScript, after they send the description."""

from __future__ import annotations

import pytest

from tests.test_triage_category import small_model
from townsquare.triage.training import model_save

pytestmark = pytest.mark.django_db

PAGE = "/report/testshire/"


@pytest.fixture
def trained(settings, tmp_path):
    settings.TRIAGE_MODEL_DIR = tmp_path
    model_save(small_model())


def test_without_javascript_the_description_is_sent_and_suggestions_come_back(
    client, council, trained
):
    body = client.get(PAGE, {"describe": "Huge pothole in the road by the school"}).content
    body = body.decode()
    assert "Likeliest problems" in body
    first = body.split('id="suggested"', 1)[1].split("</ul>", 1)[0]
    assert "/report/testshire/pothole/?description=Huge+pothole" in first
    assert "Because you wrote:" in first and "pothole" in first
    form = client.get("/report/testshire/pothole/?description=Huge+pothole+by+the+school")
    assert "Huge pothole by the school</textarea>" in form.content.decode()


def test_the_json_endpoint_gives_the_top_three_with_reasons(client, council, trained):
    answer = client.get("/report/testshire/suggestions.json", {"text": "deep pothole"}).json()
    suggestions = answer["suggestions"]
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0]["code"] == "pothole" and "pothole" in suggestions[0]["words"]
    assert client.get("/report/testshire/suggestions.json").json() == {"suggestions": []}
    assert client.get("/report/nowhere/suggestions.json").status_code == 404


def test_without_a_model_the_page_works_and_suggests_nothing(client, council, settings, tmp_path):
    settings.TRIAGE_MODEL_DIR = tmp_path
    body = client.get(PAGE, {"describe": "pothole"}).content.decode()
    assert "We cannot suggest a problem from that" in body
    assert client.get("/report/testshire/suggestions.json?text=pothole").json() == {
        "suggestions": []
    }


def test_welsh(client, council, trained):
    body = client.get(PAGE, {"describe": "pothole"}, HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    assert "Y problemau mwyaf tebygol" in body or "Neu disgrifiwch" in body
