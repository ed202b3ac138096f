"""The REST API's finer promises (ADR 121, 158, 159): If-Match on every change, the internal
note included; 304s without a body; one form for every time; and Notify's key types: a team
key's changes message the council's own staff only, a test key touches no real case."""

from __future__ import annotations

import json
import re

from townsquare.cases.models import Case
from townsquare.messaging.models import Message
from townsquare.messaging.outbox import outbox_dispatch

from .factories import make_staff
from .test_api_v1 import client_for, is_problem, key_for, report

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_a_stale_if_match_refuses_an_internal_note(council):
    case = report(council)
    api = client_for(key_for(council))
    url = f"/api/v1/cases/{case.reference}"
    etag = api.get(url)["ETag"]
    api.post(f"{url}/public-updates", {"message": "Booked"}, content_type="application/json")
    note = {"note": "Called Pat"}
    is_problem(
        api.post(f"{url}/notes", note, content_type="application/json", HTTP_IF_MATCH=etag), 412
    )
    fresh = api.get(url)["ETag"]
    added = api.post(f"{url}/notes", note, content_type="application/json", HTTP_IF_MATCH=fresh)
    assert added.status_code == 200, added.content


def test_the_document_declares_the_headers_routes_honour():
    from townsquare.api.document import DOCUMENT

    paths = json.loads(DOCUMENT.read_text())["paths"]

    def headers(path: str, method: str = "post") -> set[str]:
        return {p["name"] for p in paths[path][method]["parameters"] if p["in"] == "header"}

    assert headers("/api/v1/cases") == {"Idempotency-Key"}
    for change in ("transition", "assign", "public-updates", "notes"):
        assert headers(f"/api/v1/cases/{{reference}}/{change}") == {"If-Match"}, change


def test_not_modified_has_no_body_and_keeps_the_tags(council):
    case = report(council)
    api = client_for(key_for(council))
    url = f"/api/v1/cases/{case.reference}"
    read = api.get(url)
    again = api.get(url, HTTP_IF_NONE_MATCH=read["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert "Content-Type" not in again
    assert again["ETag"] == read["ETag"]
    assert again["Vary"] == read["Vary"]
    # Content-Length, if sent, is the 200's (RFC 9110, 8.6).
    assert again.get("Content-Length", str(len(read.content))) == str(len(read.content))


def test_every_time_is_utc_with_six_decimals(council):
    case = report(council)
    api = client_for(key_for(council))
    one = api.get(f"/api/v1/cases/{case.reference}").json()
    times = [one[k] for k in ("created_at", "updated_at", "resolve_due_at")]
    times += [entry["at"] for entry in one["timeline"]]
    times += [api.get("/api/v1/cases").json()["items"][0]["updated_at"]]
    assert times and all(TIME.match(t) for t in times), times


def test_every_route_sends_times_in_the_one_form(council):
    # Each route's own schemas too (attachments, versions, drafts, deliveries, events): a
    # warehouse sorts the feed's times as text.
    from townsquare.cases.services import case_attach_file

    from .open311_support import tiny_png

    case = report(council)
    admin = client_for(key_for(council, scopes=["admin", "read_public", "read_personal"]))
    case_attach_file(
        case=case,
        actor=make_staff(council, "agent")[1],
        data=tiny_png(),
        name="p.png",
        is_public=True,
    )
    texts = json.dumps(
        [
            admin.get(f"/api/v1/cases/{case.reference}/attachments").json(),
            admin.get("/api/v1/services/pothole/versions").json(),
            admin.get("/api/v1/events").json(),
        ]
    )
    found = re.findall(r'"(\d{4}-\d\d-\d\dT[^"]*)"', texts)
    assert found and all(TIME.match(t) for t in found), found


def _messages_to(address: str) -> int:
    return Message.objects.filter(recipient=address).count()


def test_a_team_keys_changes_message_only_the_councils_staff(council):
    make_staff(council, "agent", email="officer@testshire.test")
    outbox_dispatch()
    citizens_case = report(council)  # reporter pat@example.org, by the public
    outbox_dispatch()
    before = _messages_to("pat@example.org")
    team = client_for(key_for(council, key_type="team"))
    moved = team.post(
        f"/api/v1/cases/{citizens_case.reference}/transition",
        {"to_state": "in_progress", "message": "On our list"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    for reporter in ("officer@testshire.test", "someone@example.org"):
        made = team.post(
            "/api/v1/cases",
            {
                "service_code": "pothole",
                "lat": 51.5,
                "lng": -1.5,
                "values": {"depth": "deep"},
                "reporter": {"name": "Tester", "email": reporter},
            },
            content_type="application/json",
        )
        assert made.status_code == 201, made.content
    outbox_dispatch()
    assert _messages_to("pat@example.org") == before
    assert _messages_to("someone@example.org") == 0
    assert _messages_to("officer@testshire.test") >= 1
    assert not Message.objects.filter(channel="sms", case__isnull=False).exclude(
        case_id=citizens_case.id
    )
    # The same change with a live key is news for the reporter.
    live = client_for(key_for(council))
    live.post(
        f"/api/v1/cases/{citizens_case.reference}/public-updates",
        {"message": "Crew booked"},
        content_type="application/json",
    )
    outbox_dispatch()
    assert _messages_to("pat@example.org") == before + 1


def test_a_test_key_changes_only_its_own_test_cases(council):
    real = report(council)
    test = client_for(key_for(council, key_type="test"))
    url = f"/api/v1/cases/{real.reference}"
    for change, body in (
        ("transition", {"to_state": "in_progress"}),
        ("public-updates", {"message": "Hello"}),
        ("notes", {"note": "Hello"}),
        ("assign", {"team_id": None}),
    ):
        refused = is_problem(
            test.post(f"{url}/{change}", body, content_type="application/json"), 403
        )
        assert refused["code"] == "test_key_real_case"
    assert Case.objects.get(pk=real.pk).revision == real.revision
    made = test.post(
        "/api/v1/cases",
        {
            "service_code": "pothole",
            "lat": 51.5,
            "lng": -1.5,
            "values": {"depth": "deep"},
            "reporter": {"email": "tester@example.org"},
        },
        content_type="application/json",
    ).json()
    assert Case.objects.get(reference=made["reference"]).is_test
    moved = test.post(
        f"/api/v1/cases/{made['reference']}/transition",
        {"to_state": "in_progress", "message": "Testing"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    outbox_dispatch()
    assert _messages_to("tester@example.org") == 0


def test_a_key_name_cannot_pass_for_a_team_key():
    from townsquare.accounts.selectors import acted_with_team_key

    assert acted_with_team_key(actor_kind="api", actor_label="API key: X (ts_team_abcd…)")
    forged = "API key: X (ts_team_abcd…) (ts_live_abcd…)"
    assert not acted_with_team_key(actor_kind="api", actor_label=forged)
    assert not acted_with_team_key(actor_kind="staff", actor_label="API key: X (ts_team_abcd…)")
