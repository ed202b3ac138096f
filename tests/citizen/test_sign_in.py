"""Signing in with a one-time link, sent through the outbox and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import factories
from tests.citizen_mailbox import text_of
from townsquare.accounts.models import User
from townsquare.portal.models import SignInLink

pytestmark = pytest.mark.django_db
# Tests that read the link commit their transactions: the outbox sends it as a request commits.
mailed = pytest.mark.django_db(transaction=True)
LINK = re.compile(r"http://testserver(/sign-in/link/[A-Za-z0-9_-]+)")


def _ask(client, email, next_path=""):
    return client.post("/sign-in", {"email": email, "next": next_path})


def _link(mailbox, email, count=1) -> str:
    message = mailbox.wait_for(to=email, count=count)
    assert message["Subject"] == "Your link to sign in to Townsquare"
    return LINK.search(text_of(message)).group(1)


@mailed
def test_a_new_resident_signs_in_with_the_emailed_link_and_signs_out(client, smtp_mailbox):
    response = _ask(client, "New.Person@Example.org", "/my-requests")
    assert response.status_code == 303 and response["Location"] == "/sign-in/check-your-email"
    page = client.get(response["Location"]).content.decode()
    assert "new.person@example.org" in page
    path = _link(smtp_mailbox, "new.person@example.org")
    # Opening the link (a mail scanner might) does not spend it; the button does.
    assert "Sign in to Townsquare" in client.get(path).content.decode()
    assert not client.session.get("_auth_user_id")
    response = client.post(path)
    assert response.status_code == 303 and response["Location"] == "/my-requests"
    user = User.objects.get(email="new.person@example.org")
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "My requests" in client.get("/my-requests").content.decode()
    # The link works once.
    client.post("/sign-out")
    again = client.post(path)
    assert again.status_code == 400 and "This link has expired" in again.content.decode()
    assert client.get("/my-requests").status_code == 302


@mailed
def test_the_answer_is_the_same_for_known_and_unknown_addresses(client, smtp_mailbox):
    User.objects.create_user("known@example.org")
    known = _ask(client, "known@example.org")
    unknown = _ask(client, "unknown@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert smtp_mailbox.wait_for(to="known@example.org")
    assert smtp_mailbox.wait_for(to="unknown@example.org")


@mailed
def test_staff_addresses_get_no_citizen_link(client, smtp_mailbox, council):
    factories.make_staff(council, "agent", email="agent@council.test")
    response = _ask(client, "agent@council.test")
    assert response.status_code == 303  # the same answer as anyone else
    # The same kind of message, pointing to the staff pages; no link that signs them in.
    message = smtp_mailbox.wait_for(to="agent@council.test")
    assert message["Subject"] == "Sign in to Townsquare on the staff pages"
    assert "http://testserver/staff/sign-in" in text_of(message)
    assert not LINK.search(text_of(message))


@mailed
def test_links_expire(client, smtp_mailbox):
    _ask(client, "late@example.org")
    path = _link(smtp_mailbox, "late@example.org")
    SignInLink.objects.update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert client.post(path).status_code == 400
    assert not client.session.get("_auth_user_id")


def test_requests_are_throttled_per_asker_and_address(client, smtp_mailbox):
    """More in tests/citizen/test_sign_in_limits.py (ADR 143)."""
    for _ in range(3):
        assert _ask(client, "busy@example.org").status_code == 303
    response = _ask(client, "busy@example.org")
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert "any link already sent will sign you in" in response.content.decode()


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Enter your email address"),
        ("not-an-email", "Enter an email address in the correct format"),
        ("<script>@x", "Enter an email address in the correct format"),
        ("a" * 400 + "@example.org", "254 characters or fewer"),
    ],
)
def test_bad_addresses_get_a_clear_error(client, email, message):
    response = _ask(client, email)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "govuk-error-summary" in body and "<script>@x" not in body


@mailed
def test_only_local_paths_follow_a_sign_in(client, smtp_mailbox):
    _ask(client, "nav@example.org", "//evil.example/x")
    path = _link(smtp_mailbox, "nav@example.org")
    assert client.post(path)["Location"] == "/my-requests"


def test_bogus_links_are_refused(client):
    assert client.post("/sign-in/link/" + "x" * 43).status_code == 400
    assert client.post("/sign-in/link/" + "x" * 500).status_code == 400


@mailed
def test_signing_in_brings_what_was_sent_without_an_account(client, smtp_mailbox, council):
    from django.test import Client

    from townsquare.accounts.principal import Principal
    from townsquare.cases.models import Case
    from townsquare.cases.services import Reporter, case_create
    from townsquare.core.models import Event

    application = case_create(
        service_code="school_transport",
        council=council,
        actor=Principal.anonymous(),
        values={"child_name": "Sam", "sen": "no"},
        reporter=Reporter(email="Parent@Example.org"),
    )
    someone_elses = case_create(
        service_code="school_transport",
        council=council,
        actor=Principal.anonymous(),
        values={"child_name": "Alex", "sen": "no"},
        reporter=Reporter(email="other@example.org"),
    )
    # On another device, before signing in, the application is nobody's to see.
    other_device = Client()
    assert other_device.get(f"/track/{application.reference}").status_code == 404
    _ask(other_device, "parent@example.org")
    response = other_device.post(_link(smtp_mailbox, "parent@example.org"))
    assert response.status_code == 303
    page = other_device.get("/my-requests").content.decode()
    assert application.reference in page and someone_elses.reference not in page
    assert other_device.get(f"/track/{application.reference}").status_code == 200
    assert other_device.get(f"/track/{someone_elses.reference}").status_code == 404
    user = User.objects.get(email="parent@example.org")
    assert Case.objects.get(pk=application.pk).reporter_id == user.pk
    linked = Event.objects.get(kind="case.reporter_linked")
    assert linked.stream_id == application.pk and "parent" not in str(linked.payload).lower()
