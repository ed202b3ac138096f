"""Report a problem in a real browser: with JavaScript off by pointer, and with JavaScript on by
keyboard alone; axe-core checks every page on the way."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import assert_accessible, assert_focused, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "/report/testshire/pothole/"
EMPTY_FORM_ERRORS = [
    "Describe where the problem is, for example Outside 4 Mill Lane",
    "Select an answer for “How deep?”",
    "Enter an email address or a phone number so the council can contact you about this report",
]
REFERENCE = re.compile(r"TST-\d{2}-\d+")


def _expect():
    from playwright.sync_api import expect

    return expect


def _reference_from_confirmation(page) -> str:
    expect = _expect()
    expect(page.get_by_role("heading", level=1, name="Report sent")).to_be_visible()
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference


def _expect_tracked(page, reference: str) -> None:
    expect = _expect()
    expect(page).to_have_url(re.compile(rf"/track/{reference}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pothole")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    status = page.locator(".govuk-summary-list__row", has_text="Status")
    expect(status.locator("dd")).to_have_text("Submitted")


def test_report_a_problem_with_javascript_off(new_page, town):
    expect = _expect()
    page = new_page(javascript=False)

    page.goto("/")
    assert page.evaluate("document.body.classList.contains('js-enabled')") is False
    assert_accessible(page)

    page.get_by_role("link", name="Report a problem to Testshire Council").click()
    expect(page).to_have_url(re.compile(r"/report/testshire/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What is the problem?")
    assert_accessible(page)

    page.get_by_role("link", name="Pothole").click()
    expect(page).to_have_url(re.compile(rf"{FORM}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pothole")
    assert_accessible(page)

    # Nothing filled in: the error summary lists every problem, each linked to its field.
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("alert")).to_contain_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_text(EMPTY_FORM_ERRORS)
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        expect(page.locator(href)).to_have_count(1)
    expect(page.locator("#place-error")).to_contain_text("Describe where the problem is")
    assert_accessible(page)

    page.get_by_label("Ward").select_option(label="East ward")
    page.get_by_label("Describe where it is").fill("Outside 4 Mill Lane")
    page.get_by_role("group", name="How deep?").get_by_label("Deep").check()
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_role("button", name="Send report").click()

    reference = _reference_from_confirmation(page)
    assert_accessible(page)

    page.get_by_role("link", name="Track your report").click()
    _expect_tracked(page, reference)
    expect(page.get_by_text("Outside 4 Mill Lane (approximate)")).to_be_visible()
    assert_accessible(page)


def test_report_a_problem_by_keyboard_alone(new_page, town):
    expect = _expect()
    page = new_page(javascript=True)
    page.goto(FORM)
    expect(page.locator("body.govuk-frontend-supported")).to_have_count(1)

    # The first Tab reaches the skip link, which moves the focus to the main content.
    page.keyboard.press("Tab")
    assert_focused(page, "a.govuk-skip-link")
    page.keyboard.press("Enter")
    assert_focused(page, "main#main-content")

    # Every field lies on the way to the button; sending it empty brings the error summary,
    # which takes the focus (GOV.UK Frontend; the skip link's #main-content must not follow the
    # form, or the browser moves the focus there), and its links lead to the fields.
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert_focused(page, ".govuk-error-summary__list a[href='#place']")
    page.keyboard.press("Enter")
    assert_focused(page, "input#place")
    page.keyboard.type("Outside 4 Mill Lane")

    page.keyboard.press("Shift+Tab")
    assert_focused(page, "select#area")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#area option:checked")).to_have_text("East ward")

    tab_to(page, "input[name=field-depth]")
    page.keyboard.press("ArrowDown")  # from Shallow to Deep, which selects it
    expect(page.locator("#field-depth-2")).to_be_checked()
    tab_to(page, "#field-width_cm")
    page.keyboard.type("40")
    tab_to(page, "#field-hazards")
    page.keyboard.press("Space")
    expect(page.locator("#field-hazards")).to_be_checked()
    tab_to(page, "#email")
    page.keyboard.type("pat@example.org")
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")

    reference = _reference_from_confirmation(page)
    assert_accessible(page)
    tab_to(page, "a[href$='/track/" + reference + "']")
    page.keyboard.press("Enter")
    _expect_tracked(page, reference)
    assert_accessible(page)
