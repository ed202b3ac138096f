"""Open311's edges that third-party tools found (issue #13, item 3), each pinned here:

- any method to an unknown path under /open311/ is the Open311 404 error list, never Django's
  HTML "CSRF verification failed" page;
- a path ending in `%0A` is still caught by the Open311 catch-all (no HTML 404);
- discovery's `url` ends with a slash (FixMyStreet needs it) and SeeClickFix's validator adds
  its own, so `v2//services.xml` is served as `v2/services.xml`;
- a replayed `update_id` is checked exactly like a new one;
- the OpenAPI document is served at a stable URL, linked from discovery, and states the bounds
  the server enforces (the phone rule, the years 1970 to 9000), which hold both ways;
- a phone that is not a number costs neither the report nor the text.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import yaml
from django.test import Client

from tests.open311_support import (
    BASE,
    FORMATS,
    api_key_for,
    assert_error,
    body,
    create,
    created_id,
    error_list,
    now_s,
    ok,
    post_form,
    pothole_form,
    seed_case,
    url,
    w3c,
)
from townsquare.cases.models import Case
from townsquare.core.models import Event
from townsquare.open311.services import pending_request_process

pytestmark = pytest.mark.django_db

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "api" / "open311.openapi.yaml"
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.fixture
def strict_client():
    """A client that is held to CSRF like a real one (the test client skips it by default)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def api_key(council):
    return api_key_for(council)


def assert_open311_404(response, fmt: str) -> None:
    assert response.status_code == 404, (response.status_code, response.content[:200])
    assert "html" not in response.get("Content-Type", ""), response.content[:200]
    error_list(response, fmt)


# ---- any method to an unknown path -------------------------------------------------------------


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (f"{BASE}nothing.json", "json"),
        (f"{BASE}nothing.xml", "xml"),
        (f"{BASE}requests/TST-26-000001/extra.xml", "xml"),
        ("/open311/v3/requests.json", "json"),
        ("/open311/anything", "json"),
    ],
)
def test_writes_to_an_unknown_path_are_the_open311_404(strict_client, council, method, path, fmt):
    response = strict_client.generic(
        method, path, data="api_key=x", content_type=("application/x-www-form-urlencoded")
    )
    assert_open311_404(response, fmt)
    assert "Allow" not in response, "no method is served at a path that does not exist"


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("path", ["/open311/", "/open311/v2/media/1", "/open311/openapi.json"])
def test_writes_to_the_pages_that_are_not_operations_are_405_not_csrf_pages(
    strict_client, council, method, path
):
    response = strict_client.generic(
        method, path, data="a=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 405, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    assert {m.strip() for m in response["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    error_list(response, "json")


def test_a_write_to_a_real_operation_still_works_without_a_csrf_token(
    strict_client, council, api_key
):
    created_id(
        post_form(
            strict_client,
            "requests",
            "json",
            {
                "api_key": api_key,
                "service_code": "pothole",
                "lat": "51.5",
                "long": "-1.5",
                "attribute[depth]": "deep",
            },
        )
    )


# ---- a newline at the end of the path ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (f"{BASE}requests.json%0A", "json"),
        (f"{BASE}requests.xml%0A", "xml"),
        (f"{BASE}services/pothole.xml%0A", "xml"),
        ("/open311/discovery.json%0A", "json"),
        (f"{BASE}%0A", "json"),
        ("/open311/%0A", "json"),
    ],
)
def test_a_path_ending_in_a_newline_is_the_open311_404(client, council, path, fmt):
    assert_open311_404(client.get(path), fmt)


def test_a_path_ending_in_a_newline_over_real_http_is_the_open311_404(live_server, council):
    # The test client builds PATH_INFO itself; a real server decodes %0A on its own way.
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for method in ("GET", "POST"):
            connection.request(method, f"{BASE}requests.xml%0A")
            response = connection.getresponse()
            content = response.read()
            assert response.status == 404, (method, response.status, content[:200])
            assert response.getheader("Content-Type") == "text/xml; charset=utf-8", content
            assert b"<errors><error><code>404</code>" in content
    finally:
        connection.close()


