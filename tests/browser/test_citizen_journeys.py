"""Citizen journeys in a real browser: sign in with a link read from a real SMTP server, apply
for school transport across sessions, track and follow, and report a problem in Welsh. axe-core
checks every page. With TOWNSQUARE_SCREENSHOTS=<folder>, pages are also saved as screenshots
(docs/screenshots/ holds the committed ones)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.support import TIMEOUT_MS, assert_accessible
from tests.citizen_mailbox import text_of
from townsquare.accounts.principal import Principal
from townsquare.cases.services import (
    Reporter,
    case_create,
    case_post_public_update,
    case_transition,
)
from townsquare.portal import following

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TOWNSQUARE_SCREENSHOTS", "")
LINK = re.compile(r"https?://[^/\s]+(/sign-in/link/[A-Za-z0-9_-]+)")


def _expect():
    from playwright.sync_api import expect

    return expect


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"citizen-{name}.png"), full_page=True)


def _sign_in(page, mailbox, email: str, count: int = 1) -> None:
    expect = _expect()
    page.get_by_role("link", name="Sign in", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)
    message = mailbox.wait_for(to=email, count=count)
    page.goto(LINK.search(text_of(message)).group(1))
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()


def test_apply_for_school_transport_across_sessions(new_page, town, smtp_mailbox):
    expect = _expect()
    page = new_page(javascript=True)
    page.goto("/")
    _sign_in(page, smtp_mailbox, "parent@example.org")
    # Back where the person was, now signed in.
    expect(page).to_have_url(re.compile(r"/$"))
    page.get_by_role("link", name="My requests").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    assert_accessible(page)

    page.goto("/council/testshire/")
    assert_accessible(page)
    page.get_by_role("link", name="School transport").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("School transport")
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()

    # One question per page, the label is the page's heading.
    expect(page.get_by_role("heading", level=1)).to_have_text("Child's name")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Answer “Child's name”")
    assert_accessible(page)
    page.get_by_label("Child's name").fill("Sam Smith")
    _shot(page, "apply-question")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Special needs?")
    assert_accessible(page)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application has been saved")
    assert_accessible(page)

    # Sign out, leave; come back another day in a new browser session.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert_accessible(page)
    page.context.close()

    page = new_page(javascript=False)
    page.goto("/")
    _sign_in(page, smtp_mailbox, "parent@example.org", count=2)
    page.get_by_role("link", name="My requests").first.click()
    expect(page.get_by_role("heading", level=2, name="Saved applications")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Continue: School transport").click()
    # The conditional question "yes" opened comes next.
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe")
    assert_accessible(page)
    page.get_by_label("Describe").fill("Uses a wheelchair; needs a passenger assistant.")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Upload supporting documents (optional)"
    )
    assert_accessible(page)
    page.get_by_label("Upload a file").set_input_files(
        {
            "name": "proof-of-address.pdf",
            "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        }
    )
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("proof-of-address.pdf")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How can we contact you?")
    expect(page.get_by_label("Email address")).to_have_value("parent@example.org")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your application"
    )
    answers = page.locator("#answers")
    expect(answers).to_contain_text("Sam Smith")
    expect(answers).to_contain_text("Uses a wheelchair")
    assert_accessible(page)
    _shot(page, "apply-check-your-answers")
    # Change an answer and come straight back.
    page.get_by_role("link", name="Change Child's name").click()
    page.get_by_label("Child's name").fill("Samantha Smith")
    page.get_by_role("button", name="Save and return to check your answers").click()
    expect(answers).to_contain_text("Samantha Smith")
    page.get_by_role("button", name="Accept and send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Application sent")
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    assert re.fullmatch(r"TST-\d{2}-\d+", reference)
    assert_accessible(page)
    page.get_by_role("link", name="Track your application").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("School transport")
    expect(page.get_by_text("Application received")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="My requests").first.click()
    expect(page.get_by_role("table")).to_contain_text(reference)
    assert_accessible(page)
    _shot(page, "my-requests")


@pytest.fixture
def public_report(town):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=town,
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        description="Big hole by the bus stop",
        reporter=Reporter(email="pat@example.org"),
    )
    case_post_public_update(
        case=case, actor=Principal.system("Highways team"), message="Booked for repair on Tuesday."
    )
    return case.reference


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_track_and_follow_a_report(new_page, public_report, javascript):
    expect = _expect()
    page = new_page(javascript=javascript)
    page.goto("/")
    page.get_by_role("link", name="Track a request").first.click()
    page.get_by_label("Track a request").fill(public_report.lower())
    page.get_by_role("button", name="Find it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(public_report)
    expect(page.locator("#timeline").get_by_text("Booked for repair on Tuesday.")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Where it is in Testshire"))).to_be_visible()
    # The timeline announces changes; the status summary above follows the same stream.
    timeline = page.locator("[data-live-stream][data-live-fragment$='fragment=timeline']")
    expect(timeline).to_have_attribute("data-live-stream", f"/live/cases/{public_report}")
    expect(timeline).to_have_attribute("aria-live", "polite")
    summary = page.locator("[data-live-stream][data-live-fragment$='fragment=summary']")
    expect(summary).to_have_attribute("aria-live", "off")
    assert_accessible(page)
    if javascript:
        _shot(page, "track")
    if not following.available():
        expect(page.get_by_role("button", name="Follow this report")).to_have_count(0)
        pytest.skip("following needs the messaging app (not merged yet); track part done")
    page.get_by_label("Email address").fill("neighbour@example.org")
    page.get_by_role("button", name="Follow this report").click()
    expect(page.get_by_text("Check your email: select the link we sent")).to_be_visible()
    assert_accessible(page)


def test_the_track_page_updates_by_itself_when_the_council_acts(browser, public_report):
    """Over the real ASGI server (streams need it): status and timeline change, no reload."""
    from townsquare.cases.models import Case
    from townsquare.live.tests.server import asgi_server

    expect = _expect()
    with asgi_server(static=True) as base:
        context = browser.new_context(base_url=base, locale="en-GB")
        page = context.new_page()
        page.goto(f"/track/{public_report}")
        status = page.locator(".govuk-summary-list__value strong.govuk-tag")
        expect(status).to_have_text("Submitted")
        page.wait_for_timeout(500)  # the stream connects
        case_transition(
            case=Case.objects.get(reference=public_report),
            to_state="fixed",
            actor=Principal.system("Highways team"),
            message="Filled today.",
        )
        expect(page.locator("#timeline")).to_contain_text("Filled today.", timeout=TIMEOUT_MS)
        expect(status).to_have_text("Fixed", timeout=TIMEOUT_MS)
        assert_accessible(page)
        context.close()


def test_switch_to_welsh_and_report_a_problem(new_page, town):
    expect = _expect()
    page = new_page(javascript=False)
    page.goto("/")
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rhowch wybod am broblem")
    assert_accessible(page)
    _shot(page, "home-welsh")

    page.get_by_role("link", name="Rhoi gwybod am broblem i Testshire Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beth yw\u2019r broblem?")
    assert_accessible(page)
    page.get_by_role("link", name="Pothole").click()
    page.get_by_role("button", name="Anfon yr adroddiad").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Mae problem wedi codi")
    assert_accessible(page)
    page.get_by_label("Dewiswch y ward").select_option(label="East ward")
    page.get_by_label("Disgrifiwch ble mae e").fill("Y tu allan i 4 Lôn y Felin")
    page.get_by_role("group", name="How deep?").get_by_label("Deep").check()
    page.get_by_label("Rhif ffôn").fill("01632 960 001")
    page.get_by_role("button", name="Anfon yr adroddiad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adroddiad wedi\u2019i anfon")
    assert_accessible(page)
    page.get_by_role("link", name="Olrhain eich adroddiad").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_text("Rhoddwyd gwybod").first).to_be_visible()
    assert_accessible(page)
    # And back to English, remembered too.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=2, name="What has happened")).to_be_visible()


def test_home_find_your_council_and_map(new_page, town):
    expect = _expect()
    page = new_page(javascript=True)
    page.goto("/")
    assert_accessible(page)
    _shot(page, "home")
    for entry in ("Report a problem", "Apply for a service", "Track a request", "My requests"):
        expect(page.get_by_role("heading", level=2, name=entry)).to_be_visible()
    page.get_by_label("Find your council").fill("West ward")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"/council/testshire/$"))
    assert_accessible(page)
    page.goto("/")
    page.get_by_role("link", name="Testshire Council").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Testshire Council")
