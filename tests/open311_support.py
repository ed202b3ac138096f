"""Helpers for the Open311 GeoReport v2 contract tests (tests/test_open311_contract_*.py).

The contract is /work/shared/design/OPEN311.md (a copy of its rules is quoted in each test's
docstring or name). These helpers keep the tests short: build URLs, send form-urlencoded or
multipart posts, parse JSON and XML into the same Python shape, check error bodies, and seed cases
with chosen timestamps.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import zlib
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from django.utils import timezone

from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.core.actors import Actor
from townsquare.geo.points import Point

BASE = "/open311/v2/"
DISCOVERY = "/open311/discovery"
FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TST_REFERENCE = re.compile(r"^TST-\d\d-\d{6}$")
OTH_REFERENCE = re.compile(r"^OTH-\d\d-\d{6}$")
FORM = "application/x-www-form-urlencoded"

# Points: Testshire is the square lng -2..-1, lat 51..52; Otherton lng 0..1, lat 51..52.
TESTSHIRE_POINT = (51.5, -1.5)
OTHERTON_POINT = (51.5, 0.5)
NOWHERE_POINT = (10.0, 10.0)

FMS_STATUSES = {
    "open",
    "closed",
    "fixed",
    "in_progress",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "cancelled",
    "reopen",
    "for_triage",
    "planned",
    "unchanged",
}
UNICODE_TEXT = "ünïcödé —"

# XML elements whose children are the items of a list (everything else becomes a dict or text).
_XML_LISTS = {
    "services",
    "service_requests",
    "attributes",
    "values",
    "service_request_updates",
    "errors",
    "endpoints",
    "formats",
    "notes",
    "groups",
}


def url(path: str, fmt: str = "json") -> str:
    """`url("requests", "xml")` -> "/open311/v2/requests.xml"."""
    return f"{BASE}{path}.{fmt}"


def w3c(moment: dt.datetime) -> str:
    """A datetime as the contract prints it: UTC, seconds, `Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_s() -> dt.datetime:
    """Now, to the whole second (the API prints no fractions, so boundaries are whole seconds)."""
    return timezone.now().astimezone(dt.UTC).replace(microsecond=0)


def api_key_for(council: Any, *, test_mode: bool = False, name: str = "FixMyStreet") -> str:
    _key, raw = api_key_create(
        council_id=council.id,
        name=name,
        actor=Actor.system(),
        key_type="test" if test_mode else "live",
    )
    return raw


# ---- parsing ---------------------------------------------------------------------------------


def xml_root(response: Any) -> ElementTree.Element:
    assert response.content.startswith(XML_DECLARATION), response.content[:80]
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    assert "}" not in root.tag, "XML output must use no namespace"
    return root


def xml_to_data(element: ElementTree.Element) -> Any:
    """Turn Open311 XML into the JSON shape: list containers to lists, records to dicts, leaves to
    their text ("" when empty)."""
    if element.tag in _XML_LISTS:
        return [xml_to_data(child) for child in element]
    children = list(element)
    if not children:
        return element.text or ""
    return {child.tag: xml_to_data(child) for child in children}


def body(response: Any, fmt: str) -> Any:
    """The response body as Python data, after checking the exact Content-Type for `fmt`."""
    assert response["Content-Type"] == CONTENT_TYPES[fmt], (
        response.status_code,
        response["Content-Type"],
        response.content[:200],
    )
    if fmt == "json":
        return json.loads(response.content.decode("utf-8"))
    return xml_to_data(xml_root(response))


def ok(response: Any, fmt: str, status: int | tuple[int, ...] = 200) -> Any:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    return body(response, fmt)


def error_list(response: Any, fmt: str) -> list[dict[str, Any]]:
    """Every error body is a list of {code, description} (`<errors><error>` in XML)."""
    data = body(response, fmt)
    if fmt == "xml":
        assert xml_root(response).tag == "errors"
    assert isinstance(data, list) and data, data
    for item in data:
        assert isinstance(item, dict) and set(item) >= {"code", "description"}, item
        assert str(item["code"]).strip(), item
        assert isinstance(item["description"], str) and item["description"].strip(), item
    return data


def assert_error(response: Any, fmt: str, status: int, *, mentions: str | list[str] = ()) -> str:
    """Check status, error shape and that the joined descriptions mention each given text
    (case-insensitive). Returns the joined descriptions."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    text = " ".join(item["description"] for item in error_list(response, fmt))
    for needle in [mentions] if isinstance(mentions, str) else mentions:
        assert needle.lower() in text.lower(), (needle, text)
    return text


def assert_not_server_error(response: Any) -> None:
    """No 5xx, and never an HTML page, whatever the input."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert "html" not in response.get("Content-Type", ""), response.content[:300]


# ---- requests --------------------------------------------------------------------------------


def get(client: Any, path: str, fmt: str = "json", **params: Any) -> Any:
    return client.get(url(path, fmt), params)


def post_form(client: Any, path: str, fmt: str, form: dict[str, Any], **headers: Any) -> Any:
    """POST application/x-www-form-urlencoded, as FixMyStreet does. List values repeat the key."""
    return client.post(
        url(path, fmt), data=urlencode(form, doseq=True), content_type=FORM, **headers
    )


def post_multipart(client: Any, path: str, fmt: str, form: dict[str, Any], **headers: Any) -> Any:
    """POST multipart/form-data; file objects in `form` become file parts."""
    return client.post(url(path, fmt), data=form, **headers)


def pothole_form(api_key: str, **overrides: Any) -> dict[str, Any]:
    """A valid create for the `pothole` service in Testshire; an override of None drops a key."""
    form: dict[str, Any] = {
        "api_key": api_key,
        "service_code": "pothole",
        "lat": str(TESTSHIRE_POINT[0]),
        "long": str(TESTSHIRE_POINT[1]),
        "attribute[depth]": "deep",
        "description": "A deep pothole outside number 4",
        "email": "sam@example.org",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def create(client: Any, api_key: str, fmt: str = "json", **overrides: Any) -> Any:
    return post_form(client, "requests", fmt, pothole_form(api_key, **overrides))


def created_id(response: Any, fmt: str = "json") -> str:
    """The service_request_id of a successful realtime create (a one-element list)."""
    data = ok(response, fmt, (200, 201))
    assert isinstance(data, list) and len(data) == 1, data
    service_request_id = data[0]["service_request_id"]
    assert isinstance(service_request_id, str) and service_request_id, data
    return service_request_id


# ---- seeding ---------------------------------------------------------------------------------

STAFF = Principal.system("contract tests")


def seed_case(
    council: Any,
    *,
    at: dt.datetime | None = None,
    updated: dt.datetime | None = None,
    point: tuple[float, float] | None = None,
    service_code: str = "pothole",
    values: dict[str, Any] | None = None,
    description: str = "Pothole by the bus stop",
    address: str = "",
    postcode: str = "",
) -> Case:
    """A case created through the domain service, then given the created/updated times asked."""
    if service_code == "school_transport":
        values = values or {"child_name": "Sam", "sen": "no"}
        location = None
    else:
        values = values or {"depth": "deep"}
        lat, lng = point or (
            TESTSHIRE_POINT if council.reference_prefix == "TST" else OTHERTON_POINT
        )
        location = Point(lat, lng)
    case = case_create(
        service_code=service_code,
        actor=STAFF,
        council=council,
        point=location,
        values=values,
        description=description,
        address=address,
        postcode=postcode,
        reporter=Reporter(email="seed@example.org"),
    )
    if at is not None:
        Case.objects.filter(pk=case.pk).update(created_at=at, updated_at=updated or at)
    elif updated is not None:
        Case.objects.filter(pk=case.pk).update(updated_at=updated)
    case.refresh_from_db()
    return case


def ids(data: list[dict[str, Any]]) -> list[str]:
    return [item["service_request_id"] for item in data]


# ---- files -----------------------------------------------------------------------------------


def tiny_png() -> bytes:
    """A valid 1x1 red PNG, built by hand (Pillow is not installed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one RGB pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def clone_cases(case: Case, count: int, *, prefix: str = "TST-99") -> list[Case]:
    """`count` copies of `case` with their own references, inserted in one statement (for the
    1000-result limits, where creating each case through the service would be slow)."""
    fields = {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname not in ("id", "reference")
    }
    rows = [Case(reference=f"{prefix}-{n:06d}", **fields) for n in range(count)]
    return Case.objects.bulk_create(rows)
