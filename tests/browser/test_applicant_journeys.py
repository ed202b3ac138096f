"""An applicant's journeys on their own track page (ADR 100), in a real browser, axe-checked:
asked for more information, they reply with a file and watch the council move the case on
live (the move made in this process, the page served by another); and they withdraw through
the confirmation step, with JavaScript and without, in English and in Welsh."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories
from tests.browser.support import TIMEOUT_MS, assert_accessible
from townsquare.accounts.models import User
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.models import Case
from townsquare.cases.services import case_assign, case_create, case_transition
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
SHOTS = os.environ.get("TOWNSQUARE_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"applicant-{name}.png"), full_page=True)


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def applicant(town):
    template_publish(
        council=town, document=factories.shipped_workflow_template(), actor=Actor.system("t")
    )
    owner = User.objects.create_user("parent@example.org")
    case = case_create(
        service_code="school_transport",
        council=town,
        actor=principal_for_user(owner),
        values={"child_name": "Sam Smith", "sen": "no"},
    )
    return owner, case


def _session_cookie(user, base: str) -> list[dict]:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base}]


def test_asked_for_more_information_the_applicant_replies_with_a_file_and_sees_it_move_on(
    browser, applicant, tmp_path
):
    from townsquare.live.tests.server import asgi_server

    expect = _expect()
    owner, case = applicant
    officer, agent = factories.make_staff(case.council, "agent")
    case_assign(case=case, actor=agent, assignee_id=officer.pk)
    case_transition(
        case=Case.objects.get(pk=case.pk),
        to_state="more_information_needed",
        actor=agent,
        message="Please send a letter from the school.",
    )
    letter = tmp_path / "school letter.pdf"
    letter.write_bytes(PDF)
    with asgi_server(static=True) as base:
        context = browser.new_context(base_url=base, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies(_session_cookie(owner, base))
        page = context.new_page()
        page.goto(f"/track/{case.reference}")
        expect(page.get_by_text("We need more information from you")).to_be_visible()
        expect(page.get_by_role("heading", name="Your answers")).to_be_visible()
        expect(page.locator("li[aria-current=step]")).to_contain_text("More information needed")
        assert_accessible(page)
        _shot(page, "more-information-needed")

        page.get_by_role("button", name="Reply with more information").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reply with more information")
        expect(page.get_by_text("Please send a letter from the school.")).to_be_visible()
        assert_accessible(page)
        _shot(page, "reply")
        page.get_by_role("button", name="Send reply").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter your reply or add a document"
        )
        assert_accessible(page)
        page.get_by_label("Your reply").fill("The letter from the school is attached.")
        page.get_by_label("Add documents (optional)").set_input_files(str(letter))
        # The page after the reply opens the stream; its first message ("ready") makes the
        # page fetch its fragments again, so that fetch shows the stream is following.
        with page.expect_response(lambda r: "fragment=stages" in r.url):
            page.get_by_role("button", name="Send reply").click()
        expect(page.get_by_text("Your reply has been sent")).to_be_visible()
        status = page.locator(".govuk-summary-list__value strong.govuk-tag")
        expect(status).to_have_text("Under review")
        timeline = page.locator("#timeline")
        expect(timeline).to_contain_text("The letter from the school is attached.")
        expect(timeline).to_contain_text("school letter.pdf")
        assert_accessible(page)

        # The council decides while the page is open: it changes by itself.
        case_transition(case=Case.objects.get(pk=case.pk), to_state="approved", actor=agent)
        expect(status).to_have_text("Transport agreed", timeout=TIMEOUT_MS)
        expect(page.locator("li[aria-current=step]")).to_contain_text("Transport agreed")
        expect(page.get_by_role("button", name="Withdraw your application")).to_have_count(0)
        assert_accessible(page)
        _shot(page, "decided")
        context.close()


@pytest.mark.parametrize(
    ("javascript", "welsh"),
    [(True, False), (False, False), (False, True)],
    ids=["js", "no-js", "no-js-welsh"],
)
def test_the_applicant_withdraws_through_the_confirmation_step(
    new_page, live_server, applicant, javascript, welsh
):
    expect = _expect()
    owner, case = applicant
    page = new_page(javascript=javascript)
    page.context.add_cookies(_session_cookie(owner, live_server.url))
    page.goto(f"/track/{case.reference}")
    if welsh:
        page.get_by_role("button", name="Cymraeg").click()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
    words = (
        {
            "withdraw": "Tynnu eich cais yn ôl",
            "question": "Ydych chi\u2019n siŵr eich bod am dynnu eich cais yn ôl?",
            "confirm": "Ie, tynnu fy nghais yn ôl",
            "done": "Statws eich cais bellach yw “Wedi'i dynnu'n ôl”.",
        }
        if welsh
        else {
            "withdraw": "Withdraw your application",
            "question": "Are you sure you want to withdraw your application?",
            "confirm": "Yes, withdraw my application",
            "done": "Your application is now “Withdrawn”.",
        }
    )
    expect(page.locator("li[aria-current=step]")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("button", name=words["withdraw"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["question"])
    assert_accessible(page)
    if javascript:
        _shot(page, "withdraw-confirm")
    # Asking changed nothing yet.
    assert Case.objects.get(pk=case.pk).state == "submitted"
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page).to_have_url(re.compile(rf"/track/{case.reference}\?moved=withdrawn$"))
    expect(page.get_by_role("alert")).to_contain_text(words["done"])
    expect(page.get_by_role("button", name=words["withdraw"])).to_have_count(0)
    assert_accessible(page)
    withdrawn = Case.objects.get(pk=case.pk)
    assert withdrawn.state == "withdrawn" and not withdrawn.is_open
