"""The REST API's committed document (docs/api/openapi-v1.json) is true of a live server
under schemathesis (ADR 121): every check of single answers runs on every generated request
(no 5xx, documented statuses, content types, headers and schemas, data the document refuses
refused), with a key of the seeded council and, often, real references and webhook ids in
place of random ones, so the 200 answers are checked too.

Data the document allows can still break a rule it cannot state (a transition the workflow
does not have, a point outside the council) or be a cursor the API never gave (cursors are
opaque): the API answers those 422 or 400, so `positive_data_acceptance` counts 400, 404,
409, 412 and 422 as acceptance of the form.

A second test follows the document's links (ADR 160): create a case, then read, move on,
assign, update and annotate it, and rotate a registered webhook's secret, every check on
every answer.

Both runs are bounded for CI (ADR 160): API_FUZZ_EXAMPLES examples per operation (10) and
API_FUZZ_SCENARIOS stateful scenarios (10), fixed seed. `make api-fuzz` runs 1,000 of each
(bench/RESULTS.md records the last run).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
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
SCENARIOS = int(os.environ.get("API_FUZZ_SCENARIOS", "10"))
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "429"]

REAL: dict[str, Any] = {}
VALID_CASE = {"service_code": "pothole", "lat": 51.5, "lng": -1.5, "values": {"depth": "deep"}}


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
                "stateful": {"enabled": True},
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
            # The key is a test key, which changes only test cases (ADR 158).
            is_test=True,
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
    seen = (sorted((case.path_parameters or {}).items()), repr(case.body))
    digest = hashlib.sha256(repr(seen).encode()).digest()
    return digest[0] % 4


_CHANGES = ("transition", "assign", "public-updates", "notes")
# Each walk covers the operations one family of links joins, and must end by following them:
# among every operation of the API (or of both families at once), ten scenarios chosen from the
# server's answers may never start at a create, and which they reach varies from run to run.
LINKED = {
    "cases": (
        r"^/api/v1/cases(/\{reference\}(/(transition|assign|public-updates|notes))?)?$",
        {f"POST /api/v1/cases/{{reference}}/{change}" for change in _CHANGES},
    ),
    "webhooks": (
        r"^/api/v1/webhooks(/\{endpoint_id\}/rotate-secret)?$",
        {"POST /api/v1/webhooks/{endpoint_id}/rotate-secret"},
    ),
}


@pytest.mark.parametrize("family", sorted(LINKED))
@pytest.mark.django_db(transaction=True)
def test_live_server_follows_the_documents_links(live_server, seeded, record_property, family):
    key = seeded["key"]
    answered: Counter[tuple[str, int]] = Counter()
    scenarios = [0]
    paths, ends = LINKED[family]
    linked = SCHEMA.include(path_regex=paths)

    class Workflow(linked.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            scenarios[0] += 1

        def before_call(self, case):
            # As in the test above: the key always, and mostly bodies that can succeed (a
            # service the council has, a point inside it, a receiver the guard lets through),
            # so the scenarios get past the create to the links.
            # Never where schemathesis made that part invalid on purpose (as above).
            meta = case.meta
            negative_headers = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
            if not negative_headers or "Authorization" in (case.headers or {}):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            if not negative_headers and _use_real(case) and case.headers:
                # A generated If-Match names no revision of the case: mostly leave it out,
                # so the change is made and its answer checked.
                case.headers.pop("If-Match", None)
            body = case.body if isinstance(case.body, dict) else None
            negative_body = meta is not None and meta.is_negative_at(ParameterLocation.BODY)
            if body is None or negative_body or not _use_real(case):
                return
            if case.operation.label == "POST /api/v1/cases":
                body.update(VALID_CASE)
            elif case.operation.label == "POST /api/v1/webhooks":
                body["url"] = f"http://127.0.0.1:9/{_use_real(case)}"
                body["event_types"] = []

        def after_call(self, response, case):
            answered[(case.operation.label, response.status_code)] += 1

        def get_call_kwargs(self, case):
            headers = {"Authorization": f"Bearer {key}"}
            return {"base_url": live_server.url, "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS_OF_ANSWERS, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            # The server keeps what each scenario made, so a replay is not the same scenario:
            # report the failure as found, unshrunk.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # What ran, for the record of a full-strength run (--junitxml).
    record_property("scenarios", scenarios[0])
    record_property("calls", sum(answered.values()))
    # The links were followed to the end: a created case was changed, or a registered
    # webhook's secret rotated.
    followed = {label for (label, status) in answered if status == 200}
    assert followed & ends, answered