# ---- discovery's url with a slash added --------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_url_with_a_slash_appended_serves_the_service_list(client, council, fmt):
    discovery = body(client.get(f"/open311/discovery.{fmt}"), fmt)
    endpoint = next(e for e in discovery["endpoints"] if e["type"] == "production")
    assert endpoint["url"].endswith("/open311/v2/"), "FixMyStreet needs the trailing slash"
    # SeeClickFix's validator appends its own slash.
    doubled = urlsplit(endpoint["url"]).path + f"/services.{fmt}"
    assert "//services" in doubled
    response = client.get(doubled)
    assert response.status_code == 200, response.content[:200]
    assert response.content == client.get(url("services", fmt)).content


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/services/pothole.json",
        f"{BASE}//requests.json",
        f"{BASE}services//pothole.json",
        "/open311//discovery.json",
    ],
)
def test_doubled_slashes_after_the_endpoint_read_as_one(client, council, path):
    single = path.replace("//", "/").replace("//", "/")
    response = client.get(path)
    assert response.status_code == 200, (path, response.content[:200])
    assert response.content == client.get(single).content


def test_a_create_through_a_doubled_slash_is_a_create(strict_client, council, api_key):
    response = strict_client.post(
        f"{BASE}/requests.json",
        data=urlencode(
            {
                "api_key": api_key,
                "service_code": "pothole",
                "lat": "51.5",
                "long": "-1.5",
                "attribute[depth]": "deep",
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    created_id(response)


@pytest.mark.parametrize(
    ("path", "fmt"), [(f"{BASE}/nothing.xml", "xml"), (f"{BASE}//requests.txt", "json")]
)
def test_doubled_slashes_to_nowhere_are_still_404(client, council, path, fmt):
    response = client.get(path)
    assert response.status_code == 404
    assert "html" not in response.get("Content-Type", "")


# ---- a replayed update_id is checked like a new one ---------------------------------------------


def update_form(api_key, case, **overrides):
    form = {
        "api_key": api_key,
        "service_request_id": case.reference,
        "update_id": "fms-7731",
        "status": "OPEN",
        "updated_datetime": w3c(now_s()),
        "description": "Still there",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def post_update(client, api_key, case, fmt="json", **overrides):
    return post_form(client, "servicerequestupdates", fmt, update_form(api_key, case, **overrides))


def first_update_id(response, fmt="json"):
    return ok(response, fmt)[0]["update_id"]


REFUSED_AS_NEW = {
    "description-too-long": ({"description": "x" * 4001}, "description"),
    "status-unknown": ({"status": "BANANA"}, "status"),
    "status-mixed-case": ({"status": "Fixed"}, "status"),
    "updated-datetime-garbage": ({"updated_datetime": "yesterday"}, "updated_datetime"),
    "updated-datetime-1969": ({"updated_datetime": "1969-12-31T23:59:59Z"}, "updated_datetime"),
    "no-status": ({"status": None}, "status"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("overrides", "named"), REFUSED_AS_NEW.values(), ids=REFUSED_AS_NEW.keys())
def test_a_replay_is_refused_when_the_same_post_as_new_would_be(
    client, council, api_key, fmt, overrides, named
):
    case = seed_case(council)
    as_new = post_update(client, api_key, case, fmt, update_id="brand-new", **overrides)
    assert_error(as_new, fmt, 400, mentions=named)
    first_update_id(post_update(client, api_key, case))  # fms-7731, accepted
    events = Event.objects.filter(stream="case", stream_id=case.id).count()
    replay = post_update(client, api_key, case, fmt, **overrides)
    assert_error(replay, fmt, 400, mentions=named)
    assert Event.objects.filter(stream="case", stream_id=case.id).count() == events


def test_a_replay_on_a_case_that_is_no_longer_public_is_refused_like_a_new_post(
    client, council, api_key
):
    case = seed_case(council)
    first_update_id(post_update(client, api_key, case))
    Case.objects.filter(pk=case.pk).update(is_public=False)
    as_new = post_update(client, api_key, case, update_id="brand-new")
    replay = post_update(client, api_key, case)
    assert as_new.status_code == replay.status_code == 404, (as_new.content, replay.content)


def test_a_valid_replay_gets_the_first_answer_and_changes_nothing(client, council, api_key):
    case = seed_case(council)
    first = first_update_id(post_update(client, api_key, case))
    events = Event.objects.filter(stream="case", stream_id=case.id).count()
    assert first_update_id(post_update(client, api_key, case)) == first
    assert Event.objects.filter(stream="case", stream_id=case.id).count() == events


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_update_id_over_100_characters_is_refused_not_cut_short(client, council, api_key, fmt):
    case = seed_case(council)
    shared = "u" * 100
    first_update_id(post_update(client, api_key, case, update_id=shared))
    # Cut to 100 characters, this would have been taken for a replay of the first.
    assert_error(
        post_update(client, api_key, case, fmt, update_id=shared + "-second"),
        fmt,
        400,
        mentions="update_id",
    )


# ---- the OpenAPI document at a stable URL -------------------------------------------------------


def test_the_openapi_document_is_served_as_committed(client, db):
    committed = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    as_json = client.get("/open311/openapi.json")
    assert as_json.status_code == 200
    assert as_json["Content-Type"] == "application/json; charset=utf-8"
    assert as_json["Access-Control-Allow-Origin"] == "*"
    assert json.loads(as_json.content) == committed
    as_yaml = client.get("/open311/openapi.yaml")
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"] == "application/yaml; charset=utf-8"
    assert as_yaml.content == DOCUMENT.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_links_the_openapi_document(client, db, fmt):
    response = client.get(f"/open311/discovery.{fmt}")
    link = body(response, fmt)["openapi"]
    assert link == "http://testserver/open311/openapi.json"
    assert response["Link"] == f'<{link}>; rel="service-desc"'
    assert client.get(urlsplit(link).path).status_code == 200


def test_the_document_states_the_bounds_the_server_enforces():
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    phone = schemas["CreateRequestForm"]["properties"]["phone"]
    assert phone["maxLength"] == 200
    assert "^\\+?[0-9]{6,15}$" in phone["description"]
    assert "1970 to 9000" in schemas["DateTimeInput"]["description"]
    assert schemas["PostUpdateForm"]["properties"]["update_id"]["maxLength"] == 100
    idempotency = document["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert idempotency["maxLength"] == 200


# ---- bounds hold both ways ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        ("1970-01-01T00:30:00+01:00", True),  # 1969 in UTC, but the bound is the year as written
        ("1969-12-31T23:59:59Z", False),
        ("9000-12-31T23:59:59-14:00", True),
        ("9001-01-01T00:00:00Z", False),
        ("2024-02-29T00:00Z", True),
        ("2026-02-29T00:00Z", False),
        ("2026-01-31T09:00:00.123456789+0100", True),
        (" 2026-01-31T09:00:00Z", False),  # dates are taken as written: no spaces
        ("2026-01-31t09:00:00z", False),
    ],
)
def test_dates_are_accepted_exactly_as_the_document_says(client, council, moment, accepted):
    response = client.get(url("requests", "json"), {"start_date": moment})
    assert response.status_code == (200 if accepted else 400), (moment, response.content)


@pytest.mark.parametrize(
    ("params", "accepted"),
    [
        ({"extensions": "true"}, True),
        ({"extensions": "TRUE"}, True),
        ({"extensions": "False"}, True),
        ({"extensions": ""}, True),
        ({"extensions": "null"}, False),
        ({"extensions": "yes"}, False),
        ({"lat": "51.5", "long": "-1.5"}, True),
        ({"lat": "1_0", "long": "-1.5"}, False),
        ({"lat": "nan", "long": "-1.5"}, False),
        ({"lat": " 51.5", "long": "-1.5"}, False),
        ({"lat": "", "long": ""}, True),
        ({"page": "2"}, True),
        ({"page": "1_0"}, False),
        ({"page": " 2"}, False),
        ({"page": "9" * 5000}, False),
        ({"page_size": ""}, True),
        ({"status": "open,closed"}, True),
        ({"status": "open,"}, False),
        ({"status": "open, closed"}, False),
        ({"bbox": "-2,51,-1,52"}, True),
        ({"bbox": "-2,51,-1"}, False),
        ({"service_request_id": ",".join(["x"] * 1000)}, True),
        ({"service_request_id": ",".join(["x"] * 1001)}, False),
    ],
)
def test_search_parameters_are_accepted_exactly_as_the_document_says(
    client, council, params, accepted
):
    response = client.get(url("requests", "json"), params)
    assert response.status_code == (200 if accepted else 400), (params, response.content[:200])


def test_a_bad_date_is_refused_even_when_ids_override_the_window(client, council):
    response = client.get(
        url("requests", "json"), {"service_request_id": "TST-26-000001", "end_date": "soon"}
    )
    assert_error(response, "json", 400, mentions="end_date")


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("6f1c2b0e-client-generated-id", True),
        ("k" * 200, True),
        ("k" * 201, False),
        ("two words", False),
    ],
)
def test_idempotency_keys_are_accepted_exactly_as_the_document_says(
    client, council, api_key, key, accepted
):
    response = post_form(
        client, "requests", "json", pothole_form(api_key), HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == (200 if accepted else 400), response.content


@pytest.mark.parametrize(
    ("media_url", "accepted"),
    [
        ("https://www.fixmystreet.com/photo/12345.0.full.jpeg?abc=1", True),
        ("  https://example.org/a%20b.jpg  ", True),
        ("", True),
        ("https://®.example/x.jpg", False),
        ("https://example.org/a b.jpg", False),
        ("https://example.org/%zz", False),
        ("ftp://example.org/x.jpg", False),
    ],
)
def test_media_urls_are_accepted_exactly_as_the_document_says(
    client, council, api_key, media_url, accepted
):
    response = create(client, api_key, media_url=media_url)
    assert response.status_code == (200 if accepted else 400), response.content


# ---- a phone that is not a number ---------------------------------------------------------------


def notes_of(case):
    return [
        e.payload["note"]
        for e in Event.objects.filter(stream="case", stream_id=case.id, kind="case.internal_note")
    ]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("phone", ["call me after 6pm", "n/a", "0117 496 0000 ext 12", "ünïcödé ☎"])
def test_a_phone_that_is_not_a_number_keeps_the_report_and_the_text(
    client, council, api_key, fmt, phone
):
    reference = created_id(create(client, api_key, fmt, phone=phone), fmt)
    case = Case.objects.get(reference=reference)
    assert case.reporter_phone == "", "never texted: it is not a number"
    assert case.reporter_email == "sam@example.org"
    (note,) = notes_of(case)
    assert note.endswith(phone), note
    assert "not a phone number" in note


def test_a_phone_number_is_kept_as_the_number_with_no_note(client, council, api_key):
    case = Case.objects.get(
        reference=created_id(create(client, api_key, phone="+44 (0)117 496-0000"))
    )
    assert case.reporter_phone == "+4401174960000"
    assert notes_of(case) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_phone_text_over_200_characters_is_refused(client, council, api_key, fmt):
    assert_error(create(client, api_key, fmt, phone="9" * 201), fmt, 400, mentions="phone")
    assert not Case.objects.exists()


def test_a_batch_request_keeps_the_phone_text_too(client, council, api_key):
    response = post_form(
        client,
        "requests",
        "json",
        {
            "api_key": api_key,
            "service_code": "school_transport",
            "address_string": "Testshire",
            "attribute[child_name]": "Sam",
            "attribute[sen]": "no",
            "phone": "ask at reception",
        },
    )
    token = ok(response, "json")[0]["token"]
    case = pending_request_process(token=token)
    assert case is not None and case.reporter_phone == ""
    assert notes_of(case)[0].endswith("ask at reception")


# ---- ids that no stored text can match -----------------------------------------------------------


def test_a_nul_in_an_id_or_code_matches_nothing_on_every_database(client, council, api_key):
    # PostgreSQL refuses a NUL even in a query: it must still be a 404 (or an empty list).
    assert_error(
        client.get(url("services", "json"), {"jurisdiction_id": "testshire.gov.uk\x00"}),
        "json",
        404,
    )
    assert_error(create(client, api_key, service_code="pot\x00hole"), "json", 404)
    search = client.get(
        url("requests", "json"), {"service_request_id": "TST\x00", "service_code": "pothole\x00"}
    )
    assert ok(search, "json") == []
    case = seed_case(council)
    assert_error(
        post_update(client, api_key, case, service_request_id=f"{case.reference}\x00"), "json", 404
    )
    first_update_id(post_update(client, api_key, case, update_id="fms\x00id"))
