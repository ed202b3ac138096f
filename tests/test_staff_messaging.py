"""Staff messaging pages over HTTP: outbox, dead letters with retry, message detail, template
previews, webhook endpoints (admins only), the demo mailbox; councils kept apart."""

from __future__ import annotations

import hashlib

import pyotp
import pytest
from django.test import Client

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.core import clock
from townsquare.core.models import Event
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status

pytestmark = pytest.mark.django_db


def signed_in(council, role: str) -> Client:
    user, _ = factories.make_staff_signed_in(council, role)
    client = Client()
    client.post("/staff/sign-in", {"email": user.email, "password": factories.STAFF_PASSWORD})
    response = client.post(
        "/staff/sign-in/code", {"code": pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()}
    )
    assert response.status_code == 302
    return client


def dead_letter(council, recipient: str = "someone@example.org") -> Message:
    now = clock.now()
    return Message.objects.create(
        # Like the outbox's keys, it names the recipient only by a hash.
        idempotency_key=f"test:{now.timestamp()}:{hashlib.sha256(recipient.encode()).hexdigest()[:12]}",
        council=council,
        channel="email",
        recipient=recipient,
        subject="Your request is fixed",
        body_text="Hello",
        status=Status.DEAD,
        attempts=6,
        last_error="Connection refused",
        next_attempt_at=now,
        created_at=now,
    )


def test_outbox_and_dead_letters_with_retry(council, other_council):
    mine = dead_letter(council)
    theirs = dead_letter(other_council, recipient="other@example.org")
    client = signed_in(council, "agent")
    page = client.get("/staff/messaging/")
    assert page.status_code == 200
    assert b"Your request is fixed" in page.content and b"Messages" in page.content
    assert client.get("/staff/messaging/?status=dead&channel=email").status_code == 200
    assert client.get("/staff/messaging/?status=nonsense&page=999").status_code == 200
    page = client.get("/staff/messaging/dead-letters")
    assert b"Connection refused" in page.content
    assert client.get(f"/staff/messaging/messages/{theirs.pk}").status_code == 404
    assert client.post(f"/staff/messaging/messages/{theirs.pk}/retry").status_code == 404
    response = client.post(f"/staff/messaging/messages/{mine.pk}/retry")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Status.QUEUED and mine.attempts == 0
    assert Event.objects.filter(kind="messaging.message_retried", stream_id=mine.pk).exists()
    page = client.get(response["Location"])
    assert b"queued to be sent again" in page.content
    detail = client.get(f"/staff/messaging/messages/{mine.pk}")
    assert detail.status_code == 200 and b"test:" in detail.content


def test_template_previews(council):
    client = signed_in(council, "agent")
    page = client.get("/staff/messaging/templates?key=state&language=cy")
    assert page.status_code == 200
    assert b"Mae eich cais" in page.content
    assert b"1 text message" in page.content
    assert client.get("/staff/messaging/templates?key=<script>").status_code == 200


def test_webhook_pages_for_admins_only(council, settings):
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    agent = signed_in(council, "agent")
    assert agent.get("/staff/messaging/webhooks").status_code == 403
    admin = signed_in(council, "council_admin")
    refused = admin.post("/staff/messaging/webhooks", {"url": "http://10.0.0.1/hook"})
    assert refused.status_code == 400 and b"internal address" in refused.content
    empty = admin.post("/staff/messaging/webhooks", {"url": ""})
    assert empty.status_code == 400
    added = admin.post(
        "/staff/messaging/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["case.created"]}
    )
    assert added.status_code == 302
    page = admin.get(added["Location"])
    assert b"whsec_" in page.content
    secret_before = page.content
    rotated = admin.post(added["Location"], {"action": "rotate"})
    assert rotated.status_code == 302
    page = admin.get(added["Location"])
    assert b"Previous secret" in page.content and page.content != secret_before
    admin.post(added["Location"], {"action": "disable"})
    assert b"Switch on" in admin.get(added["Location"]).content
    assert Event.objects.filter(kind="messaging.webhook_endpoint").count() == 3


SIGN_IN_MAIL = (
    b"X-Envelope-To: pat@example.org\r\nFrom: a@b\r\nTo: pat@example.org\r\n"
    b"Subject: Hello Pat\r\nList-Unsubscribe: <http://testserver/alerts/unsubscribe/u1>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain\r\n\r\n"
    b"The body. Sign in: http://testserver/sign-in/link/SECRET-TOKEN-1\r\n"
    b"--XX\r\nContent-Type: text/html\r\n\r\n"
    b'<p>The body. <a href="https://townsquare.example/apply/resume/SECRET-TOKEN-2">Resume</a>'
    b"</p>\r\n--XX--\r\n"
)


def platform_admin(council) -> Client:
    user, _ = factories.make_staff_signed_in(council, "council_admin", "root@platform.example")
    user.is_platform_admin = True
    user.save(update_fields=["is_platform_admin"])
    return signed_in_as(user)


def signed_in_as(user) -> Client:
    client = Client()
    client.post("/staff/sign-in", {"email": user.email, "password": factories.STAFF_PASSWORD})
    client.post("/staff/sign-in/code", {"code": pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()})
    return client


@pytest.fixture
def demo_mailbox(settings, tmp_path):
    settings.MAILBOX_DIR = tmp_path
    settings.DEMO_MAILBOX = True
    (tmp_path / "1700000000000000000-abcd.eml").write_bytes(SIGN_IN_MAIL)
    return "/staff/messaging/mailbox/1700000000000000000-abcd"


