"""Transactional messages (ADR 75): queued with the change that makes their link work, sent as
it commits, ahead of any backlog, retried by the outbox's one policy; the link is kept beside
the content only until the outcome is final, and nobody reading the outbox sees it."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import jwt
import pytest
from django.db import transaction

from townsquare.core import clock
from townsquare.core.errors import InvalidInput
from townsquare.messaging import handlers, services
from townsquare.messaging.models import Message, Priority, Status
from townsquare.messaging.outbox import LINK_NOT_SHOWN, LINK_STAND_IN, materialise
from townsquare.messaging.sending import outbox_send_due

pytestmark = pytest.mark.django_db(transaction=True)
LINK = "http://testserver/sign-in/link/TOKEN-abc_123"


def sign_in_link(to: str = "sam@example.org", *, language: str = "en") -> Message:
    with transaction.atomic():
        return services.transactional_message_send(
            kind="sign_in", to=to, link=LINK, language=language, values={"minutes": "15"}
        )


def test_sent_as_it_commits_with_its_link_which_is_then_forgotten(smtp, messaging_on):
    queued = sign_in_link()
    [email] = smtp.messages
    assert email["X-Envelope-To"] == "sam@example.org"
    assert email["Subject"] == "Your link to sign in to Townsquare"
    assert LINK in smtp.text(email) and f'href="{LINK}"' in smtp.html(email)
    assert email["List-Unsubscribe"] is None and email["Message-ID"]
    message = Message.objects.get(pk=queued.pk)
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert message.priority == Priority.TRANSACTIONAL and message.template == "sign_in"
    # Only the stand-in was ever stored in the content; the link is gone now it is sent.
    assert message.secret_link == ""
    assert LINK not in message.body_text + message.body_html
    assert LINK_STAND_IN in message.body_text
    shown = materialise(message)  # as staff pages read a message
    assert LINK_NOT_SHOWN in shown.body_text and LINK not in shown.body_text


def test_welsh_readers_get_welsh_words(smtp, messaging_on):
    sign_in_link("cymraeg@example.org", language="cy")
    [email] = smtp.messages
    assert email["Subject"] == "Eich dolen i fewngofnodi i Townsquare"
    assert "Mewngofnodi i Townsquare: " + LINK in smtp.text(email)
    assert 'lang="cy"' in smtp.html(email)


def test_nothing_is_sent_if_the_transaction_rolls_back(smtp, messaging_on):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.transactional_message_send(
            kind="sign_in", to="sam@example.org", link=LINK, values={"minutes": "15"}
        )
        raise RuntimeError("the sign-in link was not stored after all")
    assert not Message.objects.exists() and smtp.messages == []


def test_it_goes_ahead_of_a_backlog(smtp, messaging_on, settings):
    settings.MESSAGING_DISPATCH = "off"  # queued only: the worker below sends it
    now = clock.now()
    for n in range(12):
        Message.objects.create(
            idempotency_key=f"bulk:{n}",
            channel="email",
            recipient=f"n{n}@example.org",
            subject="New report",
            body_text="...",
            next_attempt_at=now - dt.timedelta(minutes=5),
            created_at=now - dt.timedelta(minutes=5),
        )
    sign_in_link()
    outbox_send_due(batch_size=5)
    recipients = [m["X-Envelope-To"] for m in smtp.messages]
    assert len(recipients) == 13 and recipients[0] == "sam@example.org"


def test_temporary_failures_are_retried_then_a_dead_letter_that_cannot_be_sent_again(
    smtp, messaging_on, settings, council, supervisor
):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    settings.MESSAGING_RETRY_BASE_SECONDS = 0  # each retry falls due at once
    smtp.refuse["pat@example.org"] = "451 4.3.0 Try again later"
    link = "http://testserver/report/confirm/TOKEN"
    with transaction.atomic():
        queued = services.transactional_message_send(
            kind="report_confirm",
            to="pat@example.org",
            link=link,
            council=council,
            values={"reference": "TST-1", "service_name": "Pothole", "days": "14"},
        )
    message = Message.objects.get(pk=queued.pk)
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.secret_link == link  # still needed for the next try
    assert message.subject == "Confirm your report TST-1 to Testshire Council"
    outbox_send_due()
    outbox_send_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 3)
    assert [a.outcome for a in message.log.all()] == ["retry", "retry", "dead"]
    assert message.secret_link == ""
    with pytest.raises(InvalidInput) as refused:
        services.message_retry(message=message, actor=supervisor)
    assert refused.value.code == "link_not_kept"


def test_a_refused_address_bounces_and_the_link_is_dropped(smtp, messaging_on):
    smtp.refuse["nobody@example.org"] = "550 5.1.1 No such mailbox"
    queued = sign_in_link("nobody@example.org")
    message = Message.objects.get(pk=queued.pk)
    assert (message.status, message.secret_link) == (Status.BOUNCED, "")


def test_a_subscription_confirmation_is_transactional_too(smtp, messaging_on, council):
    subscription = services.area_alert_subscribe(
        council=council, email="ward@example.org", area=council.areas.get(name="West ward")
    )
    [email] = smtp.messages
    assert "/alerts/confirm/" in smtp.text(email)
    message = Message.objects.get(subscription=subscription)
    assert (message.priority, message.status) == (Priority.TRANSACTIONAL, Status.SENT)
    assert "/alerts/confirm/" not in message.body_text and message.secret_link == ""


@pytest.fixture
def notify(receiver, settings):
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())

    def handle(request):
        jwt.decode(
            request.headers["authorization"].removeprefix("Bearer "),
            secret,
            algorithms=["HS256"],
            issuer=service_id,
        )
        return 201, {"id": str(uuid.uuid4())}

    server = receiver(handler=handle)
    settings.NOTIFY_API_KEY = f"townsquare_test-{service_id}-{secret}"
    settings.NOTIFY_BASE_URL = server.url
    settings.NOTIFY_EMAIL_TEMPLATE_ID = str(uuid.uuid4())
    return server


def test_in_a_served_process_the_sender_thread_sends_it_without_a_worker(
    messaging_on, notify, settings
):
    settings.MESSAGING_DISPATCH = "thread"  # as `townsquare serve` runs
    try:
        queued = sign_in_link()
        assert notify.received.wait(30), "the sender thread never sent the message"
    finally:
        handlers.sender.stop()  # lets it finish recording the outcome first
    [request] = notify.requests
    personalisation = json.loads(request.body)["personalisation"]
    assert LINK in personalisation["body"]
    message = Message.objects.get(pk=queued.pk)
    assert message.status == Status.SENT and message.provider_id and message.secret_link == ""


def test_only_the_outbox_channels_send_email():
    """One path for every email: nothing else in the product may use django.core.mail."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    senders = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "/tests/" not in str(path) and "django.core.mail" in path.read_text(encoding="utf-8")
    )
    assert senders == ["messaging/channels.py"]
