"""The citizen pages a journey does not pass through are axe clean too, with and without
JavaScript."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reference(town) -> str:
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=town,
        area_id=None,
        address="Outside 4 Mill Lane",
        values={"depth": "deep", "width_cm": "40", "hazards": ["cyclists"], "seen_at": ""},
        description="Big hole by the bus stop",
        reporter=Reporter(email="pat@example.org"),
        channel="web",
    )
    return case.reference


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_track_pages_are_accessible(new_page, reference, javascript):
    from playwright.sync_api import expect

    page = new_page(javascript=javascript)
    page.goto("/track")
    assert_accessible(page)

    page.get_by_label("Track a request").fill("not a reference")
    page.get_by_role("button", name="Find it").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Track a request").fill(reference)
    page.get_by_role("button", name="Find it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_text("What has happened")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/report/",
        "/report/testshire/pothole/",
        "/open-data/",
        "/open311/",
        "/reports/",
        "/reports/?council=testshire",
        "/report/testshire/pothole/?q=ward",
    ],
)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_page_is_accessible(new_page, town, path, javascript):
    page = new_page(javascript=javascript)
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert_accessible(page)
