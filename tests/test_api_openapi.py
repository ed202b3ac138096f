"""The REST API's committed document (docs/api/openapi-v1.json) is true of a live server
under schemathesis (ADR 121): every check of single answers runs on every generated request
(no 5xx, documented statuses, content types, headers and schemas, data the document refuses
refused), with a key of the seeded council and, often, real references and webhook ids in
place of random ones, so the 200 answers are checked too.

Data the document allows can still break a rule it cannot state (a transition the workflow
does not have, a point outside the council) or be a cursor the API never gave (cursors are
opaque): the API answers those 422 or 400, so `positive_data_acceptance` counts 400, 404,
409, 412 and 422 as acceptance of the form. The run
is bounded for CI (API_FUZZ_EXAMPLES, 10 per operation, fixed seed); raise it to fuzz harder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation

from tests.open311_support import tiny_png
from townsquare.accounts.models import Scope
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.cases.services import Reporter, case_attach_file, case_create
from townsquare.catalogue.builder import draft_from_service
from townsquare.catalogue.selectors import service_get
from townsquare.core.actors import Actor
from townsquare.councils.selectors import areas_of_council, teams_of_council
from townsquare.geo.points import Point
from townsquare.messaging.services import webhook_endpoint_add

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi-v1.json"
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "429"]

REAL: dict[str, Any] = {}


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 121,
            "request-timeout": 20,
            "checks": {
                "negative_data_rejection": {"expected-statuses": REFUSALS},
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "304", "400", "404", "409", "412", "422"]
                },
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
        }
    )


SCHEMA = schemathesis.openapi.from_path(DOCUMENT, config=_config())


def _checks() -> list:
    load_all_checks()
    return [check for check in CHECKS.get_all() if not isinstance(check, type)]


CHECKS_OF_ANSWERS = _checks()


@pytest.fixture
def seeded(council, settings, tmp_path):
    # Fuzzing is many calls a second: the limit has its own test (tests/test_api_v1.py).
    settings.API_RATE_BURST = 1_000_000
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = tmp_path
    cases = [
        case_create(
            council=council,
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5, -1.5),
            values={"depth": "deep"},
            reporter=Reporter(name="Sam", email="sam@example.org"),
        )
        for _ in range(2)
    ]
    admin = Principal(user_id=None, label="tests", roles={council.id: "council_admin"})
    endpoint = webhook_endpoint_add(council=council, url="http://127.0.0.1:9/h", actor=admin)
    _key, raw = api_key_create(
        council_id=council.id,
        name="Fuzzing",
        actor=Actor.system("tests"),
        scopes=[s.value for s in Scope],
        key_type="test",
    )
    photo = case_attach_file(
        case=cases[0], actor=admin, data=tiny_png(), name="p.png", is_public=True
    )
    pothole = service_get(council=council, code="pothole")
    drafts = [
        draft_from_service(council=council, service_id=pothole.id, actor=admin) for _ in range(2)
    ]
    REAL.clear()
    REAL.update(
        key=raw,
        reference=[c.reference for c in cases],
        endpoint_id=[endpoint.id],
        attachment_id=[photo.id],
        service_code=["pothole"],
        number=[1],
        draft_id=[d.id for d in drafts],
        team_id=[t.id for t in teams_of_council(council_id=council.id)],
        area_id=[a.id for a in areas_of_council(council_id=council.id)],
    )
    yield REAL
    REAL.clear()


@pytest.mark.django_db(transaction=True)
@SCHEMA.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_live_server_conforms_to_the_document(case, live_server, seeded):
    # The seeded key, and often real references and webhook ids, make the generated requests
    # reach past 401 and 404 to the answers that matter. Never where schemathesis made that
    # part invalid on purpose: a request it generated without a key stays without one.
    meta = case.meta
    negative_headers = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
    negative_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    headers = {}
    if not negative_headers or "Authorization" in (case.headers or {}):
        headers["Authorization"] = f"Bearer {seeded['key']}"
    if case.path_parameters and not negative_path and _use_real(case):
        for name in case.path_parameters:
            if seeded.get(name):
                case.path_parameters[name] = seeded[name][_use_real(case) % len(seeded[name])]
    case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS_OF_ANSWERS)


def _use_real(case) -> int:
    """Deterministic: 0 (keep the generated values) for about one case in four, else an
    index into the real ones."""
    digest = hashlib.sha256(repr(sorted(case.path_parameters.items())).encode()).digest()
    return digest[0] % 4
