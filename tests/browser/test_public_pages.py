"""The pages every public service needs, and the branded 404s, in a real browser: axe clean,
with and without JavaScript (ADR 110)."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible
from townsquare.councils.public_pages import public_pages_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def configured(town):
    admin = factories.make_staff(town, "council_admin")[1]
    return public_pages_set(
        council=town,
        values={
            "contact_email": "hello@testshire.example",
            "contact_phone": "0117 496 0000",
            "contact_address": "Council House\nTestshire",
            "emergency_phone": "0117 496 0999",
            "accessibility_contact": "access@testshire.example",
            "accessibility_tested_on": "2026-11-30",
            "accessibility_compliance": "partial",
            "dpo_contact": "dpo@testshire.example",
            "processors": "GOV.UK Notify, which sends our emails",
            "phase": "beta",
        },
        actor=admin,
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_missing_public_path_is_the_branded_404_with_a_way_home(new_page, town, javascript):
    from playwright.sync_api import expect

    page = new_page(javascript=javascript)
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("header.govuk-header")).to_be_visible()
    expect(page.locator("main#main-content")).to_be_visible()
    expect(page.locator(".govuk-phase-banner")).to_be_visible()
    expect(page.get_by_role("link", name="Accessibility statement")).to_be_visible()
    assert_accessible(page)
    home = page.url.split("/no/")[0] + "/"
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(home)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_missing_staff_path_is_the_staff_404_with_a_link_to_the_staff_home(
    new_page, town, javascript
):
    from playwright.sync_api import expect

    page = new_page(javascript=javascript)
    response = page.goto("/staff/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator(".ts-header__platform")).to_have_text("Staff")
    assert_accessible(page)
    page.get_by_role("link", name="Go to the staff home").click()
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next="))


@pytest.mark.parametrize(
    "path",
    [
        "/council/testshire/accessibility",
        "/council/testshire/privacy",
        "/council/testshire/privacy/pothole",
        "/council/testshire/privacy/school_transport",
        "/council/testshire/contact",
        "/cookies",
        "/accessibility",
        "/contact",
    ],
)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_public_pages_are_accessible(new_page, configured, path, javascript):
    page = new_page(javascript=javascript)
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert_accessible(page)


def test_the_public_pages_are_accessible_in_welsh(new_page, configured):
    page = new_page()
    page.goto("/council/testshire/accessibility")
    page.get_by_role("button", name="Cymraeg").click()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert_accessible(page)
    page.goto("/no/such/page")
    assert_accessible(page)
