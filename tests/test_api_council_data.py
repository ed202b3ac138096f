"""REST API v1: the key's council, teams, areas, open data, dashboard figures, webhook
delivery log and the event feed (ADR 155, 156), each as the staff web or open data pages
give it, and only the key's council's."""

from __future__ import annotations

from django.test import Client

from tests.test_api_v1 import client_for, is_problem, key_for, report
from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_add_internal_note
from townsquare.core import clock
from townsquare.councils.public_pages import public_pages_set
from townsquare.councils.selectors import teams_of_council
from townsquare.insights.selectors import dashboard_get, default_filters
from townsquare.messaging.models import Attempt, Message, Status
from townsquare.messaging.services import webhook_endpoint_add


def admin_of(council) -> Principal:
    return Principal(user_id=None, label="Council admin", roles={council.id: "council_admin"})


def test_the_council_with_its_public_settings_only(council, other_council):
    public_pages_set(
        council=council,
        values={
            "contact_email": "help@testshire.gov.uk",
            "phase": "live",
            "accessibility_compliance": "full",
        },
        actor=admin_of(council),
    )
    body = client_for(key_for(council, scopes=["read_public"])).get("/api/v1/council").json()
    assert (body["name"], body["slug"], body["reference_prefix"]) == (
        "Testshire Council",
        "testshire",
        "TST",
    )
    assert body["public_pages"]["contact_email"] == "help@testshire.gov.uk"
    assert body["public_pages"]["phase"] == "live"
    theirs = client_for(key_for(other_council)).get("/api/v1/council").json()
    assert theirs["slug"] == "otherton"


def test_teams_and_areas_with_boundaries(council, other_council):
    api = client_for(key_for(council, scopes=["read_public"]))
    teams = api.get("/api/v1/teams").json()
    assert [t["name"] for t in teams] == ["Education", "Highways"]
    assert api.get(f"/api/v1/teams/{teams[0]['id']}").json() == teams[0]
    areas = api.get("/api/v1/areas").json()
    assert [a["name"] for a in areas] == ["East ward", "West ward"]
    assert "boundary" not in areas[0]
    east = api.get(f"/api/v1/areas/{areas[0]['id']}").json()
    assert east["boundary"]["type"] in ("Polygon", "MultiPolygon")
    assert east["boundary"]["coordinates"]
    # Another council's team and area are not found, as its cases are not.
    theirs = teams_of_council(council_id=other_council.id)[0]
    is_problem(api.get(f"/api/v1/teams/{theirs.id}"), 404)
    their_area = client_for(key_for(other_council)).get("/api/v1/areas").json()[0]
    is_problem(api.get(f"/api/v1/areas/{their_area['id']}"), 404)


def test_open_data_is_the_open_data_pages_download(council, other_council):
    report(council)
    report(council)
    report(other_council)
    api = client_for(key_for(council, scopes=["read_public"]))
    sets = api.get("/api/v1/open-data").json()
    assert sets[0]["name"] == "cases" and "csv" in sets[0]["formats"]
    for fmt in ("csv", "geojson", "jsonl"):
        answer = api.get("/api/v1/open-data/cases", {"format": fmt})
        assert answer.status_code == 200
        mine = b"".join(answer.streaming_content)
        page = Client().get(f"/open-data/testshire.{fmt}")
        assert mine == b"".join(page.streaming_content)
        assert answer["Content-Type"] == page["Content-Type"]
        # The open data minimisation: nothing of who reported, whatever the key's scopes.
        assert b"pat@example.org" not in mine and b"Pat Reporter" not in mine
        assert b"OTH-" not in mine
    is_problem(api.get("/api/v1/open-data/cases", {"format": "xlsx"}), 422)


def test_dashboard_figures_are_the_staff_dashboards(council):
    for _ in range(3):
        report(council)
    api = client_for(key_for(council, scopes=["read_public"]))
    body = api.get("/api/v1/insights/dashboard").json()
    board = dashboard_get(council=council, filters=default_filters(council=council))
    assert body["totals"]["received"] == board.totals.opened == 3
    assert body["open_at_end"] == 3
    assert sum(d["received"] for d in body["daily"]) == 3
    assert [(c["service_code"], c["received"]) for c in body["categories"]] == [("pothole", 3)]
    one = api.get("/api/v1/insights/dashboard", {"service": "pothole"}).json()
    assert one["totals"]["received"] == 3
    refused = is_problem(
        api.get("/api/v1/insights/dashboard", {"start": "2026-02-01", "end": "2026-01-01"}), 422
    )
    assert "start" in refused["errors"]
    assert (
        "service"
        in is_problem(api.get("/api/v1/insights/dashboard", {"service": "no-such"}), 422)["errors"]
    )
    # Figures are compared with the year before, which year 1 has not.
    early = {"start": "0001-01-01", "end": "0001-01-02"}
    assert "start" in is_problem(api.get("/api/v1/insights/dashboard", early), 422)["errors"]
    assert (
        "team" in is_problem(api.get("/api/v1/insights/dashboard", {"team": 2**40}), 422)["errors"]
    )


