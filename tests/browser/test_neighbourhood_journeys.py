"""Issue 17's walk-through in a real browser, axe-checked on each page: a resident posts on
their ward's page (without JavaScript), a moderator lets the first post through, an officer
replies and turns the thread into a case, a moderator hides a reply with a reason, its author
appeals, and another moderator restores it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def _signed_in_resident(page, base: str, email: str):
    from townsquare.accounts.services import user_ensure

    user = user_ensure(email=email)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base}])
    return user


def _moderate(page, *, post_text: str, action: str, rule: str, explanation: str):
    card = page.locator(".govuk-summary-card", has_text=post_text)
    card.locator("summary").click()
    card.get_by_label("Action").select_option(label=action)
    card.get_by_label("Rule").select_option(label=rule)
    card.get_by_label("Explanation for the author").fill(explanation)
    card.get_by_role("button", name="Record decision").click()


def test_post_reply_case_hide_appeal_and_restore(new_page, town, live_server):
    expect = _expect()
    first_mod, _ = factories.make_staff_signed_in(town, "agent", "ola@testshire.test")
    second_mod, _ = factories.make_staff_signed_in(town, "supervisor", "sid@testshire.test")

    # A resident, without JavaScript, finds their ward and starts a discussion.
    sam = new_page(javascript=False)
    _signed_in_resident(sam, live_server.url, "sam@example.org")
    sam.goto("/neighbourhoods/")
    sam.get_by_role("link", name="Testshire Council").click()
    sam.get_by_role("link", name="West ward").click()
    expect(sam.get_by_role("heading", level=1)).to_have_text("West ward")
    assert_accessible(sam)
    sam.get_by_role("button", name="Post").click()
    expect(sam.locator(".govuk-error-summary")).to_contain_text("Enter a title")
    assert_accessible(sam)
    sam.get_by_label("Title").fill("Pothole outside number 12")
    sam.get_by_label("The name shown beside your posts").fill("Sam on Elm Row")
    sam.get_by_label("Your message").fill("A **deep** pothole by the school gate.")
    sam.get_by_role("button", name="Post").click()
    expect(sam.get_by_text("Waiting for a moderator: only you can see it")).to_be_visible()
    assert_accessible(sam)

    # A moderator lets the first post through, replies as the council, makes it a case.
    ola = new_page()
    staff_sign_in(ola, first_mod.email)
    ola.goto("/staff/neighbourhoods/")
    assert_accessible(ola)
    ola.get_by_role("link", name="Pothole outside number 12").first.click()
    _moderate(
        ola,
        post_text="A deep pothole",
        action="Release (show it, trust the author)",
        rule="New members' posts are checked",
        explanation="Checked: fine to show.",
    )
    expect(ola.get_by_text("Decision recorded")).to_be_visible()
    ola.get_by_label("Your reply (shown with your role and council)").fill(
        "Thank you: we will inspect it this week."
    )
    ola.get_by_role("button", name="Post reply").click()
    ola.get_by_label("Turn this thread into a case of").select_option(label="Pothole")
    ola.get_by_role("button", name="Turn into a case").click()
    ola.get_by_label("How deep?").select_option(label="Deep")
    ola.get_by_role("button", name="Turn into a case").click()
    expect(ola.get_by_text("The thread is now a case")).to_be_visible()
    assert_accessible(ola)

    # The resident sees the officer's reply marked, and the case's status; replies.
    sam.reload()
    expect(sam.get_by_text("Council officer, Testshire Council")).to_be_visible()
    expect(sam.get_by_text("The council is dealing with this")).to_be_visible()
    sam.get_by_label("Your message").fill("Great, thanks! Also the kerb is loose.")
    sam.get_by_role("button", name="Post reply").click()
    expect(sam.get_by_text("Also the kerb is loose.")).to_be_visible()
    assert_accessible(sam)

    # The moderator hides the reply with a rule and a reason.
    ola.reload()
    _moderate(
        ola,
        post_text="Also the kerb is loose.",
        action="Hide the post",
        rule="Stay local and on topic",
        explanation="Please start a new thread for the kerb.",
    )
    expect(ola.get_by_text("Decision recorded")).to_be_visible()

    # Its author reads why and appeals.
    sam.goto("/neighbourhoods/mine")
    expect(sam.get_by_text("Please start a new thread for the kerb.")).to_be_visible()
    assert_accessible(sam)
    sam.get_by_role("link", name="Appeal this decision").click()
    assert_accessible(sam)
    sam.get_by_label("Why is the decision wrong?").fill("The kerb is by the same pothole.")
    sam.get_by_role("button", name="Send appeal").click()
    expect(sam.get_by_text("You appealed: another moderator will decide.")).to_be_visible()

    # The moderator who decided cannot decide the appeal; another one restores the reply.
    ola.goto("/staff/neighbourhoods/")
    ola.get_by_role("link", name="Appeal against").click()
    expect(ola.get_by_text("another moderator must decide the appeal")).to_be_visible()
    sid = new_page()
    staff_sign_in(sid, second_mod.email)
    sid.goto("/staff/neighbourhoods/")
    sid.get_by_role("link", name="Appeal against").click()
    assert_accessible(sid)
    sid.get_by_label("Reverse the decision (restore the post, unlock or lift the ban)").check()
    sid.get_by_label("Answer for the author").fill("You are right: it is the same place.")
    sid.get_by_role("button", name="Decide the appeal").click()
    expect(sid.get_by_text("Appeal decided")).to_be_visible()

    sam.goto("/neighbourhoods/mine")
    expect(sam.get_by_text("Your appeal succeeded")).to_be_visible()
    sam.get_by_role("link", name="Pothole outside number 12").first.click()
    expect(sam.get_by_text("Also the kerb is loose.")).to_be_visible()

    # The public log counts the decisions, naming no one.
    sam.goto("/neighbourhoods/testshire/moderation-log")
    expect(sam.get_by_role("table")).to_contain_text("Hidden")
    expect(sam.locator("main")).not_to_contain_text("Sam on Elm Row")
    assert_accessible(sam)
