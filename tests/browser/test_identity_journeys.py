"""Signing in through the local One Login-like provider in a real browser: a resident proves
their identity to apply for a service that needs it and signs out by back-channel logout; a
council officer signs in with the council's account, without a Townsquare password."""

from __future__ import annotations

import copy
import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible
from tests.identity_provider import council_provider_set
from townsquare.cases.models import Case
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def test_a_resident_proves_their_identity_applies_and_signs_out(page, town, live_one_login):
    expect = _expect()
    document = copy.deepcopy(factories.APPLICATION_TEMPLATE)
    document.update(identity="P2", fields=document["fields"][:1])
    template_publish(council=town, document=document, actor=Actor.system("tests"))

    page.goto("/apply/testshire/school_transport/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove your identity to continue")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with GOV.UK One Login (demo)").click()
    page.get_by_role("button", name="Continue as Rhian Jones").click()

    expect(page).to_have_url(re.compile(r"/apply/testshire/school_transport/$"))
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Child's name").fill("Sam")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no documents
    page.get_by_label("Email address").fill("rhian.jones@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Accept and send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Application sent")
    assert Case.objects.get(service__code="school_transport").identity_level == "P2"

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    page.goto("/my-requests")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_an_officer_signs_in_with_the_councils_account(page, town, live_identity_provider):
    expect = _expect()
    council_provider_set(town, live_identity_provider)
    page.goto("/staff/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Testshire staff account (demo)").click()
    page.get_by_role("button", name="Continue as Ola Officer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    expect(page.locator(".ts-header__name")).to_have_text("Testshire Council")
