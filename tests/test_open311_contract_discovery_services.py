"""Open311 contract: discovery, service list and service definitions (OPEN311.md, operations
table rows 1-3, "Service list extras", and the JSON/XML output decisions)."""

from __future__ import annotations

import pytest

from tests.factories import template
from tests.open311_support import (
    CONTENT_TYPES,
    DATETIME,
    DISCOVERY,
    FORMATS,
    XML_DECLARATION,
    assert_error,
    body,
    get,
    ok,
    xml_root,
)
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = pytest.mark.django_db

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def publish(council, **overrides):
    template_publish(council=council, document=template(**overrides), actor=Actor.system())


def services(client, fmt="json", **params):
    return ok(get(client, "services", fmt, **params), fmt)


def by_code(items):
    return {item["service_code"]: item for item in items}


# ---- discovery -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_production_and_test_endpoints(client, council, fmt):
    data = body(client.get(f"{DISCOVERY}.{fmt}"), fmt)
    assert set(data) >= {"changeset", "contact", "key_service", "endpoints"}
    assert DATETIME.match(data["changeset"]), data["changeset"]
    assert data["contact"].strip(), "discovery must name a contact"
    assert data["key_service"].strip(), "discovery must say how to get an API key"
    endpoints = data["endpoints"]
    assert isinstance(endpoints, list) and len(endpoints) >= 2
    assert {endpoint["type"] for endpoint in endpoints} >= {"production", "test"}
    for endpoint in endpoints:
        assert endpoint["specification"] == SPECIFICATION
        assert endpoint["url"].startswith(("http://", "https://")), endpoint["url"]
        assert DATETIME.match(endpoint["changeset"]), endpoint
        # The spec's example lists MIME types; clients pick the suffix from them.
        assert isinstance(endpoint["formats"], list)
        assert set(endpoint["formats"]) >= {"text/xml", "application/json"}, endpoint


def test_discovery_production_endpoint_is_the_v2_base(client, council):
    data = body(client.get(f"{DISCOVERY}.json"), "json")
    production = next(e for e in data["endpoints"] if e["type"] == "production")
    assert production["url"].rstrip("/").endswith("/open311/v2"), production["url"]


def test_discovery_xml_shape(client, council):
    response = client.get(f"{DISCOVERY}.xml")
    assert response["Content-Type"] == CONTENT_TYPES["xml"]
    root = xml_root(response)
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert [f.text for f in endpoint.findall("formats/format")]
    assert endpoint.findtext("specification") == SPECIFICATION


@pytest.mark.parametrize("suffix", ["txt", "html", "yaml", "JSON", ""])
def test_discovery_unknown_format_is_404(client, council, suffix):
    response = client.get(f"{DISCOVERY}.{suffix}")
    assert response.status_code == 404
    assert "html" not in response.get("Content-Type", "")


# ---- service list ----------------------------------------------------------------------------


def test_service_list_json_fields_and_types(client, council):
    data = services(client, "json", jurisdiction_id="testshire.gov.uk")
    assert isinstance(data, list), "JSON has no root wrapper"
    pothole = by_code(data)["pothole"]
    assert pothole["service_code"] == "pothole"
    assert pothole["service_name"] == "Pothole"
    assert isinstance(pothole["description"], str) and pothole["description"].strip()
    assert pothole["metadata"] is True, "metadata is a JSON boolean"
    assert pothole["type"] == "realtime"
    assert isinstance(pothole["keywords"], str) and "road" in pothole["keywords"].split(",")
    assert pothole["group"] == "Roads"
    for item in data:
        assert item["type"] in {"realtime", "batch", "blackbox"}
        assert isinstance(item["metadata"], bool)
        for key in ("service_code", "service_name", "description", "keywords", "group"):
            assert isinstance(item[key], str), (key, item)
        assert item["description"].strip(), item