def test_the_demo_mailbox_is_for_platform_admins_and_hides_every_link(council, demo_mailbox):
    admin = platform_admin(council)
    page = admin.get("/staff/messaging/mailbox")
    assert b"Hello Pat" in page.content and b"Demo mailbox" in page.content
    message = admin.get(demo_mailbox).content.decode()
    assert "The body" in message and "Resume" in message
    # Sign-in and resume links (and every other link) would let the reader act as Pat.
    assert "SECRET-TOKEN" not in message and "/sign-in/link/" not in message
    assert "/apply/resume/" not in message and "/alerts/unsubscribe/" not in message
    assert "link hidden" in message
    assert admin.get("/staff/messaging/mailbox/..%2Fsecret").status_code == 404


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_a_councils_staff_never_see_the_demo_mailbox(council, demo_mailbox, role):
    client = signed_in(council, role)
    assert client.get("/staff/messaging/mailbox").status_code == 403
    assert client.get(demo_mailbox).status_code == 403
    assert b"Demo mailbox" not in client.get("/staff/messaging/").content


def test_the_demo_mailbox_is_off_unless_the_demo_turns_it_on(council, demo_mailbox, settings):
    # A production server relaying through a local mail server on the mailbox's port: no page.
    settings.DEMO_MAILBOX = False
    settings.EMAIL_HOST, settings.MAILBOX_PORT = "127.0.0.1", settings.EMAIL_PORT
    admin = platform_admin(council)
    assert admin.get("/staff/messaging/mailbox").status_code == 404
    assert admin.get(demo_mailbox).status_code == 404
    assert b"Demo mailbox" not in admin.get("/staff/messaging/").content


def test_operators_read_whole_messages_with_links_on_the_command_line(demo_mailbox, capsys):
    from django.core.management import call_command

    call_command("mailbox", "list")
    assert "Hello Pat" in capsys.readouterr().out
    call_command("mailbox", "show", "1700000000000000000-abcd")
    assert "http://testserver/sign-in/link/SECRET-TOKEN-1" in capsys.readouterr().out


def test_delivery_status_include_for_the_case_page(council):
    from django.template.loader import render_to_string

    from townsquare.messaging.selectors import deliveries_for_case

    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
    )
    now = clock.now()
    Message.objects.create(
        idempotency_key="k1",
        council=council,
        case=case,
        channel="email",
        recipient="pat@example.org",
        subject="We have received it",
        status=Status.DELIVERED,
        next_attempt_at=now,
        created_at=now,
    )
    html = render_to_string(
        "staff/messaging/deliveries.html", {"deliveries": deliveries_for_case(case.id)}
    )
    assert "We have received it" in html and "Delivered" in html
    assert "pat@example.org" not in html  # masked: pa…@example.org


def test_admins_change_template_words_with_preview_and_reset(council):
    from townsquare.messaging.models import MessageTemplate
    from townsquare.messaging.templates import TemplateBook

    agent = signed_in(council, "agent")
    assert b"Change the words" not in agent.get("/staff/messaging/templates").content
    assert (
        agent.post(
            "/staff/messaging/templates", {"key": "created", "action": "save", "body": "x"}
        ).status_code
        == 403
    )
    admin = signed_in(council, "council_admin")
    bad = admin.post(
        "/staff/messaging/templates",
        {"key": "created", "language": "en", "action": "save", "subject": "Hi ((nme))", "body": ""},
    )
    assert bad.status_code == 400
    assert b"Unknown placeholders: ((nme))" in bad.content
    assert b"Enter the email text" in bad.content
    draft = admin.post(
        "/staff/messaging/templates",
        {
            "key": "created",
            "language": "en",
            "action": "preview",
            "subject": "Thanks from ((council_name))",
            "body": "Got it: **((reference))**",
        },
    )
    assert b"not saved" in draft.content and b"Thanks from Bristol City Council" in draft.content
    assert not MessageTemplate.objects.exists()
    saved = admin.post(
        "/staff/messaging/templates",
        {
            "key": "created",
            "language": "en",
            "action": "save",
            "subject": "Thanks from ((council_name))",
            "body": "Got it: **((reference))**",
        },
    )
    assert saved.status_code == 302
    words = TemplateBook().words(
        council_id=council.id, service_code="pothole", key="created", language="en"
    )
    assert words.subject == "Thanks from ((council_name))"
    assert Event.objects.filter(kind="messaging.template_changed").count() == 1
    admin.post(
        "/staff/messaging/templates", {"key": "created", "language": "en", "action": "reset"}
    )
    assert not MessageTemplate.objects.exists()


def test_staff_watch_a_queue(council):
    from townsquare.messaging.models import Subscription

    client = signed_in(council, "agent")
    team = council.teams.get(code="highways")
    assert client.post("/staff/messaging/watch", {"team": str(team.pk)}).status_code == 302
    page = client.get("/staff/messaging/")
    assert b"each new case in Highways" in page.content
    assert client.post("/staff/messaging/watch", {"team": "99999"}).status_code == 302
    client.post("/staff/messaging/watch", {"action": "stop"})
    assert not Subscription.objects.filter(kind="queue", unsubscribed_at__isnull=True).exists()


def test_agents_see_addresses_masked_unless_the_case_is_theirs(council):
    mine = dead_letter(council, recipient="sam.reporter@example.org")
    agent = signed_in(council, "agent")
    for url in (
        "/staff/messaging/",
        "/staff/messaging/dead-letters",
        f"/staff/messaging/messages/{mine.pk}",
    ):
        page = agent.get(url).content.decode()
        assert "sam.reporter@example.org" not in page and "sa…@example.org" in page, url
    supervisor = signed_in(council, "supervisor")
    assert (
        "sam.reporter@example.org"
        in supervisor.get(f"/staff/messaging/messages/{mine.pk}").content.decode()
    )
