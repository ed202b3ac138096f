"""Reporting with a street typed, not a map, by keyboard alone (issue 12): /report/ asks where
first, finds the council from the street, carries the place to the form, where the street is
chosen from the search results; the track page then says where in words, with the licence
notice of the street data. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.support import assert_accessible, tab_to
from townsquare.cases.models import Case
from townsquare.councils.services import places_import_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTICE = "Contains test street data © Test Survey"
STREETS = (
    "name,lat,lng,kind,area\n"
    "Mill Lane,51.5,-1.75,street,Westbury AB1\n"
    "Mill Lane,51.5,-1.25,street,Eastham AB2\n"
    "AB1 2CD,51.501,-1.751,postcode,West ward\n"
)


@pytest.fixture(autouse=True)
def _unreachable_tiles(settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def _expect():
    from playwright.sync_api import expect

    return expect


def test_report_by_keyboard_with_a_street_typed_not_a_map(new_page, town):
    expect = _expect()
    places_import_csv(council=town, text=STREETS, attribution=NOTICE)
    page = new_page(javascript=True)

    page.goto("/report/")
    expect(page.locator("body.govuk-frontend-supported")).to_have_count(1)
    assert_accessible(page)
    tab_to(page, "input#where")
    page.keyboard.type("mill lane westbury")
    page.keyboard.press("Enter")

    # One council has that street: straight to its problems, the place carried along.
    expect(page).to_have_url(re.compile(r"/report/testshire/\?where=mill\+lane\+westbury$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What is the problem?")
    expect(page.get_by_text("near “mill lane westbury”")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "a[href^='/report/testshire/pothole/']")
    page.keyboard.press("Enter")

    # The form has searched for it: the one street that matches is chosen already.
    expect(page.get_by_role("heading", level=1)).to_have_text("Pothole")
    places = page.get_by_role("group", name="Choose the street or place")
    expect(places.get_by_role("radio")).to_have_count(1)
    expect(places.get_by_label("Mill Lane, Westbury AB1")).to_be_checked()
    expect(page.get_by_text(NOTICE)).to_be_visible()
    assert_accessible(page)

    tab_to(page, "input#place")
    page.keyboard.type("Outside number 4")
    tab_to(page, "input[name=field-depth]")
    page.keyboard.press("ArrowDown")  # from Shallow to Deep, which selects it
    expect(page.locator("#field-depth-2")).to_be_checked()
    tab_to(page, "#phone")
    page.keyboard.type("01632 960 001")
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Report sent")).to_be_visible()
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    assert_accessible(page)
    case = Case.objects.get(reference=reference)
    assert (case.lat, case.lng) == (51.5, -1.75) and case.location_approximate
    assert case.place_in_words == "Mill Lane, Westbury AB1"

    tab_to(page, "a[href$='/track/" + reference + "']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/track/{reference}$"))
    where = page.locator(".govuk-summary-list__row", has_text="Where")
    expect(where.locator("dd")).to_have_text(
        "Mill Lane, Westbury AB1: Outside number 4 (approximate)"
    )
    expect(page.get_by_text(NOTICE)).to_be_visible()
    expect(page.get_by_text("latitude")).to_have_count(0)
    assert_accessible(page)
