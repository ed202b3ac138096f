"""The OpenAPI document of the Open311 surface (docs/api/open311.openapi.yaml) is valid, pinned
to what the server routes, and true of a live server under schemathesis fuzzing.

OPEN311.md, "How it is checked": "An OpenAPI 3 document of this surface lives in the repo;
schemathesis runs against it". Three layers:

1. the document loads and validates as OpenAPI (schemathesis's own loader and meta-schema);
2. its paths and methods are exactly the served ones: every Open311 route in
   townsquare/open311/urls.py, in both formats, is documented, every documented path resolves
   to an Open311 view, and the methods each path answers (its `Allow` header, on a live server)
   are the documented ones;
3. schemathesis generates requests from the document (examples, coverage and fuzzing phases,
   valid and invalid data) against pytest-django's `live_server`, seeded with a council, cases
   in several states, a batch token and an API key, and runs every one of its checks on every
   answer (ADR 72), among them: no 5xx, a documented status, the documented content type, a
   body matching the JSON schema, data the document allows accepted and data it does not
   refused; and ours: the exact content type with `charset=utf-8`, a well-formed XML body with
   the right root, and the error list's codes. tests/open311_fuzzing.py holds the hooks that
   bring in real ids and keys and keep valid cases within the rules between parameters.

The run is bounded (few examples per operation, no shrinking, a fixed seed, derandomized) to
stay around a minute on two cores; raise `MAX_EXAMPLES` locally to fuzz harder, or run the
command line against a live server (docs/api/open311.md, "Fuzzing").
"""

from __future__ import annotations

import http.client
import io
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import schemathesis
import yaml
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.checks import CHECKS, CheckContext, load_all_checks
from schemathesis.core.result import Ok

from tests import open311_fuzzing
from tests.factories import make_staff
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.cases.services import (
    Reporter,
    case_create,
    case_merge_duplicate,
    case_post_public_update,
    case_transition,
)
from townsquare.core.actors import Actor
from townsquare.geo.points import Point
from townsquare.open311 import urls as open311_urls
from townsquare.open311 import views as open311_views
from townsquare.open311.services import NewRequest, request_create

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "api" / "open311.openapi.yaml"
MAX_EXAMPLES = int(os.environ.get("OPEN311_FUZZ_EXAMPLES", "25"))
SEED = 311
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Served routes that are not operations of the Open311 API, so not in the document: the HTML
# page for people, the photo files `media_url` points at (binary, not Open311 JSON/XML), this
# document itself, and the catch-all that answers any other path under /open311/ with an
# Open311 404.
UNDOCUMENTED_ROUTES = {"docs", "media", "openapi", "unknown"}
# urls.py names its path captures for Django; the document uses the Open311 names.
PATH_PARAMETER_NAMES = {
    "code": "service_code",
    "request_id": "service_request_id",
    "token": "token",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


def load_document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def documented_operations() -> dict[str, set[str]]:
    """{path: {METHOD, ...}} as the document lists them."""
    return {
        path: {m.upper() for m in item if m in HTTP_METHODS}
        for path, item in load_document()["paths"].items()
    }


def served_paths() -> set[str]:
    """Every Open311 path urls.py serves, in every format views.py answers, written the way
    the document writes paths."""
    found = set()
    for pattern in open311_urls.urlpatterns:
        if pattern.name in UNDOCUMENTED_ROUTES:
            continue
        regex = pattern.pattern.regex.pattern
        assert regex.startswith("^") and regex.endswith(open311_urls.FMT), (
            f"route {pattern.name!r} ({regex}) does not end with the format suffix"
        )
        template = re.sub(
            r"\(\?P<(\w+)>[^)]*\)",
            lambda m: "{" + PATH_PARAMETER_NAMES.get(m[1], m[1]) + "}",
            regex[1 : -len(open311_urls.FMT)],
        )
        assert "(" not in template and "\\" not in template, template
        found |= {f"/{template}.{fmt}" for fmt in open311_views.FORMATS}
    return found


def sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "SAMPLE-1", path)


# ---- 1 and 2: the document is valid and pinned to the served surface ----------------------------


def test_document_is_valid_openapi_that_schemathesis_loads():
    schema = schemathesis.openapi.from_path(DOCUMENT)
    schema.validate()
    assert schema.specification.version.startswith("3.0")
    operations = list(schema.get_all_operations())
    errors = [result.err() for result in operations if not isinstance(result, Ok)]
    assert not errors, errors
    labels = {result.ok().label for result in operations}
    assert len(labels) == sum(len(m) for m in documented_operations().values())