def test_service_list_xml_fields(client, council):
    response = get(client, "services", "xml", jurisdiction_id="testshire.gov.uk")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xml"]
    assert response.content.startswith(XML_DECLARATION)
    root = xml_root(response)
    assert root.tag == "services"
    assert all(child.tag == "service" for child in root)
    pothole = next(s for s in root if s.findtext("service_code") == "pothole")
    assert pothole.findtext("service_name") == "Pothole"
    assert pothole.findtext("metadata") == "true", "XML booleans are true/false text"
    assert pothole.findtext("type") == "realtime"
    assert pothole.findtext("group") == "Roads"
    assert "road" in pothole.findtext("keywords").split(",")
    assert pothole.findtext("description").strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_without_attributes_has_metadata_false(client, council, fmt):
    publish(council, code="graffiti", name="Graffiti", group="Environment", fields=[])
    graffiti = by_code(services(client, fmt, jurisdiction_id="testshire.gov.uk"))["graffiti"]
    expected = False if fmt == "json" else "false"
    assert graffiti["metadata"] == expected and type(graffiti["metadata"]) is type(expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_excludes_private_services(client, council, other_council, fmt):
    for params in ({"jurisdiction_id": "testshire.gov.uk"}, {}):
        codes = set(by_code(services(client, fmt, **params)))
        assert "pothole" in codes
        assert "school_transport" not in codes, "private services never appear in GET output"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_type_comes_from_the_template(client, council, fmt):
    publish(council, code="enquiry", name="General enquiry", open311={"type": "blackbox"})
    publish(council, code="bins", name="Bin collection", open311={"type": "batch"})
    data = by_code(services(client, fmt, jurisdiction_id="testshire.gov.uk"))
    assert data["enquiry"]["type"] == "blackbox"
    assert data["bins"]["type"] == "batch"


def test_service_list_several_groups_as_groups_element(client, council):
    """mySociety extra: `<groups><group>` when a service is in several groups."""
    publish(
        council,
        code="flytipping",
        name="Fly-tipping",
        group="Environment",
        groups=["Environment", "Roads"],
    )
    root = xml_root(get(client, "services", "xml", jurisdiction_id="testshire.gov.uk"))
    service = next(s for s in root if s.findtext("service_code") == "flytipping")
    assert [g.text for g in service.findall("groups/group")] == ["Environment", "Roads"]
    data = by_code(services(client, "json", jurisdiction_id="testshire.gov.uk"))
    assert data["flytipping"]["groups"] == ["Environment", "Roads"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_keywords_are_one_comma_joined_string(client, council, fmt):
    publish(council, code="streetlight", name="Street light", keywords=["lighting", "night"])
    data = by_code(services(client, fmt, jurisdiction_id="testshire.gov.uk"))
    assert data["streetlight"]["keywords"] == "lighting,night"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_keyword_flags_such_as_private_are_passed_on(client, council, fmt):
    """mySociety extra: `keywords` carries flags FixMyStreet acts on, such as `private`."""
    publish(
        council,
        code="abandoned_vehicle",
        name="Abandoned vehicle",
        keywords=["private", "vehicles"],
    )
    data = by_code(services(client, fmt, jurisdiction_id="testshire.gov.uk"))
    assert data["abandoned_vehicle"]["keywords"].split(",") == ["private", "vehicles"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_jurisdiction_selects_the_council(client, council, other_council, fmt):
    publish(other_council, code="otherton_only", name="Only in Otherton")
    codes = set(by_code(services(client, fmt, jurisdiction_id="otherton.gov.uk")))
    assert "otherton_only" in codes
    codes = set(by_code(services(client, fmt, jurisdiction_id="testshire.gov.uk")))
    assert "otherton_only" not in codes and "pothole" in codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_unknown_jurisdiction_is_404(client, council, fmt):
    response = get(client, "services", fmt, jurisdiction_id="nowhere.gov.uk")
    assert_error(response, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_empty_jurisdiction_behaves_as_absent(client, council, fmt):
    absent = get(client, "services", fmt)
    empty = get(client, "services", fmt, jurisdiction_id="")
    assert empty.status_code == absent.status_code == 200
    assert body(empty, fmt) == body(absent, fmt)


def test_service_list_json_and_xml_agree(client, council):
    as_json = by_code(services(client, "json", jurisdiction_id="testshire.gov.uk"))
    as_xml = by_code(services(client, "xml", jurisdiction_id="testshire.gov.uk"))
    assert set(as_json) == set(as_xml)
    for code, item in as_json.items():
        for key in ("service_name", "description", "type", "keywords", "group"):
            assert as_xml[code][key] == item[key], (code, key)


# ---- service definition ----------------------------------------------------------------------


def definition(client, code="pothole", fmt="json", **params):
    params.setdefault("jurisdiction_id", "testshire.gov.uk")
    return ok(get(client, f"services/{code}", fmt, **params), fmt)


def test_definition_json_shape_and_types(client, council):
    data = definition(client)
    assert isinstance(data, dict), "a service definition is one object"
    assert data["service_code"] == "pothole"
    attributes = data["attributes"]
    assert [a["code"] for a in attributes] == ["depth", "width_cm", "hazards", "seen_at"]
    for attribute in attributes:
        assert attribute["variable"] is True, "citizens enter every pothole attribute"
        assert attribute["datatype"] in DATATYPES
        assert isinstance(attribute["required"], bool)
        assert isinstance(attribute["datatype_description"], str)
        assert attribute["datatype_description"].strip(), attribute
        assert isinstance(attribute["order"], int) and attribute["order"] >= 1
        assert isinstance(attribute["description"], str) and attribute["description"].strip()
        assert isinstance(attribute["values"], list), "arrays even when empty or one element"
    orders = [a["order"] for a in attributes]
    assert len(set(orders)) == len(orders), "order is unique"
    depth = attributes[0]
    assert depth["required"] is True and depth["datatype"] == "singlevaluelist"
    assert depth["description"] == "How deep?"
    assert depth["values"] == [
        {"key": "shallow", "name": "Shallow"},
        {"key": "deep", "name": "Deep"},
    ]
    assert attributes[1]["datatype"] == "number" and attributes[1]["required"] is False
    assert attributes[2]["datatype"] == "multivaluelist"
    assert [v["key"] for v in attributes[2]["values"]] == ["cyclists", "cars"]
    assert attributes[3]["datatype"] == "datetime"


def test_definition_xml_shape(client, council):
    response = get(client, "services/pothole", "xml", jurisdiction_id="testshire.gov.uk")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xml"]
    root = xml_root(response)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "pothole"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["depth", "width_cm", "hazards", "seen_at"]
    depth = attributes[0]
    assert depth.findtext("variable") == "true"
    assert depth.findtext("required") == "true"
    assert attributes[1].findtext("required") == "false"
    assert depth.findtext("datatype") == "singlevaluelist"
    assert depth.findtext("datatype_description").strip()
    assert depth.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in depth.findall("values/value")] == [
        ("shallow", "Shallow"),
        ("deep", "Deep"),
    ]
    orders = [int(a.findtext("order")) for a in attributes]
    assert len(set(orders)) == len(orders) and min(orders) >= 1


def test_definition_orders_are_unique_even_when_the_template_gives_none(client, council):
    fields = [
        {"code": "colour", "label": "Colour", "datatype": "string"},
        {"code": "size", "label": "Size", "datatype": "number"},
        {"code": "notes", "label": "Notes", "datatype": "text"},
    ]
    publish(council, code="bench", name="Broken bench", fields=fields)
    attributes = definition(client, "bench")["attributes"]
    orders = [a["order"] for a in attributes]
    assert len(set(orders)) == 3 and min(orders) >= 1
    assert all(a["datatype_description"].strip() for a in attributes)


def test_definition_marks_automated_attributes(client, council):
    """mySociety extra: attribute `automated` (server_set / hidden_field)."""
    fields = [
        *template()["fields"],
        {
            "code": "asset_id",
            "label": "Asset",
            "datatype": "string",
            "order": 5,
            "automated": "hidden_field",
        },
        {
            "code": "usrn",
            "label": "Street number",
            "datatype": "string",
            "order": 6,
            "automated": "server_set",
        },
    ]
    publish(council, fields=fields)
    by_attribute = {a["code"]: a for a in definition(client)["attributes"]}
    assert by_attribute["asset_id"]["automated"] == "hidden_field"
    assert by_attribute["usrn"]["automated"] == "server_set"
    root = xml_root(get(client, "services/pothole", "xml", jurisdiction_id="testshire.gov.uk"))
    automated = {
        a.findtext("code"): a.findtext("automated") for a in root.findall("attributes/attribute")
    }
    assert automated["asset_id"] == "hidden_field"


@pytest.mark.parametrize("fmt", FORMATS)
def test_definition_unknown_service_is_404(client, council, fmt):
    response = get(client, "services/no_such_service", fmt, jurisdiction_id="testshire.gov.uk")
    assert_error(response, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_definition_of_private_service_is_not_readable(client, council, fmt):
    # Reading: "private services must not appear in GET output", so their definition is a 404
    # like an unknown service (a 403 would confirm the service exists).
    response = get(client, "services/school_transport", fmt, jurisdiction_id="testshire.gov.uk")
    assert_error(response, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_definition_unknown_jurisdiction_is_404(client, council, fmt):
    response = get(client, "services/pothole", fmt, jurisdiction_id="nowhere.gov.uk")
    assert_error(response, fmt, 404)


def test_definition_without_jurisdiction_works_for_a_single_council(client, council):
    response = client.get("/open311/v2/services/pothole.json")
    assert ok(response, "json")["service_code"] == "pothole"
    assert definition(client, jurisdiction_id="")["service_code"] == "pothole"


def test_definition_per_jurisdiction(client, council, other_council):
    fields = [{"code": "depth", "label": "Depth in Otherton", "datatype": "string", "order": 1}]
    publish(other_council, fields=fields)
    otherton = definition(client, jurisdiction_id="otherton.gov.uk")
    assert [a["description"] for a in otherton["attributes"]] == ["Depth in Otherton"]
    testshire = definition(client, jurisdiction_id="testshire.gov.uk")
    assert len(testshire["attributes"]) == 4


def test_dates_and_postcodes_are_strings_to_georeport_clients(client, council):
    """GeoReport v2 has no date or postcode datatype: clients see a string and how to write it,
    and what they send is read as the citizen web's answer would be."""
    fields = [
        {"code": "born", "label": "Date of birth", "datatype": "date", "latest": "yesterday"},
        {"code": "postcode", "label": "Postcode", "datatype": "postcode"},
    ]
    publish(council, code="pass", name="Bus pass", fields=fields)
    attributes = {a["code"]: a for a in definition(client, "pass")["attributes"]}
    assert {a["datatype"] for a in attributes.values()} == {"string"}
    assert attributes["born"]["datatype_description"] == "A date as YYYY-MM-DD, e.g. 2015-03-31."
    assert attributes["postcode"]["datatype_description"] == "A full UK postcode, e.g. BS1 5TR."
