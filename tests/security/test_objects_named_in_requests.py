"""Council B's objects named in a form, a query or a body, by council A's staff and keys
(issue 23): the cross-council probe's other half (tests/security/test_cross_council_probe.py
probes the objects named in addresses).

A form that names another council's team, person, key or case is refused by the form (a 400, or
a redirect with the error shown), not by the route: what must hold is that nothing changed,
neither council B's objects nor council A's case, and that no answer shows council B's cases
(ADR 150). Open311 refuses a key of another council with 403, as GeoReport v2 says.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.probing import keyed, shown_of, signed_in
from townsquare.accounts.models import ApiKey, KeyType, Role
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.geo.points import Point
from townsquare.messaging.models import Subscription

pytestmark = pytest.mark.django_db

ERRORS = range(500, 600)


@pytest.fixture
def ours(council):
    return case_create(
        council=council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        reporter=Reporter(email="lee@example.org"),
    )


def _case_fields(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.team_id, case.assignee_id, case.duplicate_of_id, case.state, case.revision)


def test_council_a_cannot_act_on_council_b_through_a_form_or_body(
    council, other_council, council_b, ours
):
    team, member, key = council_b.team_id, council_b.staff_user_id, council_b.api_key_id
    staff = {role: signed_in(council, role) for role in Role.values}
    keys = {kind: keyed(council, kind) for kind in KeyType.values}
    mine = f"/staff/cases/{ours.reference}"
    forms = [
        (f"{mine}/assign", {"team": team}),
        (f"{mine}/assign", {"assignee": member}),
        *((f"{mine}/merge", {"original": ref}) for ref in council_b.case_references[:2]),
        *((f"{mine}/link", {"related": ref}) for ref in council_b.case_references[:2]),
        *(
            ("/staff/cases/bulk", {"case": ref, "action": "note", "message": "Seen"})
            for ref in council_b.case_references[:2]
        ),
        ("/staff/cases/bulk", {"case": ours.reference, "action": "assign", "team": team}),
        ("/staff/cases/bulk", {"case": ours.reference, "action": "assign", "assignee": member}),
        ("/staff/messaging/watch", {"team": team}),
        ("/staff/council", {"council": other_council.id}),
        ("/staff/admin/staff", {"op": "change", "user": member, "role": "council_admin"}),
        ("/staff/admin/staff", {"op": "remove", "user": member}),
        ("/staff/admin/staff", {"op": "reset", "user": member}),
        ("/staff/admin/api-keys", {"op": "rotate", "key": key}),
        ("/staff/admin/api-keys", {"op": "revoke", "key": key}),
    ]
    bodies = [
        (f"/api/v1/cases/{ours.reference}/assign", {"team_id": team}),
        (f"/api/v1/cases/{ours.reference}/assign", {"assignee_id": member}),
        ("/api/v1/cases", {"service_code": "pothole", "lat": 51.5, "lng": 0.5}),
        ("/api/v1/cases", {"service_code": "school_transport", "lat": 51.5, "lng": 0.5}),
    ]
    listings = [
        *(f"/staff/cases/?{name}={value}" for name, value in _filters(council_b)),
        "/staff/cases/?status=all",
        "/staff/cases/workload",
        "/staff/audit/",
        "/staff/messaging/dead-letters",
        "/staff/messaging/webhooks",
        "/staff/admin/staff",
        "/staff/admin/api-keys",
    ]
    api_listings = [
        f"/api/v1/cases?status=all&team={team}",
        f"/api/v1/cases?status=all&ward={council_b.samples['area_id'][0]}",
        "/api/v1/cases?status=all",
        "/api/v1/webhooks",
    ]
    before = (council_b.events(), council_b.keys_and_members(), _case_fields(ours), _watching())

    problems, count = [], 0
    for role, client in staff.items():
        for url, form in forms:
            count += 1
            status = client.post(url, form).status_code
            if status in ERRORS or 200 <= status < 300:
                problems.append(f"{status} POST {url} {form} as council A {role}")
        for url in listings:
            count += 1
            problems += _shows_theirs(client.get(url), f"GET {url} as council A {role}", council_b)
    for kind, client in keys.items():
        for url, body in bodies:
            count += 1
            status = client.post(url, body, content_type="application/json").status_code
            # A test key changes only its own test cases (ADR 158): on A's real case, a 403.
            refusals = (400, 404, 422, 403) if kind == "test" else (400, 404, 422)
            if status not in refusals:
                problems.append(f"{status} POST {url} {body} with council A's {kind} key")
        for url in api_listings:
            count += 1
            problems += _shows_theirs(client.get(url), f"GET {url} with {kind} key", council_b)

    after = (council_b.events(), council_b.keys_and_members(), _case_fields(ours), _watching())
    assert problems == [], f"{len(problems)} of {count} requests:\n" + "\n".join(problems)
    assert after == before, "a request changed council B's objects, or tied council A's to them"


def test_open311_refuses_a_key_for_another_councils_requests(council, other_council, council_b):
    raw = keyed(council).defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    report, application = council_b.case_references[:2]
    where = {"lat": "51.5", "long": "0.5", "service_code": "pothole", "description": "Hole"}
    client = Client(raise_request_exception=False)
    expected = [
        # GeoReport v2: a key that is not valid for the jurisdiction is a 403.
        (
            "post",
            "/open311/v2/requests.json",
            {**where, "api_key": raw, "jurisdiction_id": other_council.jurisdiction_id},
            403,
        ),
        # Without a jurisdiction, the key's own council: the point is outside it.
        ("post", "/open311/v2/requests.json", {**where, "api_key": raw}, 400),
        (
            "post",
            "/open311/v2/servicerequestupdates.json",
            {"api_key": raw, "service_request_id": report, "update_id": "u1", "status": "fixed"},
            403,
        ),
        # A private application is not there at all for Open311.
        (
            "post",
            "/open311/v2/servicerequestupdates.json",
            {
                "api_key": raw,
                "service_request_id": application,
                "update_id": "u2",
                "status": "fixed",
            },
            404,
        ),
        ("get", f"/open311/v2/requests/{application}.json", {}, 404),
        ("get", f"/open311/v2/requests/{application}.xml", {}, 404),
        *(
            ("get", f"/open311/v2/media/{attachment}", {}, 404)
            for attachment in council_b.samples["attachment_id"]
        ),
    ]
    before = (council_b.events(), ApiKey.objects.count())
    answers = [
        (method, url, getattr(client, method)(url, data).status_code, status)
        for method, url, data, status in expected
    ]
    wrong = [f"{got} (not {want}) {m.upper()} {u}" for m, u, got, want in answers if got != want]
    assert wrong == [], "\n".join(wrong)
    assert (council_b.events(), ApiKey.objects.count()) == before


def _filters(council_b) -> list[tuple[str, object]]:
    return [
        ("team", council_b.team_id),
        ("area", council_b.samples["area_id"][0]),
        ("service", council_b.samples["service_id"][0]),
        ("assignee", council_b.staff_user_id),
    ]


def _shows_theirs(response, request: str, council_b) -> list[str]:
    if response.status_code in ERRORS:
        return [f"{response.status_code} {request}"]
    shown = shown_of(response, council_b.case_references)
    return [f"{request} shows council B's {shown}"] if shown else []


def _watching() -> list[tuple]:
    return sorted(Subscription.objects.values_list("user_id", "council_id", "team_id"))
