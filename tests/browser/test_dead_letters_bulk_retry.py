"""A supervisor retries the council's dead letters in one go, after confirming (issue #23 item
8, ADR 144), and a wrong password answers with a wait, not a lock (ADR 143); axe-core on each
new page."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in
from tests.test_staff_messaging import dead_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_retries_every_dead_letter_after_confirming(page, town):
    from playwright.sync_api import expect

    from townsquare.messaging.models import Message, Status

    for n in range(2):
        dead_letter(town, recipient=f"p{n}@example.org")
    user, _ = factories.make_staff_signed_in(town, "supervisor")
    staff_sign_in(page, user.email)
    page.goto("/staff/messaging/dead-letters")
    page.get_by_role("button", name="Retry all 2 dead letters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send 2 dead letters again?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, send them again").click()
    expect(page).to_have_url(re.compile(r"/staff/messaging/dead-letters$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 messages queued again.")
    assert_accessible(page)
    assert set(Message.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_wrong_passwords_answer_with_a_wait(page, town, settings, interval_clock):
    from playwright.sync_api import expect

    settings.STAFF_SIGNIN_FREE_FAILURES = 0
    settings.STAFF_SIGNIN_MAX_DELAY_SECONDS = 60
    # The live server runs in this process: the held shared clock makes the second try fall
    # inside the first one's wait however slow the machine is.
    page.goto("/staff/sign-in")
    for _ in range(2):
        page.get_by_label("Email address").fill("someone@testshire.test")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        re.compile(r"try again in \d+ seconds?")
    )
    assert_accessible(page)
