"""Public write limits (issue #23 item 6, ADRs 133-134): every public write and every message a
stranger can cause spends from a database token bucket shared by every process, and past it
the answer is 429 with Retry-After in the interface's own format; support counts once per
person or confirmed email address. The buckets' clock is held by `interval_clock` (ADR 14)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.open311_support import api_key_for, assert_error, create, created_id
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import user_ensure
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.core import ratelimit
from townsquare.geo.points import Point
from townsquare.messaging import tokens
from townsquare.messaging.models import Message, Subscription

pytestmark = pytest.mark.django_db

REPORT_FORM = "/report/testshire/pothole/"


def _report(council) -> Case:
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=council,
        point=Point(51.5, -1.75),
        address="Somewhere",
        values={"depth": "deep"},
        reporter=Reporter(phone="01632960001"),
        channel="web",
    )


def _refused(response, retry_after: str | None = None) -> None:
    assert response.status_code == 429, (response.status_code, response.content[:300])
    assert int(response["Retry-After"]) >= 1
    if retry_after is not None:
        assert response["Retry-After"] == retry_after


# The bucket itself.


def test_a_bucket_allows_its_burst_then_refills_with_the_shared_clock(interval_clock):
    rate, burst = ratelimit.per_minute(3)  # 3 at once, then one every 20 seconds
    assert [ratelimit.take("t", rate=rate, burst=burst).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert ratelimit.take("t", rate=rate, burst=burst).retry_after == 20
    assert ratelimit.take("other", rate=rate, burst=burst).allowed  # buckets are separate
    interval_clock.advance(19)
    assert not ratelimit.take("t", rate=rate, burst=burst).allowed
    interval_clock.advance(1)
    assert ratelimit.take("t", rate=rate, burst=burst).allowed
    assert not ratelimit.take("t", rate=rate, burst=burst).allowed


@pytest.mark.django_db(transaction=True)
def test_a_public_bucket_holds_across_two_database_connections():
    """Two threads, each with its own connection as two processes would have, spend one
    address's bucket at once: exactly the burst is allowed, never more."""
    allowed: list[bool] = []
    start = threading.Barrier(2)

    def spend():
        try:
            start.wait()
            for _ in range(12):
                allowed.append(ratelimit.take("write-address:192.0.2.1", rate=0, burst=8).allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 24 and allowed.count(True) == 8


# The citizen web: every POST per client address, with a GOV.UK page in the visitor's language.


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Too many requests"), ("cy", "Gormod o geisiadau")],
)
def test_citizen_posts_are_limited_per_client_address(
    council, settings, interval_clock, language, words
):
    settings.PUBLIC_WRITES_PER_MINUTE = 2
    case = _report(council)
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.cookies["django_language"] = language
    for n in range(2):
        response = client.post(f"/report/support/{case.reference}", {"email": f"p{n}@example.org"})
        assert response.status_code == 303
    response = client.post("/sign-in", {"email": "someone@example.org"})
    _refused(response, retry_after="30")
    body = response.content.decode()
    assert words in body and "govuk-heading-l" in body
    assert not Message.objects.filter(recipient="someone@example.org").exists()
    # Another address has its own bucket; GETs are not limited.
    assert (
        Client(REMOTE_ADDR="198.51.100.8").post("/sign-in", {"email": "x@example.org"}).status_code
        != 429
    )
    assert client.get(f"/track/{case.reference}").status_code == 200
    interval_clock.advance(30)
    assert client.post("/sign-in", {"email": "someone@example.org"}).status_code != 429


# Messages a stranger can cause, per target email address (from any client address).


def _fresh(n: int) -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{n}")


def test_sign_in_links_are_limited_per_email_address_generously(council, settings):
    """Sign-in links have budgets of their own (ADR 143): tests/citizen/test_sign_in_limits.py."""
    settings.SIGNIN_LINKS_PER_ADDRESS_PER_HOUR = 2
    for n in range(2):
        assert _fresh(n).post("/sign-in", {"email": "victim@example.org"}).status_code == 303
    _refused(_fresh(3).post("/sign-in", {"email": " Victim@Example.org"}), retry_after="1800")
    assert Message.objects.filter(recipient="victim@example.org").count() == 2
    assert _fresh(4).post("/sign-in", {"email": "other@example.org"}).status_code == 303


