"""Staff journeys in a real browser, checked with axe-core on every staff page."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def test_first_sign_in_sets_up_an_authenticator(page, town):
    expect = _expect()
    user, _ = factories.make_staff(town, "supervisor")
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next="))
    assert_accessible(page)

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_accessible(page)

    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(factories.STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.locator(".ts-qr svg")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm and sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved my codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    expect(page.locator(".ts-header__name")).to_have_text("Testshire Council")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_sign_in_with_a_code_and_switch_council(page, town):
    expect = _expect()
    from townsquare.accounts.services import membership_set

    other = factories.make_council("otherby", prefix="OTH", bounds=(0.0, 51.0, 1.0, 52.0))
    user, _ = factories.make_staff_signed_in(town, "agent")
    membership_set(user=user, council_id=other.id, role="council_admin")
    page.goto("/staff/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct email address and password"
    )
    staff_sign_in(page, user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    page.get_by_label("Council").select_option(label="Otherby Council")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator(".ts-header__name")).to_have_text("Otherby Council")
    assert_accessible(page)


def _report(town, lat=51.5, lng=-1.75, **kwargs):
    from townsquare.accounts.principal import Principal
    from townsquare.cases.services import Reporter, case_create
    from townsquare.geo.points import Point

    defaults = dict(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(lat, lng),
        values={"depth": "deep"},
        description="Big hole by the bus stop",
        address="4 Mill Lane",
        reporter=Reporter(email="sam@example.org"),
    )
    defaults.update(kwargs)
    return case_create(council=town, **defaults)


def test_triage_a_new_report_to_closed_with_a_public_update(page, town):
    expect = _expect()
    case = _report(town)
    user, _ = factories.make_staff_signed_in(town, "agent")
    staff_sign_in(page, user.email)
    page.get_by_role("link", name="Cases", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    assert_accessible(page)

    page.get_by_label("Person").select_option(label="Me")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text("Assignment saved")).to_be_visible()
    page.get_by_label("In progress").check()
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text(f"{case.reference} is now In progress")).to_be_visible()

    page.get_by_label("Public update").fill("A crew will fill it on Tuesday.")
    page.get_by_role("button", name="Post public update").click()
    expect(page.locator("#timeline")).to_contain_text("A crew will fill it on Tuesday.")
    page.get_by_label("Internal note").fill("Cones needed")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".ts-timeline__item--internal").first).to_contain_text("Cones needed")

    page.get_by_label("Fixed").check()
    page.get_by_label("Message to the public (optional)").fill("Filled in today. Thank you!")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fixed")
    assert_accessible(page)

    # The public track page shows the public update but not the internal note.
    page.goto(f"/track/{case.reference}")
    expect(page.locator("main")).to_contain_text("Filled in today. Thank you!")
    expect(page.locator("main")).not_to_contain_text("Cones needed")


def test_bulk_close_from_the_queue(page, town):
    expect = _expect()
    cases = [_report(town) for _ in range(3)]
    user, _ = factories.make_staff_signed_in(town, "agent")
    staff_sign_in(page, user.email)
    page.goto("/staff/cases/")
    # Everything on the page at once, then one taken out again.
    page.get_by_label("Select every case on this page").check()
    for case in cases:
        expect(page.get_by_label(f"Select {case.reference}")).to_be_checked()
    page.get_by_label(f"Select {cases[2].reference}").uncheck()
    expect(page.get_by_label("Select every case on this page")).not_to_be_checked()
    page.get_by_label("Change status or close, with a message").check()
    page.get_by_label("New status").select_option(label="Fixed")
    page.get_by_label("Message to the public (optional)").fill("Resurfaced the whole street")
    page.get_by_role("button", name="Apply to selected cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2 cases changed")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the list").last.click()
    expect(page.locator("#queue-summary")).to_contain_text("of 1 case")


def test_two_officers_change_one_case_at_once(new_page, town):
    expect = _expect()
    case = _report(town)
    first_user, _ = factories.make_staff_signed_in(town, "agent")
    second_user, _ = factories.make_staff_signed_in(town, "agent", email="second@testshire.test")
    from townsquare.accounts.signin import second_factor_set

    # Each has their own authenticator: one code cannot be used twice.
    secret = pyotp.random_base32()
    second_factor_set(user=second_user, secret=secret)
    first, second = new_page(), new_page()
    staff_sign_in(first, first_user.email)
    staff_sign_in(second, second_user.email, secret=secret)
    for page in (first, second):
        page.goto(f"/staff/cases/{case.reference}")
    first.get_by_label("Priority", exact=True).select_option(label="Urgent")
    first.get_by_role("button", name="Set priority").click()
    expect(first.get_by_text("Priority saved")).to_be_visible()

    second.get_by_label("Public update").fill("We will look at it this week")
    second.get_by_role("button", name="Post public update").click()
    expect(second.get_by_role("heading", name="Someone else changed this case")).to_be_visible()
    expect(second.get_by_label("Public update")).to_have_value("We will look at it this week")
    assert_accessible(second)
    second.get_by_role("button", name="Post public update").click()
    expect(second.get_by_text("Public update posted")).to_be_visible()


def test_a_supervisor_sees_what_an_agent_cannot(new_page, town):
    expect = _expect()
    case = _report(town)
    _report(town, lat=51.5001, lng=-1.7501)
    agent_user, _ = factories.make_staff_signed_in(town, "agent")
    supervisor_user, _ = factories.make_staff_signed_in(town, "supervisor")
    from townsquare.accounts.signin import second_factor_set

    secret = pyotp.random_base32()
    second_factor_set(user=supervisor_user, secret=secret)
    agent, supervisor = new_page(), new_page()
    staff_sign_in(agent, agent_user.email)
    staff_sign_in(supervisor, supervisor_user.email, secret=secret)
    agent.goto(f"/staff/cases/{case.reference}")
    supervisor.goto(f"/staff/cases/{case.reference}")
    expect(agent.get_by_role("group", name="Merge as a duplicate")).to_have_count(0)
    expect(agent.get_by_label("Not ours")).to_have_count(0)
    expect(supervisor.get_by_role("group", name="Merge as a duplicate")).to_be_visible()
    expect(supervisor.get_by_label("Not ours")).to_be_visible()
    # The reporter's contact details are for supervisors and whoever the case is assigned to.
    expect(agent.locator("#contact-hidden")).to_be_visible()
    expect(agent.locator("main")).not_to_contain_text("sam@example.org")
    expect(supervisor.locator("main")).to_contain_text("sam@example.org")
    assert_accessible(supervisor)


def test_build_and_publish_a_service_then_a_resident_uses_it(new_page, town):
    expect = _expect()
    admin_user, _ = factories.make_staff_signed_in(town, "council_admin")
    page = new_page()
    staff_sign_in(page, admin_user.email)
    page.get_by_role("region", name="Staff menu").get_by_role("link", name="Services").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services")
    assert_accessible(page)
    page.get_by_role("link", name="Create a service").click()
    assert_accessible(page)
    page.get_by_label("Name residents see").fill("Broken bench")
    page.get_by_label("Code").fill("broken_bench")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Broken bench")
    expect(page.get_by_role("button", name="Publish")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Questions").click()
    form = page.locator("#field-form")
    form.get_by_label("Question").fill("What is broken?")
    # The preview follows the typing before anything is saved.
    expect(page.locator(".ts-preview__question--pending")).to_contain_text("What is broken?")
    form.get_by_label("Code").fill("part")
    form.get_by_label("Kind of answer").select_option(label="Choose one")
    form.get_by_label("Choices").fill("seat | The seat\nlegs | The legs")
    expect(page.locator(".ts-preview").get_by_label("The legs")).to_be_visible()
    form.get_by_label("An answer is required").check()
    form.get_by_role("button", name="Add the question").click()
    preview = page.locator(".ts-preview")
    expect(preview.get_by_role("group", name="What is broken?")).to_be_visible()
    expect(preview.get_by_label("The legs")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Workflow").click()
    expect(page.get_by_role("img", name=re.compile("Workflow diagram"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Time limits, routing and privacy").click()
    page.get_by_label("Team new cases go to").select_option(label="Highways")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#problems")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Broken bench version 1 is published")).to_be_visible()
    assert_accessible(page)

    resident = new_page(javascript=False)
    resident.goto("/report/testshire/broken_bench/")
    expect(resident.get_by_role("heading", level=1)).to_have_text("Broken bench")
    resident.get_by_label("Select the ward").select_option(label="East ward")
    resident.get_by_label("Describe where it is").fill("By the pond")
    resident.get_by_role("group", name="What is broken?").get_by_label("The seat").check()
    resident.get_by_label("Phone number").fill("01632 960 001")
    resident.get_by_role("button", name=re.compile("^Send")).click()
    reference = resident.locator(".govuk-panel__body strong").inner_text().strip()

    page.goto("/staff/cases/?q=" + reference)
    page.get_by_role("link", name=reference).click()
    expect(page.locator("main")).to_contain_text("The seat")
    page.get_by_label("Close").check()
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text(f"{reference} is now Closed")).to_be_visible()


def test_council_settings_audit_and_builder_pages_are_accessible(page, town):
    expect = _expect()
    _report(town)
    admin_user, _ = factories.make_staff_signed_in(town, "council_admin")
    staff_sign_in(page, admin_user.email)
    for url in (
        "/staff/admin/teams",
        "/staff/admin/staff",
        "/staff/admin/api-keys",
        "/staff/admin/branding",
        "/staff/admin/areas",
        "/staff/admin/public-pages",
        "/staff/audit/",
        "/staff/cases/workload",
        "/staff/account/recovery-codes",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    page.goto("/staff/admin/api-keys")
    # A key with no scope is refused, with the error on the checkboxes.
    page.get_by_label("Read cases, without personal data").uncheck()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one")
    assert_accessible(page)
    page.get_by_label("Client system").fill("FixMyStreet")
    page.get_by_label("Read cases, without personal data").check()
    page.get_by_label("Create, move on, assign and update cases").check()
    page.get_by_label("Test", exact=True).check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-api-key")).to_contain_text("ts_test_")
    assert_accessible(page)
    page.get_by_role("button", name="Rotate the key for FixMyStreet").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("works for 24 hours")
    expect(page.get_by_text("Rotated: works until")).to_be_visible()
    assert_accessible(page)

    page.goto("/staff/services/")
    page.get_by_role("link", name="Pothole").click()
    assert_accessible(page)
    page.get_by_role("button", name="Change this service").click()
    for section in (
        "Basics",
        "Questions",
        "Workflow",
        "Time limits, routing and privacy",
        "Messages",
        "Welsh",
        "Preview",
        "YAML",
    ):
        page.get_by_role("navigation", name="Parts of the service").get_by_role(
            "link", name=section, exact=True
        ).click()
        expect(
            page.get_by_role("navigation", name="Parts of the service").get_by_role(
                "link", name=section, exact=True
            )
        ).to_have_attribute("aria-current", "page")
        assert_accessible(page)
    # A field-by-field refusal.
    page.get_by_role("navigation", name="Parts of the service").get_by_role(
        "link", name="Questions", exact=True
    ).click()
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the question")
    assert_accessible(page)
