"""The citizen and staff pages end to end, in process (the browser journey walks them too)."""

from __future__ import annotations

import pytest
from django.test import Client

from townsquare.neighbourhoods.models import Appeal, Decision, Post, Thread, Visibility

pytestmark = pytest.mark.django_db


def _start(client, ward, title="Broken bench", body="The bench by the pond is broken."):
    return client.post(
        f"/neighbourhoods/testshire/{ward.code}/new",
        {"title": title, "body": body, "display_name": "Sam"},
    )


def test_the_walk_from_council_to_ward(client, council, ward):
    assert "Testshire Council" in client.get("/neighbourhoods/").content.decode()
    page = client.get("/neighbourhoods/testshire/").content.decode()
    assert "West ward" in page
    page = client.get(f"/neighbourhoods/testshire/{ward.code}/").content.decode()
    assert "Sign in to start a discussion" in page
    assert client.get("/neighbourhoods/testshire/nowhere/").status_code == 404
    assert "Be respectful" in client.get("/neighbourhoods/testshire/rules").content.decode()
    assert client.get("/neighbourhoods/testshire/moderation-log").status_code == 200


def test_a_resident_posts_an_officer_replies_and_makes_a_case(
    resident_client, staff_signed_in, ward
):
    sam = resident_client()
    response = _start(sam, ward)
    assert response.status_code == 303
    thread = Thread.objects.get()
    page = sam.get(response["Location"]).content.decode()
    assert "Waiting for a moderator" in page
    # Someone else does not see the held post.
    other = resident_client("other@example.org")
    assert "The bench by the pond" not in other.get(response["Location"]).content.decode()

    officer = staff_signed_in("officer@testshire.test")
    post = thread.posts.get()
    rule = Decision.objects.get().rule_id
    response = officer.post(
        f"/staff/neighbourhoods/threads/{thread.id}/moderate",
        {"post": post.id, "action": "release", "rule": rule, "explanation": "Fine."},
    )
    assert response.status_code == 302
    response = officer.post(
        f"/staff/neighbourhoods/threads/{thread.id}/reply", {"body": "We will fix it this week."}
    )
    assert response.status_code == 302
    page = other.get(f"/neighbourhoods/thread/{thread.id}").content.decode()
    assert "The bench by the pond" in page and "Council officer" in page
    assert "Testshire Council" in page

    # One click with the service; its required question asked beside it.
    response = officer.post(
        f"/staff/neighbourhoods/threads/{thread.id}/case", {"service": "pothole"}
    )
    assert response.status_code == 400 and 'name="field_depth"' in response.content.decode()
    response = officer.post(
        f"/staff/neighbourhoods/threads/{thread.id}/case",
        {"service": "pothole", "field_depth": "deep"},
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    page = other.get(f"/neighbourhoods/thread/{thread.id}").content.decode()
    assert thread.case.reference in page and "The council is dealing with this" in page
    assert f"/neighbourhoods/thread/{thread.id}" in thread.case.description


def test_hide_appeal_and_restore_by_another_moderator(resident_client, staff_signed_in, ward):
    sam = resident_client()
    _start(sam, ward)
    thread = Thread.objects.get()
    first = staff_signed_in("first@testshire.test")
    post = thread.posts.get()
    rule = Decision.objects.get().rule_id
    first.post(
        f"/staff/neighbourhoods/threads/{thread.id}/moderate",
        {"post": post.id, "action": "release", "rule": rule, "explanation": "Fine."},
    )
    refused = first.post(
        f"/staff/neighbourhoods/threads/{thread.id}/moderate",
        {"post": post.id, "action": "hide", "rule": "", "explanation": ""},
    )
    assert refused.status_code == 400
    first.post(
        f"/staff/neighbourhoods/threads/{thread.id}/moderate",
        {"post": post.id, "action": "hide", "rule": rule, "explanation": "Off topic."},
    )
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    hide = Decision.objects.get(action="hide")
    page = sam.get("/neighbourhoods/mine").content.decode()
    assert "Off topic." in page and f"/neighbourhoods/decision/{hide.id}/appeal" in page
    assert sam.post(f"/neighbourhoods/decision/{hide.id}/appeal", {"reason": ""}).status_code == 400
    sam.post(f"/neighbourhoods/decision/{hide.id}/appeal", {"reason": "It is about the pond."})
    appeal = Appeal.objects.get()
    own = first.post(
        f"/staff/neighbourhoods/appeals/{appeal.id}", {"outcome": "reverse", "answer": "Mine."}
    )
    assert own.status_code == 403
    second = staff_signed_in("second@testshire.test")
    second.post(
        f"/staff/neighbourhoods/appeals/{appeal.id}",
        {"outcome": "reverse", "answer": "It is on topic."},
    )
    post.refresh_from_db()
    assert post.visibility == Visibility.VISIBLE
    assert "It is on topic." in sam.get("/neighbourhoods/mine").content.decode()
    log = sam.get("/neighbourhoods/testshire/moderation-log").content.decode()
    assert "Hidden" in log and "sam@example.org" not in log and "Sam" not in log


def test_the_honeypot_keeps_nothing(resident_client, ward):
    sam = resident_client()
    response = sam.post(
        f"/neighbourhoods/testshire/{ward.code}/new",
        {"title": "Cheap pills", "body": "Buy now", "website": "http://spam.example"},
    )
    assert response.status_code == 302 and not Post.objects.exists()


def test_errors_are_shown_in_welsh(resident_client, ward):
    sam = resident_client()
    sam.cookies["django_language"] = "cy"
    response = _start(sam, ward, title="", body="")
    page = response.content.decode()
    assert response.status_code == 400 and "Mae problem wedi codi" in page
    assert "Rhowch deitl" in page


def test_a_resident_deletes_their_own_post(resident_client, ward):
    sam = resident_client()
    _start(sam, ward)
    post = Post.objects.get()
    other = resident_client("other@example.org")
    assert other.post(f"/neighbourhoods/post/{post.id}/delete").status_code == 404
    assert sam.post(f"/neighbourhoods/post/{post.id}/delete").status_code == 303
    post.refresh_from_db()
    assert post.visibility == Visibility.DELETED and post.body == ""


def test_posting_needs_sign_in(client, ward):
    response = _start(client, ward)
    assert response.status_code == 302 and response["Location"].startswith("/sign-in")


def test_a_post_about_a_pothole_suggests_reporting_it(resident_client, ward):
    sam = resident_client()
    response = _start(sam, ward, title="Road", body="Huge pothole outside the school.")
    page = sam.get(response["Location"]).content.decode()
    assert "Is this a problem the council should fix?" in page
    assert "/report/testshire/pothole/" in page


def test_a_resident_reports_a_post_for_a_rule(resident_client, ward):
    sam = resident_client()
    _start(sam, ward)
    post = Post.objects.get()
    other = resident_client("other@example.org")
    page = other.get(f"/neighbourhoods/post/{post.id}/report").content.decode()
    assert "Which rule does the post break?" in page
    assert other.post(f"/neighbourhoods/post/{post.id}/report", {}).status_code == 400
    rule = Decision.objects.get().rule_id
    response = other.post(f"/neighbourhoods/post/{post.id}/report", {"rule": rule, "note": "Spam?"})
    assert "Thank you for your report" in response.content.decode()
    assert post.reports.get().note == "Spam?"


def test_staff_post_a_notice_shown_on_the_ward_page(staff_signed_in, client, ward):
    officer = staff_signed_in("officer@testshire.test")
    response = officer.post(
        "/staff/neighbourhoods/notices",
        {
            "area": ward.code,
            "title": "Road closed",
            "body": "For resurfacing.",
            "starts_on": "2026-01-01",
            "ends_on": "2099-01-01",
        },
    )
    assert response.status_code == 302
    assert "Road closed" in client.get(f"/neighbourhoods/testshire/{ward.code}/").content.decode()
    refused = officer.post(
        "/staff/neighbourhoods/notices",
        {"area": ward.code, "title": "", "body": "x", "starts_on": "x", "ends_on": ""},
    )
    assert refused.status_code == 400


def test_a_street_page_has_its_own_threads(resident_client, client, ward):
    from townsquare.councils.models import Place

    street = Place.objects.create(
        council=ward.council,
        kind=Place.Kind.STREET,
        name="Elm Row",
        search_name="elm row",
        lat=51.5,
        lng=-1.75,
        area=ward,
    )
    page = client.get(f"/neighbourhoods/testshire/{ward.code}/?streets=el").content.decode()
    street_url = f"/neighbourhoods/testshire/{ward.code}/street/{street.id}/"
    assert street_url in page
    sam = resident_client()
    response = sam.post(
        f"/neighbourhoods/testshire/{ward.code}/new",
        {
            "title": "Elm Row bins",
            "body": "Bins left out",
            "display_name": "Sam",
            "street": street.id,
        },
    )
    assert response.status_code == 303
    thread = Thread.objects.get()
    assert thread.street_id == street.id
    assert "Elm Row" in client.get(street_url).content.decode()
    other_ward = f"/neighbourhoods/testshire/testshire-east/street/{street.id}/"
    assert client.get(other_ward).status_code == 404


def test_a_busy_ward_pages_its_threads(client, ward, resident):
    from townsquare.core import clock

    resident()
    now = clock.now()
    Thread.objects.bulk_create(
        Thread(
            council=ward.council,
            area=ward,
            title=f"Topic {n:02d}",
            created_at=now,
            last_post_at=now,
            post_count=1,
        )
        for n in range(25)
    )
    page = client.get(f"/neighbourhoods/testshire/{ward.code}/").content.decode()
    assert page.count("/neighbourhoods/thread/") == 20 and "?older=20" in page
    older = client.get(f"/neighbourhoods/testshire/{ward.code}/?older=20").content.decode()
    assert older.count("/neighbourhoods/thread/") == 5 and 'href="?older=' not in older


def test_a_council_admin_writes_a_rule_shown_on_the_public_page(council, client):
    from tests import factories
    from townsquare.neighbourhoods.tests.conftest import sign_in

    agent, _ = factories.make_staff_signed_in(council, "agent", "agent@testshire.test")
    admin, _ = factories.make_staff_signed_in(council, "council_admin", "admin@testshire.test")
    as_agent, as_admin = Client(), Client()
    sign_in(as_agent, agent.email)
    sign_in(as_admin, admin.email)
    assert as_agent.get("/staff/neighbourhoods/rules").status_code == 403
    form = {"code": "no-selling", "title": "No selling", "description": "No adverts."}
    assert as_admin.post("/staff/neighbourhoods/rules", {**form, "title": ""}).status_code == 400
    assert as_admin.post("/staff/neighbourhoods/rules", form).status_code == 302
    assert "No adverts." in client.get("/neighbourhoods/testshire/rules").content.decode()
