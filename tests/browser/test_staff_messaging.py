"""Staff messaging pages in Chromium, each checked with axe: outbox, not delivered (retry),
a message, template previews, webhooks (add an endpoint), and the demo mailbox."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in
from townsquare.core import clock
from townsquare.messaging.models import Message, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_messaging_pages_are_accessible(page, town, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MESSAGING_DISPATCH = "off"
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    settings.MAILBOX_DIR = tmp_path
    settings.DEMO_MAILBOX = True
    (tmp_path / "1700000000000000000-abcd.eml").write_bytes(
        b"X-Envelope-To: pat@example.org\r\nFrom: a@b\r\nTo: pat@example.org\r\n"
        b"Subject: Hello Pat\r\nContent-Type: text/plain\r\n\r\n"
        b"The body http://testserver/sign-in/link/SECRET\r\n"
    )
    now = clock.now()
    message = Message.objects.create(
        idempotency_key="browser:1",
        council=town,
        channel="email",
        recipient="pat@example.org",
        subject="Your request is fixed",
        body_text="Hello",
        status=Status.DEAD,
        attempts=6,
        last_error="Connection refused",
        next_attempt_at=now,
        created_at=now,
    )
    user, _ = factories.make_staff_signed_in(town, "council_admin")
    # The demo mailbox holds every council's mail: platform admins only (issue 23).
    user.is_platform_admin = True
    user.save(update_fields=["is_platform_admin"])
    staff_sign_in(page, user.email)

    page.get_by_role("link", name="Messages").first.click()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Not delivered").click()
    assert_accessible(page)
    page.get_by_role("button", name=f"Retry message {message.pk}").click()
    expect(page.get_by_text("queued to be sent again")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/staff/messaging/messages/{message.pk}")
    assert_accessible(page)

    page.goto("/staff/messaging/templates?key=created&language=cy")
    assert_accessible(page)

    page.goto("/staff/messaging/webhooks")
    assert_accessible(page)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Address (https)").fill("http://127.0.0.1:9/hook")
    page.get_by_label("case.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("whsec_")).to_be_visible()
    assert_accessible(page)

    page.goto("/staff/messaging/mailbox")
    assert_accessible(page)
    page.get_by_role("link", name="Hello Pat").click()
    expect(page.get_by_text("The body [link hidden: townsquare mailbox show]")).to_be_visible()
    assert "/sign-in/link/" not in page.content()
    assert_accessible(page)