def test_document_paths_are_exactly_the_served_routes():
    documented = set(documented_operations())
    served = served_paths()
    assert documented - served == set(), "documented but not served"
    assert served - documented == set(), "served but not documented"


@pytest.mark.parametrize("path", sorted(documented_operations()))
def test_every_documented_path_resolves_to_an_open311_view(path):
    try:
        match = resolve(sample_path(path))
    except Resolver404:
        pytest.fail(f"{path} is documented but Django routes nothing there")
    assert match.namespace == "open311", match
    assert match.url_name not in UNDOCUMENTED_ROUTES


def _options(base_url: str, path: str) -> tuple[int, str, str]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("OPTIONS", sample_path(path))
        response = connection.getresponse()
        response.read()
        return (
            response.status,
            response.getheader("Allow", ""),
            response.getheader("Access-Control-Allow-Origin", ""),
        )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_each_path_answers_exactly_the_documented_methods(live_server):
    mismatches = {}
    for path, methods in documented_operations().items():
        status, allow, cors = _options(live_server.url, path)
        assert status == 204 and cors == "*", (path, status, cors)
        served = {m.strip().upper() for m in allow.split(",") if m.strip()} - {"OPTIONS"}
        if served != methods:
            mismatches[path] = {"served": sorted(served), "documented": sorted(methods)}
    assert not mismatches, mismatches


# ---- 3: schemathesis against a live server ------------------------------------------------------


def _path_format(case: schemathesis.Case) -> str:
    return case.operation.path.rsplit(".", 1)[-1]


def _xml_root_for(case: schemathesis.Case) -> str:
    path = case.operation.path
    if "/discovery." in path:
        return "discovery"
    if "/services/" in path:
        return "service_definition"
    if "/services." in path:
        return "services"
    if "/servicerequestupdates." in path:
        return "service_request_updates"
    return "service_requests"  # requests, one request, tokens, and a create's answer


# Statuses the HTTP server in front of the app answers by itself (a request line or headers
# over its limits), before Open311 sees the request: the document gives them no body.
TRANSPORT_STATUSES = {414, 431}


def _from_open311(response: schemathesis.Response) -> bool:
    return response.status_code not in TRANSPORT_STATUSES


def exact_content_type(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """OPEN311.md: `text/xml; charset=utf-8` and `application/json; charset=utf-8`, for the
    answer and the errors alike, chosen by the path's suffix. (schemathesis's own check ignores
    the charset parameter.)"""
    if not _from_open311(response) or (response.status_code == 204 and not response.content):
        return  # OPTIONS: CORS headers, no body
    expected = CONTENT_TYPES[_path_format(case)]
    received = response.headers.get("content-type", [""])
    received = received[0] if isinstance(received, list) else received
    assert received == expected, f"Content-Type {received!r}, expected {expected!r}"


def xml_body(ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """XML answers: the declaration, well-formed, no namespace, the documented root; errors as
    `<errors><error><code>N</code><description>...</description></error></errors>`."""
    if _path_format(case) != "xml" or response.status_code == 204 or not _from_open311(response):
        return
    content = response.content
    assert content.startswith(XML_DECLARATION), content[:80]
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - our own server's output
    except ElementTree.ParseError as exc:
        raise AssertionError(f"malformed XML: {exc}: {content[:300]!r}") from None
    expected = "errors" if response.status_code >= 400 else _xml_root_for(case)
    assert root.tag == expected, f"XML root <{root.tag}>, expected <{expected}>"
    if expected == "errors":
        assert len(root) >= 1, content[:300]
        for error in root:
            assert error.tag == "error", error.tag
            code, description = error.findtext("code"), error.findtext("description")
            assert code is not None and code.isdigit(), content[:300]
            assert int(code) == response.status_code, content[:300]
            assert description and description.strip(), content[:300]


def json_error_code_is_the_status(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """The schema says errors are [{code: integer, description}]; the code is the status."""
    if _path_format(case) != "json" or response.status_code < 400 or not _from_open311(response):
        return
    codes = {item.get("code") for item in response.json() if isinstance(item, dict)}
    assert codes == {response.status_code}, (response.status_code, codes)


def no_server_error(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """OPEN311.md: "No 5xx under fuzzing"."""
    assert response.status_code < 500, (response.status_code, response.content[:300])


def _every_builtin_check() -> list:
    load_all_checks()
    # Functions are the checks of single answers; classes span whole command-line runs.
    return [check for check in CHECKS.get_all() if not isinstance(check, type)]


BUILTIN_CHECKS = _every_builtin_check()
EXTRA_CHECKS = [no_server_error, exact_content_type, xml_body, json_error_code_is_the_status]


def test_every_schemathesis_check_runs():
    names = {check.__name__ for check in BUILTIN_CHECKS}
    assert names >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    }, names


def schemathesis_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": 20,
            # As the repository's schemathesis.toml: the HTTP server's own 414 and 431 refuse too.
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [
                        "400",
                        "401",
                        "403",
                        "404",
                        "405",
                        "406",
                        "409",
                        "414",
                        "415",
                        "422",
                        "428",
                        "429",
                        "431",
                        "5xx",
                    ]
                }
            },
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "no-shrink": True,
                "database": "none",
                "deterministic": True,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            # The coverage phase's boundary values for the search and create parameters run
            # through the same parsing in both formats: once, on the JSON twin, keeps the run short.
            "operations": [
                {
                    "include-operation-id": [
                        "requestsSearchXml",
                        "requestCreateXml",
                        "updatePostXml",
                    ],
                    "phases": {"coverage": {"enabled": False}},
                }
            ],
        }
    )


