"""Issue 12's smaller defects in a real browser: at 320 px the tables scroll inside their own
focusable region and a long URL in what people wrote wraps, so the page never scrolls sideways
(WCAG 1.4.10); the map's pin controls and hints by keyboard, in English and Welsh. axe-core
checks every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in, tab_to
from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import Reporter, case_create
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 320, "height": 640}
FORM = "/report/testshire/pothole/"
LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-spaces-" * 8 + "end"
# Where the reports are, inside the test council (-2..-1, 51..52).
MIDDLE = Point(51.5, -1.5)


def _expect():
    from playwright.sync_api import expect

    return expect


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 320px"


def _tables_in_regions(page) -> None:
    """Every table sits in a focusable region with a name, which alone may scroll."""
    tables = page.locator("main table")
    assert tables.count() > 0, page.url
    for i in range(tables.count()):
        region = tables.nth(i).locator("xpath=..")
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label")


def _report(town, **kwargs):
    return case_create(
        **{
            "service_code": "pothole",
            "actor": Principal.anonymous(),
            "council": town,
            "point": MIDDLE,
            "address": "By the bus stop",
            "values": {"depth": "deep"},
            "reporter": Reporter(phone="01632960001"),
            **kwargs,
        }
    )


def _signed_in_citizen(page, live_server, town) -> None:
    """A resident with a report, signed in by handing the browser a session cookie."""
    user = User.objects.create_user("resident@example.org")
    _report(town, actor=principal_for_user(user), description=LONG_URL)
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_tables_and_long_words_fit_a_320px_screen(new_page, town, live_server):
    page = new_page(javascript=True)
    page.set_viewport_size(PHONE)
    _signed_in_citizen(page, live_server, town)
    for path in ("/my-requests", "/open-data/", "/performance/testshire/"):
        page.goto(path)
        _tables_in_regions(page)
        _no_sideways_scroll(page)
        assert_accessible(page)
    # A table wider than the screen scrolls in its region, reached and scrolled by keyboard.
    page.goto("/open-data/")
    region = page.locator(".ts-table-scroll").first
    tab_to(page, ".ts-table-scroll")
    _expect()(region).to_be_focused()
    if region.evaluate("r => r.scrollWidth > r.clientWidth"):
        page.keyboard.press("ArrowRight")
        _expect()(region).not_to_have_js_property("scrollLeft", 0)

    # What people wrote wraps: a long URL in a description, on the browse and track pages.
    reference = _report(town, description=LONG_URL).reference
    for path in ("/reports/?council=testshire", f"/track/{reference}"):
        page.goto(path)
        _expect()(page.get_by_text(LONG_URL[:40]).first).to_be_visible()
        _no_sideways_scroll(page)
        assert_accessible(page)

    # And as a nearby report on the form.
    page.goto(FORM)
    _expect()(page.locator(".ts-map__canvas path.ts-map__boundary")).to_have_count(3)
    page.locator("[data-ts-map-action=centre]").click()
    # Exactly on the report with the long URL, wherever the map's middle fell.
    page.evaluate(
        "([lat, lng]) => { document.getElementById('lat').value = lat; "
        "document.getElementById('lng').value = lng; }",
        [str(MIDDLE.lat), str(MIDDLE.lng)],
    )
    page.fill("#place", "By the bus stop")
    page.locator("#field-depth-2").check()
    page.fill("#phone", "01632 960 001")
    page.locator("#report-form button[type=submit]").click()
    _expect()(page.get_by_text(LONG_URL[:40]).first).to_be_visible()
    _no_sideways_scroll(page)
    assert_accessible(page)


def test_a_staff_queue_fits_a_320px_screen(new_page, town):
    user, _ = factories.make_staff_signed_in(town, "agent")
    _report(town, description=LONG_URL)
    page = new_page(javascript=True)
    staff_sign_in(page, user.email)
    page.set_viewport_size(PHONE)
    page.goto("/staff/cases/")
    _tables_in_regions(page)
    _no_sideways_scroll(page)
    assert_accessible(page)


@pytest.mark.parametrize(
    ("language", "placed", "not_said", "remove", "removed"),
    [
        (
            "en",
            "To move it, move the map with the arrow keys",
            "Drag it",
            "Remove the pin",
            "Pin removed.",
        ),
        (
            "cy",
            "I\u2019w symud, symudwch y map gyda\u2019r bysellau saeth",
            "Llusgwch",
            "Tynnu\u2019r pin",
            "Mae\u2019r pin wedi\u2019i dynnu.",
        ),
    ],
)
def test_pin_controls_and_hints_by_keyboard(
    new_page, town, live_server, language, placed, not_said, remove, removed
):
    expect = _expect()
    page = new_page(javascript=True)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(FORM)
    expect(page.locator(".ts-map__canvas path.ts-map__boundary")).to_have_count(3)
    status = page.locator("[data-ts-map-status]")
    remove_button = page.locator("[data-ts-map-action=clear]")
    # No pin yet: nothing to remove, neither shown nor in the accessibility tree.
    expect(remove_button).to_be_hidden()
    expect(page.get_by_role("button", name=remove)).to_have_count(0)
    assert_accessible(page)

    tab_to(page, ".ts-map__canvas")
    page.keyboard.press("ArrowLeft")
    tab_to(page, "button[data-ts-map-action=centre]")
    page.keyboard.press("Enter")
    expect(status).to_contain_text(placed)
    expect(status).not_to_contain_text(not_said)
    expect(page.get_by_role("button", name=remove)).to_be_visible()
    assert page.input_value("#lat") and page.input_value("#lng")
    assert_accessible(page)

    tab_to(page, "button[data-ts-map-action=clear]")
    page.keyboard.press("Enter")
    expect(status).to_have_text(removed)
    expect(remove_button).to_be_hidden()
    expect(page.locator("button[data-ts-map-action=centre]")).to_be_focused()
    assert page.input_value("#lat") == ""
    assert re.search(r"\S", page.input_value("#map_shown"))
