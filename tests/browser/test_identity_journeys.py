"""Signing in through the local One Login-like provider in a real browser: a resident proves
their identity to apply for a Blue Badge (a service that needs P2) and signs out at the
provider, which ends the session here by back-channel logout; a council officer signs in with
the council's account, without a Townsquare password; a council admin sets that account up."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.browser.support import assert_accessible
from tests.identity.test_back_channel_logout import _back_channel_logout_seen
from tests.identity_provider import council_provider_set
from townsquare.cases.models import Case
from townsquare.catalogue.documents import load_template_file
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def test_a_resident_proves_their_identity_applies_for_a_blue_badge_and_signs_out_at_one_login(
    page, town, live_one_login
):
    """The Done-when journey: a new user, the shipped Blue Badge service (identity: P2), and
    signing out at the provider, which ends the session here by back-channel logout."""
    expect = _expect()
    document = load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / "blue_badge.yaml")
    assert document["identity"] == "P2"
    template_publish(council=town, document=document, actor=Actor.system("tests"))

    page.goto("/apply/testshire/blue_badge/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove your identity to continue")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with GOV.UK One Login (demo)").click()
    page.get_by_role("button", name="Continue as Rhian Jones").click()

    expect(page).to_have_url(re.compile(r"/apply/testshire/blue_badge/$"))
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Myself").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Full name of the person who needs the badge").fill("Rhian Jones")
    page.get_by_role("button", name="Continue").click()
    birth = page.get_by_role("group", name="Date of birth of the person who needs the badge")
    birth.get_by_label("Day").fill("12")
    birth.get_by_label("Month").fill("5")
    birth.get_by_label("Year").fill("1984")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # National Insurance number: optional
    page.get_by_label("Higher rate mobility component of DLA").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # walking aids: optional
    page.get_by_role("button", name="Continue").click()  # current badge number: optional
    page.get_by_role("button", name="Continue").click()  # no documents
    page.get_by_label("Email address").fill("rhian.jones@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Accept and send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Application sent")
    case = Case.objects.get(service__code="blue_badge")
    assert case.identity_level == "P2"
    assert Event.objects.filter(kind="identity.signed_in", payload__level="P2").exists()

    # Signing out at One Login (here: the demo provider's own page) ends the session here too.
    with _back_channel_logout_seen() as seen:
        page.goto(f"{live_one_login.issuer}/session/end")
        page.get_by_role("button", name="Yes, sign me out").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("signed out")
        assert seen.wait(120), "the provider's back-channel logout never arrived"
    page.goto("/my-requests")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert Event.objects.filter(kind="identity.signed_out", payload__how="back_channel").exists()


def test_an_officer_signs_in_with_the_councils_account(page, town, live_identity_provider):
    expect = _expect()
    council_provider_set(town, live_identity_provider)
    page.goto("/staff/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Testshire staff account (demo)").click()
    page.get_by_role("button", name="Continue as Ola Officer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    expect(page.locator(".ts-header__name")).to_have_text("Testshire Council")


def test_a_council_admin_sets_up_the_councils_staff_sign_in(
    page, town, live_identity_provider, settings
):
    from tests import factories
    from tests.browser.support import staff_sign_in

    expect = _expect()
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = True  # the provider runs here, as the demo's does
    admin, _ = factories.make_staff_signed_in(town, "council_admin")
    staff_sign_in(page, admin.email)
    page.goto("/staff/admin/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Council settings")
    assert_accessible(page)
    page.get_by_role("button", name="Make a key pair").click()
    expect(page.locator("#public-jwk")).to_contain_text('"kty": "EC"')

    page.get_by_label("Words on the sign-in button").fill("Testshire staff account")
    page.get_by_label("Issuer").fill("https://idp.invalid")
    page.get_by_label("Client id").fill("townsquare-bristol-staff")
    page.get_by_label("Groups giving the agent role").fill("townsquare-agents")
    page.get_by_role("button", name="Check and save").click()
    # A provider that does not answer: the error says so and where.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Nothing answered at")
    assert_accessible(page)

    page.get_by_label("Issuer").fill(live_identity_provider.issuer)
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Staff sign-in saved")
    assert_accessible(page)