def test_alert_confirmations_are_limited_per_email_address(council, settings):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 1
    form = {
        "where": "point",
        "lat": "51.5",
        "lng": "-1.75",
        "radius": "500",
        "frequency": "daily",
        "email": "victim@example.org",
    }
    assert _fresh(1).post(f"/alerts/{council.slug}/", form).status_code == 302
    _refused(_fresh(2).post(f"/alerts/{council.slug}/", form))
    assert Subscription.objects.filter(email="victim@example.org").count() == 1


def test_follow_confirmations_are_limited_per_email_address(council, settings):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 1
    first, second = _report(council), _report(council)
    response = _fresh(1).post(f"/track/{first.reference}/follow", {"email": "victim@example.org"})
    assert response.status_code == 303
    response = _fresh(2).post(f"/track/{second.reference}/follow", {"email": "victim@example.org"})
    _refused(response)
    assert Subscription.objects.filter(email="victim@example.org").count() == 1


def test_report_confirmations_are_limited_per_email_address(council, settings):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 1
    answers = {
        "lat": "51.5",
        "lng": "-1.75",
        "place": "By the postbox",
        "field-depth": "deep",
        "email": "victim@example.org",
        "nearby_checked": "yes",
    }
    assert _fresh(1).post(REPORT_FORM, answers).status_code == 303
    _refused(_fresh(2).post(REPORT_FORM, answers))
    assert Case.objects.count() == 1  # refused before anything was kept


def test_application_resume_links_are_limited_per_email_address(council, settings):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 1
    client = Client()
    response = client.post("/apply/testshire/school_transport/")
    question = client.get(response["Location"])["Location"]
    saved = client.post(question, {"answer": "Alex", "action": "save"})["Location"]
    assert client.post(saved, {"email": "victim@example.org"}).status_code == 200
    _refused(client.post(saved, {"email": "victim@example.org"}))
    assert Message.objects.filter(recipient="victim@example.org").count() == 1


# Open311: per key, in its own error format.


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_writes_are_limited_per_key_in_open311_errors(council, settings, fmt):
    settings.OPEN311_WRITES_PER_MINUTE = 2
    key, other_key = api_key_for(council), api_key_for(council, name="Other client")
    client = Client()
    for _ in range(2):
        created_id(create(client, key, fmt), fmt)
    refused = create(client, key, fmt)
    assert_error(refused, fmt, 429, mentions="Too many requests")
    assert refused["Retry-After"] == "30"
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert Case.objects.count() == 2
    created_id(create(client, other_key, fmt), fmt)  # each key has its own bucket


# Support counts once per person or confirmed email address.


def test_support_from_fresh_sessions_counts_once_per_person_or_confirmed_email(council, settings):
    settings.PUBLIC_WRITES_PER_MINUTE = 1000  # one test client address sends every post
    case = _report(council)
    for _ in range(15):  # no sign-in, no address: nobody to tell apart, so not counted
        response = Client().post(f"/report/support/{case.reference}")
        assert response["Location"].endswith("?following=none")
    for _ in range(15):  # one address from 15 fresh sessions, confirmed by its link
        Client().post(f"/report/support/{case.reference}", {"email": "sam@example.org"})
    case.refresh_from_db()
    assert case.support_count == 0  # not until the address is proved
    follower = Subscription.objects.get(case_id=case.id, email="sam@example.org")
    for _ in range(2):
        Client().post(f"/alerts/confirm/{tokens.make('confirm', follower.pk)}")
    user = user_ensure(email="kim@example.org", full_name="Kim")
    for _ in range(15):  # one signed-in person from 15 sessions
        signed_in = Client()
        signed_in.force_login(user)
        signed_in.post(f"/report/support/{case.reference}")
    case.refresh_from_db()
    assert case.support_count == 2
    # An address that already follows the report is proved: its support counts at once.
    Client().post(f"/track/{case.reference}/follow", {"email": "lee@example.org"})
    lee = Subscription.objects.get(case_id=case.id, email="lee@example.org")
    Client().post(f"/alerts/confirm/{tokens.make('confirm', lee.pk)}")
    case.refresh_from_db()
    assert case.support_count == 2  # following is not supporting
    response = Client().post(f"/report/support/{case.reference}", {"email": "lee@example.org"})
    assert response["Location"].endswith("?following=email")
    case.refresh_from_db()
    assert case.support_count == 3
