"""Insights pages in a real browser: the public performance page (axe-clean, without
JavaScript too), and the staff dashboard (axe-clean) updating live when a report arrives."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.support import TIMEOUT_MS, VIEWPORT, assert_accessible, staff_sign_in
from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_create, case_transition
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def _reports(town, count: int) -> list:
    agent = factories.make_staff(town, "agent", email="worker@testshire.test")[1]
    made = []
    for i in range(count):
        case = case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5 + i * 0.01, -1.5),
            values={"depth": "deep"},
        )
        if i % 2 == 0:
            case_transition(case=case, to_state="fixed", actor=agent)
        made.append(case)
    return made


@pytest.mark.parametrize("javascript", [True, False])
def test_performance_page_explains_the_figures_and_is_accessible(new_page, town, javascript):
    expect = _expect()
    _reports(town, 4)
    page = new_page(javascript=javascript)
    page.goto("/performance/")
    page.get_by_role("link", name="Testshire Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How Testshire Council is doing")
    expect(page.locator("dl")).to_contain_text("Reports received")
    expect(page.locator("table")).to_contain_text("Pothole")
    expect(page.get_by_role("heading", name="What these figures mean")).to_be_visible()
    assert_accessible(page)


def test_dashboard_is_accessible_and_updates_live(browser, town):
    from townsquare.live.tests.server import asgi_server

    expect = _expect()
    _reports(town, 3)
    user, _ = factories.make_staff_signed_in(town, "supervisor")
    with asgi_server(static=True) as base:
        context = browser.new_context(base_url=base, locale="en-GB", viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        staff_sign_in(page, user.email)
        page.get_by_role("link", name="Dashboard").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        received = page.locator("dl .govuk-summary-list__row").first.locator("dd strong")
        expect(received).to_have_text("3")
        assert_accessible(page)
        # Filters with a bad date explain themselves.
        page.get_by_label("From", exact=True).fill("2026-12-31")
        page.get_by_label("To", exact=True).fill("2026-01-01")
        page.get_by_role("button", name="Show figures").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "The start date must be on or before the end date"
        )
        assert_accessible(page)
        page.goto("/staff/dashboards/")
        # A report arrives elsewhere: the figure changes without a reload.
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.6, -1.6),
            values={"depth": "deep"},
        )
        expect(received).to_have_text("4", timeout=TIMEOUT_MS)
        context.close()