def _seed(council) -> dict[str, list[str]]:
    """Requests in several states (open, closed with history, merged), with an uploaded photo
    and an external media URL, a queued batch request and an API key; returns the real values
    the fuzzer should also try."""
    staff = Principal.system("openapi tests")
    supervisor = make_staff(council, "supervisor")[1]

    def report(lat: float, lng: float, **kwargs: Any):
        return case_create(
            service_code="pothole",
            actor=staff,
            council=council,
            point=Point(lat, lng),
            values={"depth": "deep"},
            reporter=Reporter(email="seed@example.org"),
            **kwargs,
        )

    photo = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(photo, "PNG")
    plain = report(51.5, -1.5, description="Pothole by the bus stop", photos=[photo.getvalue()])
    addressed = report(
        51.25,
        -1.75,
        description="Ünïcödé — pothole",
        address="1 High Street",
        postcode="TS1 1AA",
        media_urls=["https://example.org/photo.jpg"],
    )
    fixed = report(51.75, -1.25, description="Fixed already")
    case_post_public_update(case=fixed, actor=supervisor, message="Crew booked")
    case_transition(case=fixed, to_state="fixed", actor=supervisor, message="Filled in")
    duplicate = report(51.5, -1.5, description="The same pothole again")
    case_merge_duplicate(duplicate=duplicate, original=plain, actor=supervisor)

    key, raw = api_key_create(council_id=council.id, name="OpenAPI fuzzing", actor=Actor.system())
    batch = request_create(
        council=council,
        key=key,
        service_type="batch",
        photos=[],
        new=NewRequest(
            service_code="school_transport",
            lat=None,
            lng=None,
            area_id=None,
            address="",
            description="",
            values={"child_name": "Sam", "sen": "no"},
            reporter={"name": "", "email": "", "phone": ""},
        ),
    )
    return {
        "service_request_id": [c.reference for c in (plain, addressed, fixed, duplicate)],
        "service_code": ["pothole", "school_transport"],
        "token": [batch.token],
        "api_key": [raw],
        "jurisdiction_id": [council.jurisdiction_id],
        "create": {
            "api_key": raw,
            "service_code": "pothole",
            "lat": 51.5,
            "long": -1.5,
            "attribute[depth]": "shallow",
        },
    }


# The schema is loaded at import and parametrized per operation with `SCHEMA.parametrize()`;
# `schemathesis.pytest.from_fixture` would fit a live server better but fails under pytest 9.2
# (schemathesis 4.32.5 sets `Function._nodeid`, which pytest 9.2 no longer has). So the base
# URL is given per call, and the real ids, token and key of the current test's data reach the
# hooks (tests/open311_fuzzing.py) through its REAL, filled per test by `seeded`.
REAL = open311_fuzzing.REAL
SCHEMA = schemathesis.openapi.from_path(DOCUMENT, config=schemathesis_config())
open311_fuzzing.install(SCHEMA.hook)


@pytest.fixture
def seeded(council):
    REAL.clear()
    REAL.update(_seed(council))
    yield REAL
    REAL.clear()


@pytest.mark.django_db(transaction=True)
@SCHEMA.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_live_server_conforms_to_the_document(case, live_server, seeded):
    case.call_and_validate(
        base_url=live_server.url, checks=BUILTIN_CHECKS, additional_checks=EXTRA_CHECKS
    )