def test_webhook_deliveries_page_newest_first_with_response_codes(council, settings):
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    endpoint = webhook_endpoint_add(
        council=council, url="http://127.0.0.1:9/h", actor=admin_of(council)
    )
    now = clock.now()
    made = []
    for n, code in enumerate((200, 500, 204)):
        message = Message.objects.create(
            idempotency_key=f"hook-{n}",
            event_id=100 + n,
            council=council,
            endpoint=endpoint,
            channel="webhook",
            recipient=endpoint.url,
            template="case.created",
            status=Status.SENT if code < 300 else Status.FAILED,
            attempts=1,
            next_attempt_at=now,
            created_at=now,
        )
        Attempt.objects.create(
            message=message, at=now, outcome="sent" if code < 300 else "retry", status_code=code
        )
        made.append(message.id)
    api = client_for(key_for(council, scopes=["admin"]))
    first = api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries", {"limit": 2}).json()
    assert [d["id"] for d in first["items"]] == made[::-1][:2]
    assert [d["response_code"] for d in first["items"]] == [204, 500]
    assert first["items"][1]["log"][0]["outcome"] == "retry"
    rest = api.get(
        f"/api/v1/webhooks/{endpoint.id}/deliveries", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [d["id"] for d in rest["items"]] == [made[0]]
    assert rest["next_cursor"] is None
    is_problem(api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries", {"cursor": "nonsense"}), 400)


def _feed(api: Client, **params) -> list[dict]:
    """Every event the feed gives, following its cursor until it says there is no more."""
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/events", {**params, **({"after": cursor} if cursor else {})})
        assert page.status_code == 200, page.content
        body = page.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen


def test_the_event_feed_resumes_from_its_cursor(council, other_council):
    case = report(council)
    report(other_council)
    api = client_for(key_for(council, scopes=["admin", "read_personal"]))
    events = _feed(api, limit=1)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {e["reference"] for e in events if e["stream"] == "case"} == {case.reference}
    # Nothing new: the same cursor back, never null, so a warehouse keeps polling with it.
    last = api.get("/api/v1/events", {"limit": 1000}).json()
    quiet = api.get("/api/v1/events", {"after": last["next_cursor"]}).json()
    assert quiet == {"items": [], "next_cursor": last["next_cursor"], "has_more": False}
    case_add_internal_note(case=case, actor=admin_of(council), note="Rang Pat back")
    news = api.get("/api/v1/events", {"after": last["next_cursor"]}).json()
    assert [e["kind"] for e in news["items"]] == ["case.internal_note"]
    assert news["items"][0]["payload"]["note"] == "Rang Pat back"
    is_problem(api.get("/api/v1/events", {"after": "not-a-cursor"}), 400)


def test_the_event_feed_filters_by_type_and_time(council):
    report(council)
    api = client_for(key_for(council, scopes=["admin"]))
    everything = _feed(api)
    assert {e["kind"] for e in _feed(api, type="case.created")} == {"case.created"}
    assert all(e["kind"].startswith("case.") for e in _feed(api, type="case."))
    since = everything[-1]["at"]
    assert [e["id"] for e in _feed(api, since=since)][-1] == everything[-1]["id"]
    assert all(e["at"] >= since for e in _feed(api, since=since))
    is_problem(api.get("/api/v1/events", {"since": "yesterday"}), 422)
    is_problem(api.get("/api/v1/events", {"since": "0001-01-01T00:00:00+14:00"}), 422)


def test_the_event_feed_withholds_personal_data_without_the_scope(council):
    case = report(council)
    case_add_internal_note(case=case, actor=admin_of(council), note="Rang Pat back")
    plain = _feed(client_for(key_for(council, scopes=["admin"])))
    assert {e["visibility"] for e in plain} == {"public"}
    assert "Rang Pat back" not in str(plain)
    assert all(e["actor_user_id"] is None for e in plain)
    personal = _feed(client_for(key_for(council, scopes=["admin", "read_personal"])))
    assert "Rang Pat back" in str(personal)
    # The audit trail is the council admins' on the web: a key needs admin for it too.
    is_problem(client_for(key_for(council, scopes=["read_public"])).get("/api/v1/events"), 403)
