"""Open311 contract: errors and HTTP hygiene (OPEN311.md, "Errors and HTTP hygiene"): error
bodies, format suffixes, methods, CORS, reading bodies to the end, and no 5xx or HTML under
fuzzing."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest

from tests.open311_support import (
    BASE,
    CONTENT_TYPES,
    DISCOVERY,
    FORM,
    FORMATS,
    api_key_for,
    assert_error,
    assert_not_server_error,
    error_list,
    pothole_form,
    seed_case,
    url,
    xml_root,
)
from townsquare.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(council):
    return api_key_for(council)


@pytest.fixture
def reference(council):
    return seed_case(council).reference


# Every operation, with the methods it answers. {ref} is a real public case.
ENDPOINTS = {
    "discovery": (DISCOVERY, {"GET"}),
    "services": (f"{BASE}services", {"GET"}),
    "definition": (f"{BASE}services/pothole", {"GET"}),
    "requests": (f"{BASE}requests", {"GET", "POST"}),
    "one-request": (f"{BASE}requests/{{ref}}", {"GET"}),
    "token": (f"{BASE}tokens/some-token", {"GET"}),
    "updates": (f"{BASE}servicerequestupdates", {"GET", "POST"}),
}


def endpoint(name: str, fmt: str, ref: str) -> str:
    path, _methods = ENDPOINTS[name]
    return f"{path.format(ref=ref)}.{fmt}"


# ---- error bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_body_is_a_list_of_code_and_description(client, council, fmt):
    response = client.get(url("requests/TST-26-999999", fmt))
    assert response.status_code == 404
    # The spec's examples use the HTTP status (or a service-specific number) as `code`;
    # error_list checks each item has a non-empty code and description.
    assert len(error_list(response, fmt)) >= 1


def test_xml_error_shape(client, council):
    root = xml_root(client.get(url("services/nope", "xml")))
    assert root.tag == "errors"
    error = root.find("error")
    assert error is not None
    assert (error.findtext("code") or "").strip()
    assert (error.findtext("description") or "").strip()


# ---- format suffixes -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["txt", "html", "csv", "yaml", "JSON", "XML", "jsonp", "rss"])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_unknown_format_suffix_is_404_and_never_html(client, council, reference, name, suffix):
    response = client.get(endpoint(name, suffix, reference))
    assert response.status_code == 404, (name, suffix, response.status_code)
    assert "html" not in response.get("Content-Type", "")


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}requests",
        f"{BASE}services/pothole",
        f"{BASE}requests.json/",
        f"{BASE}services.json.xml",
    ],
)
def test_paths_without_a_proper_suffix_are_404_not_html(client, council, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "html" not in response.get("Content-Type", "")


# ---- methods and CORS ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", ["PUT", "DELETE", "TRACE", "PATCH"])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_unsupported_methods_are_405_with_allow(client, council, reference, name, method, fmt):
    response = client.generic(method, endpoint(name, fmt, reference))
    assert response.status_code == 405, (name, method, response.status_code)
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert allowed >= ENDPOINTS[name][1], allowed
    assert not allowed & {"PUT", "DELETE", "TRACE", "PATCH"}
    assert "html" not in response.get("Content-Type", "")
    if response.content:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["discovery", "services", "definition", "one-request", "token"])
def test_post_to_a_read_only_operation_is_405(client, council, reference, api_key, name, fmt):
    response = client.post(
        endpoint(name, fmt, reference), data=urlencode({"api_key": api_key}), content_type=FORM
    )
    assert response.status_code == 405
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_options_is_204_with_cors_headers(client, council, reference, name, fmt):
    response = client.options(
        endpoint(name, fmt, reference),
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST" if "POST" in ENDPOINTS[name][1] else "GET",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods >= ENDPOINTS[name][1]
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers and "idempotency-key" in allowed_headers
    assert not response.content


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name", ["discovery", "services", "definition", "requests", "one-request", "updates"]
)
def test_gets_carry_allow_origin_star(client, council, reference, name, fmt):
    response = client.get(endpoint(name, fmt, reference))
    assert response.status_code == 200, (name, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["requests/TST-26-999999", "services/nope", "tokens/nope"])
def test_failed_gets_carry_allow_origin_star_too(client, council, path, fmt):
    # A browser client can only read the error's description if CORS allows it.
    response = client.get(url(path, fmt))
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_gets_with_an_unknown_format_carry_allow_origin_star_too(client, council, reference, name):
    response = client.get(endpoint(name, "txt", reference))
    assert response.status_code == 404
    assert response.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name", ["discovery", "services", "definition", "requests", "one-request", "updates"]
)
def test_content_types_are_exact(client, council, reference, name, fmt):
    response = client.get(endpoint(name, fmt, reference))
    assert response["Content-Type"] == CONTENT_TYPES[fmt]


# ---- bodies are read to the end --------------------------------------------------------------


class TrackedInput(io.BytesIO):
    """A wsgi.input that remembers how far the application read."""


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("POST", f"{BASE}requests.json", {"service_code": "pothole"}),  # 403: no api_key
        ("POST", f"{BASE}requests.json", {"api_key": "bad"}),  # 403: bad api_key
        ("POST", f"{BASE}requests.txt", {"service_code": "pothole"}),  # 404: format
        ("PUT", f"{BASE}requests.json", {"service_code": "pothole"}),  # 405
        ("POST", f"{BASE}services.json", {"service_code": "pothole"}),  # 405
        ("POST", f"{BASE}servicerequestupdates.xml", {"update_id": "1"}),  # 403
    ],
    ids=["no-key", "bad-key", "bad-format", "put", "post-services", "update-no-key"],
)
def test_request_bodies_are_read_to_the_end_on_early_errors(client, council, method, path, form):
    """So a keep-alive connection survives: unread bytes would be taken for the next request."""
    body = urlencode({**form, "description": "x" * 60_000}).encode()
    stream = TrackedInput(body)
    response = client.generic(method, path, data=body, content_type=FORM, **{"wsgi.input": stream})
    assert 400 <= response.status_code < 500
    assert stream.tell() == len(body), f"read {stream.tell()} of {len(body)} bytes"


# ---- no 5xx, no HTML, under fuzzing ----------------------------------------------------------

LONG = "a" * 10_000
HUGE = "9" * 400

GET_FUZZ = {
    "huge-service-request-id": ("requests", {"service_request_id": HUGE}),
    "huge-page": ("requests", {"page": HUGE, "page_size": HUGE}),
    "float-page": ("requests", {"page": "1e308"}),
    "huge-radius": ("requests", {"lat": "51.5", "long": "-1.5", "radius": "1e308"}),
    "huge-lat": ("requests", {"lat": HUGE, "long": HUGE, "radius": "10"}),
    "huge-bbox": ("requests", {"bbox": f"{HUGE},{HUGE},{HUGE},{HUGE}"}),
    "huge-date": ("requests", {"start_date": f"{HUGE}-01-01T00:00:00Z"}),
    "long-service-code": ("requests", {"service_code": LONG}),
    "long-status": ("requests", {"status": LONG}),
    "long-jurisdiction": ("requests", {"jurisdiction_id": LONG}),
    "long-dates": ("requests", {"start_date": LONG, "end_date": LONG}),
    "long-id-list": ("requests", {"service_request_id": ",".join(["TST-26-000001"] * 800)}),
    "long-extensions": ("requests", {"extensions": LONG}),
    "long-services-jurisdiction": ("services", {"jurisdiction_id": LONG}),
    "long-updates-dates": ("servicerequestupdates", {"start_date": LONG}),
    "control-service-code": ("requests", {"service_code": "pot\x00hole\x1b[2J"}),
    "control-jurisdiction": ("services", {"jurisdiction_id": "testshire.gov.uk\x00"}),
    "control-status": ("requests", {"status": "open\r\nSet-Cookie: x=1"}),
    "control-id": ("requests", {"service_request_id": "TST\x00-26-000001"}),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("path", "params"), GET_FUZZ.values(), ids=GET_FUZZ.keys())
def test_fuzzed_get_parameters_give_no_5xx(client, council, reference, fmt, path, params):
    response = client.get(url(path, fmt), params)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


RAW_QUERY_STRINGS = {
    "invalid-utf8-percent": "service_code=%FF%FE%FD&status=%C3%28",
    "invalid-utf8-raw": "service_code=\xff\xfe",
    "overlong-utf8": "jurisdiction_id=%C0%AF",
    "lone-surrogate": "service_code=%ED%A0%80",
    "null-byte": "start_date=%00",
    "broken-percent": "service_code=%G1%&&&==&status",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["requests", "services", "servicerequestupdates"])
@pytest.mark.parametrize("query", RAW_QUERY_STRINGS.values(), ids=RAW_QUERY_STRINGS.keys())
def test_invalid_utf8_in_the_query_string_gives_no_5xx(client, council, fmt, path, query):
    response = client.get(url(path, fmt), QUERY_STRING=query)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path",
    [
        "requests/%FF%FE",
        "requests/" + "9" * 150,
        "services/%C3%28",
        "services/" + "p" * 190,
        "tokens/%00",
        "tokens/" + "t" * 190,
        "requests/TST%0A-26-000001",
    ],
)
def test_odd_ids_in_the_path_give_404_not_5xx(client, council, fmt, path):
    response = client.get(url(path, fmt))
    assert_not_server_error(response)
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path", ["requests/" + "9" * 10_000, "tokens/" + "t" * 10_000, "services/" + "s" * 10_000]
)
def test_10000_character_path_ids_give_404_not_5xx(client, council, fmt, path):
    response = client.get(url(path, fmt))
    assert_not_server_error(response)
    assert response.status_code in (404, 414)


POST_FUZZ = {
    "huge-lat": {"lat": HUGE, "long": HUGE},
    "float-overflow-lat": {"lat": "1e309"},
    "huge-attribute": {"attribute[width_cm]": HUGE},
    "long-service-code": {"service_code": LONG},
    "long-jurisdiction": {"jurisdiction_id": LONG},
    "long-email": {"email": f"{LONG}@example.org"},
    "long-names": {"first_name": LONG, "last_name": LONG, "phone": LONG},
    "long-address": {"address_string": LONG},
    "long-address-id": {"address_id": LONG},
    "long-attribute": {"attribute[depth]": LONG},
    "long-attribute-code": {f"attribute[{LONG}]": "x"},
    "long-media-url": {"media_url": "https://example.org/" + LONG},
    "long-device": {"device_id": LONG, "account_id": LONG, "deviceid": LONG},
    "control-description": {"description": "bad\x00\x07\x1b[31m\x7f text"},
    "control-attribute": {"attribute[depth]": "deep\x00"},
    "control-lat": {"lat": "51.5\x00"},
    "nested-brackets": {"attribute[depth][][]": "deep", "attribute[]": "x", "attribute": "y"},
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fields", POST_FUZZ.values(), ids=POST_FUZZ.keys())
def test_fuzzed_create_gives_no_5xx(client, council, api_key, fmt, fields):
    form = pothole_form(api_key, **fields)
    response = client.post(
        url("requests", fmt), data=urlencode(form, doseq=True), content_type=FORM
    )
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


def test_control_characters_never_reach_the_stored_case(client, council, api_key):
    form = pothole_form(api_key, description="bad\x00\x07 text")
    response = client.post(url("requests", "json"), data=urlencode(form), content_type=FORM)
    assert_not_server_error(response)
    for case in Case.objects.all():
        assert "\x00" not in case.description and "\x07" not in case.description


RAW_BODIES = {
    "invalid-utf8": b"description=\xff\xfe\xfd",
    "invalid-utf8-percent": b"description=%FF%FE%C3%28&attribute[depth]=%FF",
    "invalid-utf8-key": b"%FF%FE=1&attribute[%C3%28]=deep",
    "null-bytes": b"description=a\x00b&lat=\x00",
    "broken-percent": b"description=%G1%&&&==&lat",
    "not-a-form": b"\x00\x01\x02\x03" * 100,
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("raw", RAW_BODIES.values(), ids=RAW_BODIES.keys())
def test_invalid_utf8_in_the_body_gives_no_5xx(client, council, api_key, fmt, raw):
    good = urlencode(pothole_form(api_key, description=None)).encode()
    response = client.post(url("requests", fmt), data=good + b"&" + raw, content_type=FORM)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nnonsense"),
        ("multipart/form-data", b"no boundary at all"),
        ("application/json", b'{"api_key": "x", "service_code": "pothole"}'),
        ("text/plain", b"\xff\xfe"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"a=b"),
    ],
    ids=["broken-multipart", "multipart-without-boundary", "json", "text", "bad-charset"],
)
def test_odd_content_types_give_no_5xx(client, council, fmt, content_type, raw):
    # generic() sends the bytes as they are (post() would re-encode them in the charset).
    response = client.generic("POST", url("requests", fmt), data=raw, content_type=content_type)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_oversized_body_is_an_open311_error_not_html(client, council, api_key, fmt):
    form = pothole_form(api_key, description="x" * 3_000_000)
    response = client.post(url("requests", fmt), data=urlencode(form), content_type=FORM)
    assert response.status_code in (400, 413)
    error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_fields_is_an_open311_error_not_html(client, council, api_key, fmt):
    form = pothole_form(api_key, **{f"attribute[extra{n}]": "x" for n in range(1500)})
    response = client.post(url("requests", fmt), data=urlencode(form), content_type=FORM)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_query_parameters_is_not_html(client, council, fmt):
    query = "&".join(f"p{n}=1" for n in range(1500))
    response = client.get(url("requests", fmt), QUERY_STRING=query)
    assert_not_server_error(response)
    if response.status_code >= 400:
        error_list(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fuzzed_update_post_gives_no_5xx(client, council, api_key, reference, fmt):
    form = {
        "api_key": api_key,
        "service_request_id": reference,
        "update_id": LONG,
        "status": LONG,
        "updated_datetime": LONG,
        "description": "\x00" + LONG,
        "email": LONG,
        "media_url": LONG,
    }
    response = client.post(
        url("servicerequestupdates", fmt), data=urlencode(form), content_type=FORM
    )
    assert_not_server_error(response)
    assert response.status_code == 400
    error_list(response, fmt)


# ---- status codes by kind of error -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("services", {"jurisdiction_id": "nowhere"}, 404),
        ("services/nope", {}, 404),
        ("requests/TST-26-999999", {}, 404),
        ("tokens/nope", {}, 404),
        ("requests", {"jurisdiction_id": "nowhere"}, 404),
        ("requests", {"status": "nope"}, 400),
        ("requests", {"start_date": "nope"}, 400),
        ("requests", {"page": "nope"}, 400),
    ],
    ids=[
        "jurisdiction",
        "service",
        "request",
        "token",
        "search-jurisdiction",
        "status",
        "date",
        "page",
    ],
)
def test_get_errors_have_the_right_status(client, council, fmt, path, params, status):
    assert_error(client.get(url(path, fmt), params), fmt, status)


def test_discovery_needs_no_council(client, db):
    for fmt in FORMATS:
        response = client.get(f"{DISCOVERY}.{fmt}")
        assert response.status_code == 200
