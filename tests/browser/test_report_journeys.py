"""Report a problem in a real browser: with the map (click to place the pin), with JavaScript
off using a street from the gazetteer, by keyboard alone, with a photo whose metadata must not
survive, and supporting a report nearby instead; axe-core checks every page on the way.

Map tiles point at a closed local port, as when a tile server cannot be reached: the map must
still draw the council's boundary and wards from Townsquare's own GeoJSON and take a pin.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.browser.support import assert_accessible, assert_focused, tab_to
from tests.citizen_mailbox import text_of
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Attachment, Case
from townsquare.cases.services import Reporter, case_create
from townsquare.councils.services import places_import_csv
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "/report/testshire/pothole/"
# Without JavaScript there is no map, so the error does not speak of a pin.
EMPTY_FORM_ERRORS = [
    "Show where the problem is: search for a street or place, or select the ward",
    "Describe where the problem is, for example Outside 4 Mill Lane",
    "Select an answer for “How deep?”",
    "Enter an email address or a phone number so the council can contact you about this report",
]
REFERENCE = re.compile(r"TST-\d{2}-\d+")
STREETS = "name,lat,lng,kind\nMill Lane,51.5,-1.75,street\nMillbrook Road,51.45,-1.6,street\n"


@pytest.fixture(autouse=True)
def _unreachable_tiles(settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def streets(town):
    places_import_csv(council=town, text=STREETS)
    return town


def _expect():
    from playwright.sync_api import expect

    return expect


def _reference_from_confirmation(page, heading: str = "Report sent") -> str:
    expect = _expect()
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference


def _confirm_by_email(page, mailbox, reference: str) -> None:
    """Follow the link in the email, as the reporter would."""
    expect = _expect()
    message = mailbox.wait_for(to="pat@example.org")
    assert reference in message["Subject"]
    # The link is at PUBLIC_URL; the browser opens its path on the test server.
    link = re.search(r"https?://[^/\s]+(/report/confirm/\S+)", text_of(message)).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name="Email address confirmed")).to_be_visible()
    expect(page.locator(".govuk-panel__body strong")).to_have_text(reference)


def _expect_tracked(page, reference: str) -> None:
    expect = _expect()
    expect(page).to_have_url(re.compile(rf"/track/{reference}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pothole")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    status = page.locator(".govuk-summary-list__row", has_text="Status")
    expect(status.locator("dd")).to_have_text("Submitted")


def _answer_the_questions(page) -> None:
    page.get_by_label("Describe where it is").fill("Outside 4 Mill Lane")
    page.get_by_role("group", name="How deep?").get_by_label("Deep").check()


def _wait_for_boundaries(page) -> None:
    # Drawn from /map/testshire/boundaries.geojson: the council and its two wards.
    _expect()(page.locator(".ts-map__canvas path.ts-map__boundary")).to_have_count(3)


def test_report_with_the_map_click_to_place(page, town, smtp_mailbox):
    expect = _expect()
    page.goto(FORM)
    canvas = page.locator(".ts-map__canvas")
    expect(canvas).to_be_visible()
    _wait_for_boundaries(page)
    assert_accessible(page)

    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] / 2 - 40, "y": box["height"] / 2})
    expect(page.locator("[data-ts-map-status]")).to_contain_text("Pin placed")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    lat, lng = float(page.input_value("#lat")), float(page.input_value("#lng"))
    assert 51.0 < lat < 52.0 and -2.0 < lng < -1.5, (lat, lng)  # the west half
    expect(page.get_by_role("button", name="Remove the pin")).to_be_visible()
    assert_accessible(page)

    _answer_the_questions(page)
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("Your name").fill("Pat Resident")
    page.get_by_label("Show my name publicly with this report").check()
    page.get_by_role("button", name="Send report").click()

    reference = _reference_from_confirmation(page, "Report received: check your email")
    expect(page.get_by_text("p***@example.org")).to_be_visible()
    assert_accessible(page)
    case = Case.objects.get(reference=reference)
    assert (round(case.lat, 6), round(case.lng, 6)) == (lat, lng)
    assert not case.location_approximate and case.area.name == "West ward"
    assert not case.is_public and case.awaiting_confirmation

    _confirm_by_email(page, smtp_mailbox, reference)
    assert_accessible(page)
    page.get_by_role("link", name="Track your report").click()
    _expect_tracked(page, reference)
    assert_accessible(page)
    case.refresh_from_db()
    assert case.is_public and case.reporter_name == "Pat Resident" and case.reporter_name_public


def test_report_with_javascript_off_using_a_street_from_the_gazetteer(new_page, streets):
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
    expect(page.locator(".ts-map")).to_be_hidden()  # no map without JavaScript
    assert_accessible(page)

    # Nothing filled in: the error summary lists every problem, each linked to its field.
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    links = summary.get_by_role("link")
    expect(links).to_have_text(EMPTY_FORM_ERRORS)
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        expect(page.locator(href)).to_have_count(1)
    assert_accessible(page)

    page.get_by_label("Search for a street, place or postcode").fill("mill")
    page.get_by_role("button", name="Search", exact=True).click()
    places = page.get_by_role("group", name="Choose the street or place")
    expect(places.get_by_role("radio")).to_have_count(2)
    places.get_by_label("Mill Lane").check()
    assert_accessible(page)
    _answer_the_questions(page)
    page.get_by_label("Phone number").fill("01632 960 001")
    page.get_by_role("button", name="Send report").click()

    reference = _reference_from_confirmation(page)
    assert_accessible(page)
    case = Case.objects.get(reference=reference)
    assert (case.lat, case.lng) == (51.5, -1.75) and case.location_approximate
    assert case.address == "Mill Lane: Outside 4 Mill Lane" and case.is_public

    page.get_by_role("link", name="Track your report").click()
    _expect_tracked(page, reference)
    expect(page.get_by_text("Mill Lane: Outside 4 Mill Lane (approximate)")).to_be_visible()
    assert_accessible(page)


def test_report_by_keyboard_alone_with_the_map(new_page, town):
    expect = _expect()
    page = new_page(javascript=True)
    page.goto(FORM)
    expect(page.locator("body.govuk-frontend-supported")).to_have_count(1)
    _wait_for_boundaries(page)

    page.keyboard.press("Tab")
    assert_focused(page, "a.govuk-skip-link")
    page.keyboard.press("Enter")
    assert_focused(page, "main#main-content")

    # Sending it empty brings the error summary, which takes the focus.
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    # The map takes the focus and moves with the arrow keys; a button drops the pin.
    tab_to(page, ".ts-map__canvas")
    page.keyboard.press("ArrowRight")
    tab_to(page, "button[data-ts-map-action=centre]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-ts-map-status]")).to_contain_text("Pin placed")
    assert page.input_value("#lat") and page.input_value("#lng")

    tab_to(page, "input#place")
    page.keyboard.type("Outside 4 Mill Lane")
    tab_to(page, "input[name=field-depth]")
    page.keyboard.press("ArrowDown")  # from Shallow to Deep, which selects it
    expect(page.locator("#field-depth-2")).to_be_checked()
    tab_to(page, "#phone")
    page.keyboard.type("01632 960 001")
    tab_to(page, "#report-form button[type=submit]")
    page.keyboard.press("Enter")

    reference = _reference_from_confirmation(page)
    assert_accessible(page)
    assert not Case.objects.get(reference=reference).location_approximate
    tab_to(page, "a[href$='/track/" + reference + "']")
    page.keyboard.press("Enter")
    _expect_tracked(page, reference)


def _photo_with_gps_and_camera() -> bytes:
    image = Image.new("RGB", (3000, 2000), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Ltd"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (1.0, 45.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def test_an_uploaded_photo_keeps_no_metadata(page, town, tmp_path, settings):
    expect = _expect()
    settings.MEDIA_ROOT = tmp_path
    original = _photo_with_gps_and_camera()
    assert b"SpyCam" in original and Image.open(io.BytesIO(original)).getexif()

    page.goto(FORM)
    # A broken "photo" first: refused with a clear message, the rest of the form kept.
    page.get_by_label("Photos").set_input_files(
        [{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}]
    )
    page.get_by_label("Describe where it is").fill("By the postbox")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#photos-error")).to_contain_text("broken.jpg is not a photo we can read")
    expect(page.get_by_label("Describe where it is")).to_have_value("By the postbox")
    assert_accessible(page)

    page.get_by_label("Photos").set_input_files(
        [{"name": "hole.jpg", "mimeType": "image/jpeg", "buffer": original}]
    )
    page.get_by_label("Select the ward").select_option(label="East ward")
    page.get_by_role("group", name="How deep?").get_by_label("Deep").check()
    page.get_by_label("Phone number").fill("01632 960 001")
    page.get_by_role("button", name="Send report").click()

    reference = _reference_from_confirmation(page)
    attachment = Attachment.objects.get(case__reference=reference)
    stored = attachment.file.read()
    assert b"SpyCam" not in stored and b"taken at home" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
        assert max(image.size) == 2048
    assert attachment.content_type == "image/jpeg" and attachment.is_public


def test_a_report_nearby_can_be_supported_instead(page, town, smtp_mailbox):
    expect = _expect()
    existing = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=town,
        point=Point(51.5, -1.75),
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        reporter=Reporter(phone="01632960001"),
        channel="web",
    )

    page.goto(FORM)
    _wait_for_boundaries(page)
    page.evaluate("""() => { document.querySelector('#lat').value = '51.5004';
                             document.querySelector('#lng').value = '-1.7503'; }""")
    _answer_the_questions(page)
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_role("button", name="Send report").click()

    banner = page.get_by_role("region", name="Has this already been reported?")
    expect(banner).to_contain_text(existing.reference)
    assert_accessible(page)
    banner.get_by_role("button", name=re.compile("This is my problem")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your support has been added")
    # Support by email counts once the address is proved by the link (ADR 134).
    expect(page.get_by_text("Your support is counted when you follow the link")).to_be_visible()
    assert_accessible(page)
    existing.refresh_from_db()
    assert existing.support_count == 0 and Case.objects.count() == 1

    message = smtp_mailbox.wait_for(to="sam@example.org")
    link = re.search(r"https?://[^/\s]+(/alerts/confirm/\S+)", text_of(message)).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your updates are on")
    existing.refresh_from_db()
    assert existing.support_count == 1


def test_browse_reports_on_the_map_and_in_the_list(page, streets):
    expect = _expect()
    for i in range(3):
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            council=streets,
            point=Point(51.5 + i * 0.001, -1.75),
            address=f"Spot {i}",
            values={"depth": "deep"},
            reporter=Reporter(phone="01632960001"),
            channel="web",
        )
    page.goto("/reports/?q=mill+lane")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports near Mill Lane")
    expect(page.locator(".ts-report-list > li")).to_have_count(3)
    expect(page.locator(".ts-map__canvas path.ts-map__report")).to_have_count(3)
    assert_accessible(page)
    page.get_by_label("Closed").check()
    page.get_by_role("button", name="Show reports").click()
    expect(page.get_by_text("No public reports match")).to_be_visible()
    assert_accessible(page)


def test_use_my_location_places_the_pin(browser, live_server, town):
    from tests.browser.support import TIMEOUT_MS, VIEWPORT

    expect = _expect()
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="en-GB",
        geolocation={"latitude": 51.6, "longitude": -1.3},
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(FORM)
        _wait_for_boundaries(page)
        page.get_by_role("button", name="Use my location").click()
        expect(page.locator("[data-ts-map-status]")).to_contain_text("Pin placed at your location")
        assert (page.input_value("#lat"), page.input_value("#lng")) == ("51.600000", "-1.300000")
        assert_accessible(page)
    finally:
        context.close()
