"""Nobody can stop a resident signing in by asking for their links (issue #23 items 3 and 8,
ADR 143): limits are per asker, per asker and address, and generously per address; the email
says which network address asked; a staff member's address gets the same kind of queued
message, so the answer does the same work whoever the address belongs to."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests import factories
from townsquare.messaging.models import Message, Priority, Status
from townsquare.portal.models import SignInLink

pytestmark = pytest.mark.django_db


def _ask(address: str, email: str):
    return Client(REMOTE_ADDR=address).post("/sign-in", {"email": email})


def test_one_asker_cannot_use_up_a_residents_links(council, interval_clock):
    for _ in range(3):
        assert _ask("203.0.113.66", "sam@example.org").status_code == 303
    refused = _ask("203.0.113.66", "sam@example.org")
    assert refused.status_code == 429 and refused["Retry-After"] == "300"
    assert "any link already sent will sign you in" in refused.content.decode()
    # Sam, from anywhere else, still gets a link at once.
    assert _ask("198.51.100.20", "sam@example.org").status_code == 303
    interval_clock.advance(300)
    assert _ask("203.0.113.66", "sam@example.org").status_code == 303


def test_an_asker_has_a_budget_for_everyone_together(council, settings, interval_clock):
    settings.SIGNIN_LINKS_PER_REQUESTER_PER_HOUR = 2
    for n in range(2):
        assert _ask("203.0.113.66", f"person{n}@example.org").status_code == 303
    assert _ask("203.0.113.66", "person9@example.org").status_code == 429
    assert _ask("203.0.113.67", "person9@example.org").status_code == 303


def test_the_link_says_which_address_asked_for_it(council):
    assert _ask("203.0.113.66", "sam@example.org").status_code == 303
    message = Message.objects.get(recipient="sam@example.org")
    assert "asked for from the network address 203.0.113.66" in message.body_text
    client = Client(REMOTE_ADDR="203.0.113.66")
    client.cookies["django_language"] = "cy"
    client.post("/sign-in", {"email": "cymro@example.org"})
    welsh = Message.objects.get(recipient="cymro@example.org")
    assert "o'r cyfeiriad rhwydwaith 203.0.113.66" in welsh.body_text


def test_staff_and_resident_addresses_cost_the_same_work(council):
    """Not a timing test: both answers queue one transactional message and keep one link row,
    and neither talks to a mail server inside the request."""
    staff, _ = factories.make_staff_signed_in(council, "agent")
    resident = _ask("203.0.113.66", "sam@example.org")
    for_staff = _ask("203.0.113.66", staff.email)
    assert (resident.status_code, resident["Location"]) == (
        for_staff.status_code,
        for_staff["Location"],
    )
    queued = {
        m.recipient: m
        for m in Message.objects.filter(recipient__in=["sam@example.org", staff.email])
    }
    assert len(queued) == 2 and Message.objects.count() == 2
    assert {(m.status, m.priority, m.channel) for m in queued.values()} == {
        (Status.QUEUED, Priority.TRANSACTIONAL, "email")
    }
    assert SignInLink.objects.filter(email="sam@example.org").count() == 1
    assert SignInLink.objects.filter(email=staff.email).count() == 1
    assert mail.outbox == []
    # The staff member is pointed to the staff pages; no link that signs anyone in.
    message = queued[staff.email]
    assert message.template == "sign_in_staff"
    assert message.secret_link == "http://testserver/staff/sign-in"
    assert "203.0.113.66" in message.body_text
