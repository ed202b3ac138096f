"""A real Open311 client nobody here wrote reads our endpoint: `georeport` from PyPI.

OPEN311.md, "How it is checked": "the `georeport` client from PyPI reads our endpoint in
tests". georeport (a thin wrapper over `requests` and `xmltodict`) supports both formats,
chosen with `output_format`, and only reads: service list, service definition, request search
and one request (it has no create). Every read is made here against pytest-django's
`live_server` in JSON and in XML, with and without a jurisdiction, and what the client hands
back is checked against the seeded data; the XML answers, read the way georeport reads them,
must carry the same values as the JSON ones.

georeport quirks that are the client's, not the server's (xmltodict turns one child into a dict
instead of a list, and an empty element into None), are absorbed by `as_list` / `text` below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from georeport import GeoReport

from tests.factories import make_staff
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db(transaction=True)

FORMATS = ("json", "xml")
JURISDICTION = "testshire.gov.uk"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
}


def as_list(value: Any) -> list[Any]:
    """xmltodict gives a dict for a single child element and None for an empty list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(value: Any) -> str:
    """A JSON value as XML text (how georeport hands XML values back): booleans as true/false,
    empty strings as None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@pytest.fixture
def seeded(council) -> dict[str, Any]:
    staff = make_staff(council, "supervisor")[1]
    reporter = Reporter(email="resident@example.org")
    open_case = case_create(
        service_code="pothole",
        actor=staff,
        council=council,
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        description="Ünïcödé — a deep pothole",
        address="1 High Street",
        postcode="TS1 1AA",
        reporter=reporter,
    )
    closed_case = case_create(
        service_code="pothole",
        actor=staff,
        council=council,
        point=Point(51.25, -1.75),
        values={"depth": "shallow"},
        description="Shallow pothole",
        reporter=reporter,
    )
    case_transition(case=closed_case, to_state="fixed", actor=staff, message="Filled in")
    return {"open": open_case.reference, "closed": closed_case.reference}


@pytest.fixture(params=FORMATS)
def fmt(request) -> str:
    return request.param


@pytest.fixture
def client(live_server, fmt) -> GeoReport:
    return GeoReport(f"{live_server.url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)


def test_service_list(client, council):
    services = as_list(client.get_service_list())
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"pothole"}, "private services are never listed"
    pothole = by_code["pothole"]
    assert pothole["service_name"] == "Pothole"
    assert pothole["description"] == "A hole in the road."
    assert text(pothole["metadata"]) == "true"
    assert pothole["type"] == "realtime"
    assert pothole["group"] == "Roads"


def test_service_list_without_jurisdiction(live_server, council, fmt):
    client = GeoReport(f"{live_server.url}/open311/v2/", output_format=fmt)
    assert [s["service_code"] for s in as_list(client.get_service_list())] == ["pothole"]


def test_service_definition(client, council):
    definition = client.get_service_definition("pothole")
    assert definition["service_code"] == "pothole"
    attributes = definition["attributes"]
    if client.output_format == "xml":
        attributes = as_list(attributes["attribute"])
    by_code = {a["code"]: a for a in attributes}
    assert list(by_code) == ["depth", "width_cm", "hazards", "seen_at"]
    depth = by_code["depth"]
    assert depth["datatype"] == "singlevaluelist"
    assert text(depth["required"]) == "true"
    assert text(depth["variable"]) == "true"
    assert str(depth["order"]) == "1"
    values = depth["values"]
    if client.output_format == "xml":
        values = as_list(values["value"])
    assert [(v["key"], v["name"]) for v in values] == [("shallow", "Shallow"), ("deep", "Deep")]


def test_unknown_service_definition_is_a_404(client, council):
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("no-such-service")
    assert raised.value.response.status_code == 404


def test_request_search(client, seeded):
    found = {r["service_request_id"]: r for r in as_list(client.get_service_requests())}
    assert set(found) == {seeded["open"], seeded["closed"]}
    for item in found.values():
        assert set(item) >= REQUEST_FIELDS, REQUEST_FIELDS - set(item)
        assert item["service_code"] == "pothole"
        assert item["agency_responsible"] == "Testshire Council"
    assert found[seeded["open"]]["status"] == "open"
    assert found[seeded["open"]]["description"] == "Ünïcödé — a deep pothole"
    assert found[seeded["open"]]["address"] == "1 High Street"
    assert found[seeded["open"]]["zipcode"] == "TS1 1AA"
    assert float(found[seeded["open"]]["lat"]) == 51.5
    assert float(found[seeded["open"]]["long"]) == -1.5
    assert found[seeded["closed"]]["status"] == "closed"
    assert found[seeded["closed"]]["status_notes"] == "Filled in"


def test_request_search_filters(client, seeded):
    now = dt.datetime.now(dt.UTC)
    window = {
        "start_date": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }
    open_only = as_list(
        client.get_service_requests(status="open", service_code="pothole", **window)
    )
    assert [r["service_request_id"] for r in open_only] == [seeded["open"]]
    closed_only = as_list(client.get_service_requests(status="closed"))
    assert [r["service_request_id"] for r in closed_only] == [seeded["closed"]]
    both = as_list(
        client.get_service_requests(service_request_id=f"{seeded['open']},{seeded['closed']}")
    )
    assert {r["service_request_id"] for r in both} == {seeded["open"], seeded["closed"]}


def test_one_request(client, seeded):
    item = client.get_service_request(seeded["open"])
    assert isinstance(item, dict), "one request, not a list"
    assert item["service_request_id"] == seeded["open"]
    assert set(item) >= REQUEST_FIELDS
    assert item["status"] == "open"


def test_unknown_request_is_a_404(client, seeded):
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_request("TST-00-999999")
    assert raised.value.response.status_code == 404


def test_xml_and_json_carry_the_same_values(live_server, seeded):
    root = f"{live_server.url}/open311/v2"
    as_json = GeoReport(root, jurisdiction=JURISDICTION, output_format="json")
    as_xml = GeoReport(root, jurisdiction=JURISDICTION, output_format="xml")

    assert [{k: text(v) for k, v in s.items()} for s in as_json.get_service_list()] == [
        {k: text(v) for k, v in s.items()} for s in as_list(as_xml.get_service_list())
    ]
    for reference in seeded.values():
        from_json = as_json.get_service_request(reference)
        from_xml = as_xml.get_service_request(reference)
        assert {k: text(v) for k, v in from_json.items()} == {
            k: text(v) for k, v in from_xml.items()
        }
