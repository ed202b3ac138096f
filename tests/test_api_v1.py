"""The REST API, version 1 (ADR 120, 121): keys, scopes, problem details, ETags, paging,
idempotency, rate limits and the call log, through the HTTP interface as clients see it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from townsquare.accounts.models import ApiKey, Scope
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create, api_key_revoke, api_key_rotate
from townsquare.api.models import ApiCall, IdempotentRequest
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.councils.models import Team
from townsquare.geo.points import Point
from townsquare.messaging.models import WebhookEndpoint

ALL = [s.value for s in Scope]
# A longitude inside each test council (conftest's squares).
MIDDLE_LNG = {"testshire": -1.5, "otherton": 0.5}


def key_for(council, scopes=ALL, key_type="live", **kwargs) -> str:
    return api_key_create(
        council_id=council.id,
        name="Back office",
        actor=Actor.system("tests"),
        key_type=key_type,
        scopes=scopes,
        **kwargs,
    )[1]


def client_for(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def report(council, **kwargs) -> Case:
    return case_create(
        council=council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, MIDDLE_LNG[council.slug]),
        values={"depth": "deep"},
        reporter=Reporter(name="Pat Reporter", email="pat@example.org", phone="07700900123"),
        **kwargs,
    )


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:townsquare:problem:")
    return body


def test_a_key_reads_its_councils_cases_and_no_others(council, other_council):
    mine, theirs = report(council), report(other_council)
    api = client_for(key_for(council))
    listed = api.get("/api/v1/cases").json()
    assert [c["reference"] for c in listed["items"]] == [mine.reference]
    assert api.get(f"/api/v1/cases/{mine.reference}").status_code == 200
    is_problem(api.get(f"/api/v1/cases/{theirs.reference}"), 404)


def test_errors_are_problem_details_never_html(council, settings):
    api = client_for(key_for(council))
    is_problem(Client().get("/api/v1/cases"), 401)
    is_problem(client_for("ts_live_nonsense").get("/api/v1/cases"), 401)
    is_problem(api.get("/api/v1/no-such-thing"), 404)
    is_problem(api.delete("/api/v1/cases"), 405)
    is_problem(api.get("/api/v1/cases", {"limit": "lots"}), 422)
    is_problem(api.get("/api/v1/cases", {"updated_after": "yesterday"}), 422)
    # A time without an offset is not RFC 3339.
    is_problem(api.get("/api/v1/cases", {"updated_after": "2026-01-01T00:00:00"}), 422)
    is_problem(api.get("/api/v1/cases", {"cursor": "!!"}), 400)
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    is_problem(api.post("/api/v1/cases", too_big, content_type="application/json"), 413)
    # Every field of an assignment is optional: a list is still not an assignment.
    case = report(council)
    is_problem(
        api.post(f"/api/v1/cases/{case.reference}/assign", [None], content_type="application/json"),
        422,
    )
    bad_json = api.post("/api/v1/cases", "{not json", content_type="application/json")
    assert bad_json.status_code in (400, 422) and bad_json["Content-Type"] == (
        "application/problem+json"
    )


def test_a_key_without_personal_scope_sees_no_personal_data(council):
    case = report(council)
    public = client_for(key_for(council, scopes=["read_public"]))
    personal = client_for(key_for(council, scopes=["read_public", "read_personal"]))
    seen = public.get(f"/api/v1/cases/{case.reference}").json()
    assert seen["reporter"] is None
    assert "pat@example.org" not in json.dumps(seen)
    full = personal.get(f"/api/v1/cases/{case.reference}").json()
    assert full["reporter"]["email"] == "pat@example.org"


def test_cursor_paging_walks_every_case_once(council):
    made = {report(council).reference for _ in range(5)}
    api = client_for(key_for(council))
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/cases", {"limit": 2, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        seen += [c["reference"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)


def test_filters(council):
    overdue, fresh = report(council), report(council)
    Case.objects.filter(pk=overdue.pk).update(resolve_due_at=clock.now() - dt.timedelta(days=1))
    api = client_for(key_for(council))

    def refs(**query):
        return {c["reference"] for c in api.get("/api/v1/cases", query).json()["items"]}

    assert refs(overdue="true") == {overdue.reference}
    assert refs(overdue="false") == {fresh.reference}
    assert refs(service="pothole") == {overdue.reference, fresh.reference}
    assert refs(service="no-such-service") == set()
    assert refs(assigned="false") == {overdue.reference, fresh.reference}
    team = Team.objects.get(council=council, code="highways")
    assert refs(team=team.id) == {overdue.reference, fresh.reference}
    later = (clock.now() + dt.timedelta(hours=1)).isoformat()
    assert refs(updated_after=later) == set()
    times = api.get("/api/v1/cases").json()["items"][0]
    # RFC 3339, in UTC.
    assert times["created_at"].endswith("Z") and "T" in times["created_at"]


def test_move_on_with_if_match_and_etags(council):
    case = report(council)
    api = client_for(key_for(council))
    read = api.get(f"/api/v1/cases/{case.reference}")
    etag = read["ETag"]
    assert api.get(f"/api/v1/cases/{case.reference}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    moved = api.post(
        f"/api/v1/cases/{case.reference}/transition",
        {"to_state": "in_progress", "message": "On our list"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == "in_progress"
    # The old ETag is now stale: the change is refused, not made over someone else's.
    stale = api.post(
        f"/api/v1/cases/{case.reference}/public-updates",
        {"message": "Again"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    is_problem(stale, 412)
    is_problem(
        api.post(
            f"/api/v1/cases/{case.reference}/transition",
            {"to_state": "nowhere"},
            content_type="application/json",
        ),
        422,
    )


def test_assign_public_update_and_note(council):
    case = report(council)
    api = client_for(key_for(council))
    team = Team.objects.get(council=council, code="education")
    url = f"/api/v1/cases/{case.reference}"
    out = api.post(f"{url}/assign", {"team_id": team.id}, content_type="application/json")
    assert out.json()["team_id"] == team.id
    is_problem(api.post(f"{url}/assign", {"team_id": 999999}, content_type="application/json"), 422)
    api.post(f"{url}/public-updates", {"message": "Crew booked"}, content_type="application/json")
    noted = api.post(f"{url}/notes", {"note": "Called Pat"}, content_type="application/json")
    kinds = [e["kind"] for e in noted.json()["timeline"]]
    assert "case.public_update" in kinds and "case.internal_note" in kinds
    # A key that may not read personal data sees the public timeline only.
    public = client_for(key_for(council, scopes=["read_public"]))
    kinds = [e["kind"] for e in public.get(url).json()["timeline"]]
    assert "case.internal_note" not in kinds


def test_create_is_idempotent(council):
    raw = key_for(council)
    api = client_for(raw)
    body = {"service_code": "pothole", "lat": 51.5, "lng": -1.5, "values": {"depth": "deep"}}

    def create(key: str, payload=body):
        return api.post(
            "/api/v1/cases", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
        )

    first = create("abc")
    assert first.status_code == 201, first.content
    again = create("abc")
    assert again.status_code == 201 and again.json()["reference"] == first.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.filter(council=council).count() == 1
    is_problem(create("abc", {**body, "description": "Different"}), 422)
    assert IdempotentRequest.objects.count() == 1
    assert create("def").json()["reference"] != first.json()["reference"]


def test_a_test_keys_cases_are_tests(council):
    api = client_for(key_for(council, key_type="test"))
    made = api.post(
        "/api/v1/cases",
        {"service_code": "pothole", "lat": 51.5, "lng": -1.5, "values": {"depth": "deep"}},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert Case.objects.get(reference=made.json()["reference"]).is_test


def test_webhooks_register_list_rotate(council, settings):
    # Tests look up no names; a receiver on this machine stands in for the client's.
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    api = client_for(key_for(council))
    made = api.post(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["case.transitioned"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    listed = api.get("/api/v1/webhooks").json()
    assert [w["url"] for w in listed] == ["http://127.0.0.1:9/hooks"]
    assert "secret" not in listed[0]
    rotated = api.post(f"/api/v1/webhooks/{made.json()['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != secret
    is_problem(
        api.post("/api/v1/webhooks", {"url": "http://10.0.0.1/x"}, content_type="application/json"),
        422,
    )
    assert WebhookEndpoint.objects.filter(council=council).count() == 1


def test_rate_limit_answers_429_with_retry_after(council, settings, interval_clock):
    settings.API_RATE_BURST = 3
    settings.API_RATE_PER_SECOND = 0.5
    api = client_for(key_for(council))
    # The bucket refills by the shared clock, held still by `interval_clock` (ADRs 14, 133),
    # so the answers do not depend on how long the requests take.
    codes = [api.get("/api/v1/services").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get("/api/v1/services")
    is_problem(refused, 429)
    assert refused["Retry-After"] == "2"
    interval_clock.advance(2)
    assert api.get("/api/v1/services").status_code == 200
    assert api.get("/api/v1/services").status_code == 429


def test_every_call_is_logged_with_its_key(council):
    raw = key_for(council)
    api = client_for(raw)
    api.get("/api/v1/services")
    api.get("/api/v1/cases/TST-00-1")
    calls = list(ApiCall.objects.order_by("id").values_list("method", "path", "status"))
    assert calls == [("GET", "/api/v1/services", 200), ("GET", "/api/v1/cases/TST-00-1", 404)]
    key = ApiKey.objects.get(council=council)
    assert key.last_used_at is not None


def test_writes_name_the_key_in_the_audit_trail(council):
    from townsquare.core.models import Event

    case = report(council)
    api = client_for(key_for(council))
    api.post(
        f"/api/v1/cases/{case.reference}/notes", {"note": "x"}, content_type="application/json"
    )
    event = Event.objects.filter(kind="case.internal_note").get()
    assert event.actor_kind == "api" and event.actor_label.startswith("API key: Back office")


def test_expired_revoked_and_rotated_keys(council, settings, monkeypatch):
    raw = key_for(council)
    key = ApiKey.objects.get(council=council)
    new, new_raw = api_key_rotate(
        key=key, actor=Actor.system("tests"), overlap=dt.timedelta(hours=1)
    )
    # Both work during the overlap...
    assert client_for(raw).get("/api/v1/services").status_code == 200
    assert client_for(new_raw).get("/api/v1/services").status_code == 200
    # ...and the old one stops when it ends.
    later = clock.now() + dt.timedelta(hours=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    is_problem(client_for(raw).get("/api/v1/services"), 401)
    api_key_revoke(key=new, actor=Actor.system("tests"))
    is_problem(client_for(new_raw).get("/api/v1/services"), 401)


def test_the_document_and_reference_page_are_served():
    client = Client()
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.1")
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"openapi.json" in page.content
    # Served from here (ninja is an installed app), not from a CDN.
    assert b"cdn." not in page.content and b"/static/ninja/" in page.content


@pytest.mark.parametrize("overlap_hours", [-1, 24 * 31])
def test_rotation_overlap_is_bounded(council, overlap_hours):
    from townsquare.core.errors import InvalidInput

    key_for(council)
    key = ApiKey.objects.get(council=council)
    with pytest.raises(InvalidInput):
        api_key_rotate(
            key=key, actor=Actor.system("tests"), overlap=dt.timedelta(hours=overlap_hours)
        )


@pytest.mark.django_db(transaction=True)
def test_the_bucket_holds_across_connections(council, settings):
    """Two threads, each with its own database connection as two processes would have, spend
    one key's bucket at once: exactly the burst is allowed, never more."""
    import threading

    from django.db import connection

    from townsquare.api.store import rate_take

    settings.API_RATE_BURST = 10
    settings.API_RATE_PER_SECOND = 0.000001  # no refill to speak of during the test
    key_for(council)
    key = ApiKey.objects.get(council=council)
    allowed: list[bool] = []
    start = threading.Barrier(2)

    def spend():
        try:
            start.wait()
            for _ in range(15):
                allowed.append(rate_take(key=key).allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 30
    assert allowed.count(True) == 10
