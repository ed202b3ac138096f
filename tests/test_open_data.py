"""The open data export: anonymised, streamed, safe in spreadsheets."""

from __future__ import annotations

import csv
import io
import json

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(council, other_council):
    made = []
    for point in (Point(51.5, -1.5), Point(51.5, 0.5)):  # one in each council
        made.append(
            case_create(
                service_code="pothole",
                actor=Principal.anonymous(),
                point=point,
                values={"depth": "deep"},
                address='=HYPERLINK("http://evil")',
                description="Call Pat on 07700 900123",
                reporter=Reporter(email="pat@example.org", name="Pat Private", phone="07700900123"),
            )
        )
    case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=council,
        values={"child_name": "Sam", "sen": "no"},
    )
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.4, -1.4),
        values={"depth": "deep"},
        is_test=True,
    )
    return made


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_csv_has_the_dictionary_columns_and_no_personal_or_private_data(client, cases):
    response = client.get("/open-data/all.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = body(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reference"] for r in rows] == [c.reference for c in cases]
    for secret in ("Pat", "07700", "pat@example.org", "Sam", "school_transport"):
        assert secret not in text
    assert rows[0]["ward"] == "East ward" and rows[0]["status"] == "open"
    assert rows[0]["location_approximate"] == "false"


def test_formula_cells_are_neutralised():
    from townsquare.opendata.exports import _csv_cell

    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert _csv_cell(dangerous) == "'" + dangerous
    assert _csv_cell("Mill Lane") == "Mill Lane" and _csv_cell(3) == 3


def test_geojson_and_json_lines(client, cases, council):
    collection = json.loads(body(client.get(f"/open-data/{council.slug}.geojson")))
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-1.5, 51.5]}
    assert feature["properties"]["council"] == council.slug
    lines = body(client.get("/open-data/all.jsonl")).splitlines()
    assert [json.loads(line)["reference"] for line in lines] == [c.reference for c in cases]


def test_unknown_council_or_format_is_404_and_the_index_lists_downloads(client, cases):
    assert client.get("/open-data/atlantis.csv").status_code == 404
    assert client.get("/open-data/all.xlsx").status_code == 404
    page = client.get("/open-data/").content.decode()
    assert "all.csv" in page and "testshire.geojson" in page and "support_count" in page


def test_a_service_name_that_looks_like_a_formula_arrives_as_text(client, council):
    from tests.factories import template
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    template_publish(
        council=council, document=template(name="=cmd|' /C calc'!A0"), actor=Actor.system()
    )
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    [row] = list(csv.DictReader(io.StringIO(body(client.get("/open-data/all.csv")))))
    assert row["service_name"] == "'=cmd|' /C calc'!A0"
