"""Email alert pages: sign up with and without JavaScript, errors, confirm and unsubscribe, all
axe clean."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible
from townsquare.messaging import tokens
from townsquare.messaging.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_area_alert_journey_is_accessible(new_page, town, javascript, settings):
    from playwright.sync_api import expect

    settings.MESSAGING_DISPATCH = "off"
    page = new_page(javascript=javascript)
    page.goto("/alerts/")
    assert_accessible(page)
    page.get_by_role("link", name=town.name).click()
    assert_accessible(page)
    page.get_by_role("button", name="Send me a confirmation email").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("A ward").check()
    page.get_by_label("Ward", exact=True).select_option(label="West ward")
    page.get_by_label("One email a day with the new reports").check()
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_role("button", name="Send me a confirmation email").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    sub = Subscription.objects.get(email="resident@example.org")
    assert sub.frequency == "daily" and sub.confirmed_at is None
    page.goto(f"/alerts/confirm/{tokens.make('confirm', sub.pk)}")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your updates are on")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/alerts/unsubscribe/{tokens.make('unsubscribe', sub.pk)}")
    assert_accessible(page)
    page.get_by_role("button", name="Stop these emails").click()
    expect(
        page.get_by_role("heading", name="You will not get these emails any more")
    ).to_be_visible()
    assert_accessible(page)
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
