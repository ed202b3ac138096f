"""Triage in a real browser (issue 19): the report page suggests problems as the resident
describes it (the page's script and the JSON endpoint), axe-core clean, and a suggestion
leads to the form with the description carried over."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible
from tests.test_triage_category import small_model
from townsquare.triage.training import model_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_problems_are_suggested_as_the_resident_types(page, town, settings, tmp_path):
    from playwright.sync_api import expect

    settings.TRIAGE_MODEL_DIR = tmp_path
    model_save(small_model())
    page.goto("/report/testshire/")
    page.get_by_label("Or describe the problem in your own words").press_sequentially(
        "deep pothole outside the school"
    )
    suggested = page.locator("#suggested")
    expect(suggested.get_by_role("heading", name="Likeliest problems")).to_be_visible()
    expect(suggested.get_by_role("link").first).to_have_text("Pothole")
    expect(suggested).to_contain_text("Because you wrote:")
    assert_accessible(page)
    suggested.get_by_role("link").first.click()
    expect(page.locator("#description")).to_have_value("deep pothole outside the school")
