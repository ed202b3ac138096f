"""The track page's live-update contract, private applications, and My requests paging."""

from __future__ import annotations

import pytest

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import (
    Reporter,
    case_create,
    case_post_public_update,
    case_transition,
)

pytestmark = pytest.mark.django_db


def _report(actor=None, **extra):
    return case_create(
        service_code="pothole",
        actor=actor or Principal.anonymous(),
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
        **extra,
    )


def test_the_track_page_follows_the_live_updates_contract(client, council, agent):
    case = _report(council=council)
    case_post_public_update(case=case, actor=agent, message="Booked for Tuesday")
    body = client.get(f"/track/{case.reference}").content.decode()
    assert f'data-live-stream="/live/cases/{case.reference}"' in body
    assert f'data-live-fragment="/track/{case.reference}?fragment=timeline"' in body
    assert 'aria-live="polite"' in body
    assert '<svg class="ts-map"' in body and "Where it is in Testshire Council" in body
    fragment = client.get(f"/track/{case.reference}?fragment=timeline").content.decode()
    assert fragment.lstrip().startswith('<ol class="govuk-list ts-timeline"')
    assert "<html" not in fragment and "Booked for Tuesday" in fragment
    # Newest first.
    assert fragment.index("Booked for Tuesday") < fragment.index("Reported")
    # The status summary follows the same stream (one connection for both).
    assert f'data-live-fragment="/track/{case.reference}?fragment=summary"' in body
    case_transition(case=case, to_state="fixed", actor=agent)
    summary = client.get(f"/track/{case.reference}?fragment=summary").content.decode()
    assert summary.lstrip().startswith('<dl class="govuk-summary-list">')
    assert "<html" not in summary and ">Fixed</strong>" in summary


def test_a_private_application_is_tracked_only_by_its_applicant(client, council):
    user = User.objects.create_user("owner@example.org")
    application = case_create(
        service_code="school_transport",
        council=council,
        actor=principal_for_user(user),
        values={"child_name": "Sam", "sen": "no"},
    )
    assert client.get(f"/track/{application.reference}").status_code == 404
    client.force_login(User.objects.create_user("someone.else@example.org"))
    assert client.get(f"/track/{application.reference}").status_code == 404
    client.force_login(user)
    body = client.get(f"/track/{application.reference}").content.decode()
    # Its applicant sees their own answers, live over the application's own stream (ADR 100).
    assert "Application received" in body and "Sam" in body
    assert f'data-live-stream="/live/cases/{application.reference}"' in body


def test_my_requests_lists_own_requests_newest_first_in_pages(
    client, council, django_assert_max_num_queries
):
    user = User.objects.create_user("busy@example.org")
    principal = principal_for_user(user)
    references = [_report(actor=principal, council=council).reference for _ in range(23)]
    _report(council=council)  # someone else's
    client.force_login(user)
    with django_assert_max_num_queries(12):
        body = client.get("/my-requests").content.decode()
    assert "23 requests" in body
    assert references[-1] in body and references[3] in body and references[2] not in body
    assert 'aria-label="Page 2"' in body
    second = client.get("/my-requests", {"page": "2"}).content.decode()
    assert references[0] in second and references[-1] not in second
    assert client.get("/my-requests", {"page": "x"}).status_code == 200
    assert "0 requests" in client.get("/my-requests", {"show": "application"}).content.decode()


def test_my_requests_needs_signing_in(client):
    response = client.get("/my-requests")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in?next=/my-requests")


@pytest.mark.skipif("not __import__('django').apps.apps.is_installed('townsquare.messaging')")
def test_follow_a_report_and_find_it_in_my_requests(client, council):
    case = _report(council=council)
    user = User.objects.create_user("neighbour@example.org")
    client.force_login(user)
    response = client.post(f"/track/{case.reference}/follow", {"action": "follow"})
    assert response.status_code == 303 and response["Location"].endswith("?followed=yes")
    page = client.get(response["Location"]).content.decode()
    assert "You are now following this report" in page and "Stop following" in page
    listing = client.get("/my-requests").content.decode()
    assert case.reference in listing and "Following" in listing
    assert case.reference in client.get("/my-requests", {"show": "following"}).content.decode()
    client.post(f"/track/{case.reference}/follow", {"action": "unfollow"})
    assert case.reference not in client.get("/my-requests").content.decode()


@pytest.mark.skipif("not __import__('django').apps.apps.is_installed('townsquare.messaging')")
def test_follow_by_email_asks_for_confirmation_and_checks_the_address(client, council):
    case = _report(council=council)
    response = client.post(f"/track/{case.reference}/follow", {"email": "nope"})
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()
    response = client.post(f"/track/{case.reference}/follow", {"email": "n@example.org"})
    assert response["Location"].endswith("?followed=confirm")
    assert "Check your email" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter your reference, for example BRS-26-000123"),
        ("cy", "Rhowch eich cyfeirnod, er enghraifft BRS-26-000123"),
    ],
)
def test_an_empty_reference_is_an_error_not_the_blank_page_again(client, language, message):
    client.cookies["django_language"] = language
    assert "govuk-error-summary" not in client.get("/track").content.decode()
    response = client.get("/track", {"reference": "  "})
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page and '<a href="#reference">' + message in page
    assert 'id="reference-error"' in page and "govuk-input--error" in page
