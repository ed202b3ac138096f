"""A date of birth in a real browser (ADR 105): 31/02/2015 is refused with GOV.UK's message,
the error summary links to the day, and a real date goes through to "Check your answers" in
words; without JavaScript in English, and with it in Welsh. axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.browser.support import assert_accessible
from townsquare.catalogue.documents import load_template_file
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def transport(town):
    document = load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / "school_transport.yaml")
    template_publish(council=town, document=document, actor=Actor.system("tests"))
    return town


def _continue(page) -> None:
    page.get_by_role("button", name=re.compile(r"^(Continue|Parhau)$")).click()


def test_a_date_of_birth_without_javascript(new_page, transport):
    expect = _expect()
    page = new_page(javascript=False)
    page.goto("/apply/testshire/school_transport/")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your full name")
    expect(page.get_by_label("Your full name")).to_have_attribute("autocomplete", "name")
    page.get_by_label("Your full name").fill("Alex Smith")
    _continue(page)
    page.get_by_label("Child's full name").fill("Sam Smith")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Child's date of birth")
    group = page.get_by_role("group", name="Child's date of birth")
    assert_accessible(page)
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("02")
    group.get_by_label("Year").fill("2015")
    _continue(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Child's date of birth must be a real date")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#answer-day")
    expect(page.locator("#answer-error")).to_contain_text("must be a real date")
    # Only the day is wrong, so only the day is marked.
    expect(page.locator("#answer-day")).to_have_class(re.compile(r"govuk-input--error"))
    expect(page.locator("#answer-month")).not_to_have_class(re.compile(r"govuk-input--error"))
    expect(page.locator("#answer-month")).to_have_value("02")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)

    page.locator("#answer-day").fill("27")
    page.locator("#answer-month").fill("3")
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home address line 1")
    expect(page.get_by_label("Home address line 1")).to_have_attribute(
        "autocomplete", "address-line1"
    )
    page.get_by_label("Home address line 1").fill("4 Mill Lane")
    _continue(page)
    _continue(page)  # line 2 is optional
    page.get_by_label("Town or city").fill("Horsforth")
    _continue(page)
    expect(page.get_by_label("Postcode")).to_have_attribute("autocomplete", "postal-code")
    page.get_by_label("Postcode").fill("LS18")
    _continue(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a full UK postcode")
    assert_accessible(page)
    page.get_by_label("Postcode").fill("ls18 4aa")
    _continue(page)
    page.get_by_label("Name of school").fill("Horsforth School")
    _continue(page)
    page.get_by_label("Year 7", exact=True).check()
    _continue(page)
    page.get_by_label("The school is beyond walking distance").check()
    _continue(page)
    page.get_by_label("No", exact=True).check()
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Upload supporting documents (optional)"
    )
    _continue(page)
    page.get_by_label("Email address").fill("parent@example.org")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your application"
    )
    answers = page.locator("#answers")
    expect(answers).to_contain_text("27 March 2015")
    expect(answers).to_contain_text("LS18 4AA")
    assert_accessible(page)


def test_a_date_of_birth_in_welsh_with_javascript(new_page, transport):
    expect = _expect()
    page = new_page(javascript=True)
    page.goto("/apply/testshire/school_transport/")
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.get_by_role("button", name="Dechrau nawr").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich enw llawn")
    page.get_by_label("Eich enw llawn").fill("Alex Smith")
    _continue(page)
    page.get_by_label("Enw llawn y plentyn").fill("Sam Smith")
    _continue(page)

    group = page.get_by_role("group", name="Dyddiad geni'r plentyn")
    group.get_by_label("Diwrnod").fill("31")
    group.get_by_label("Mis").fill("2")
    group.get_by_label("Blwyddyn").fill("2015")
    _continue(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Rhaid i “Dyddiad geni'r plentyn” fod yn ddyddiad go iawn")
    assert_accessible(page)
    # GOV.UK Frontend's error summary: its link puts the cursor in the day input.
    summary.get_by_role("link").click()
    expect(page.locator("#answer-day")).to_be_focused()
    page.locator("#answer-day").fill("27")
    page.locator("#answer-month").fill("3")
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Llinell 1 y cyfeiriad cartref")
    assert_accessible(page)
    # The answer so far, in words and in Welsh, on "Check your answers".
    page.goto(page.url.rsplit("/question/", 1)[0] + "/check-your-answers")
    expect(page.locator("#answers")).to_contain_text("27 Mawrth 2015")
    assert_accessible(page)
