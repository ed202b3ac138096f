"""Consultations in a real browser, checked with axe-core: residents answer with and without
JavaScript and in Welsh; staff tag the responses, mark them considered and publish an outcome
linked to a new service template version, which the public page shows with the service's
figures before and after."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def _consultation(town):
    from townsquare.consultations.services import (
        consultation_create,
        consultation_move,
        question_add,
    )
    from townsquare.core import clock

    _, runner = factories.make_staff(town, "supervisor", "runner@testshire.test")
    today = clock.now().date()
    c = consultation_create(
        council=town,
        title="Potholes: what should change?",
        title_cy="Tyllau yn y ffordd: beth ddylai newid?",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        actor=runner,
    )
    question_add(
        consultation=c,
        kind="singlevaluelist",
        code="soon",
        label="How soon should a pothole be filled?",
        label_cy="Pa mor fuan y dylid llenwi twll yn y ffordd?",
        options=[
            {"name": "Within a day", "name_cy": "O fewn diwrnod"},
            {"name": "Within a week", "name_cy": "O fewn wythnos"},
        ],
        required=True,
        actor=runner,
    )
    question_add(
        consultation=c,
        kind="statement",
        code="fines",
        label="Utility companies should pay for the holes they leave",
        label_cy="Dylai cwmnïau cyfleustodau dalu am y tyllau y maent yn eu gadael",
        actor=runner,
    )
    question_add(
        consultation=c,
        kind="ranking",
        code="roads",
        label="Which roads first?",
        label_cy="Pa ffyrdd yn gyntaf?",
        options=[
            {"name": "Main roads", "name_cy": "Prif ffyrdd"},
            {"name": "Residential streets", "name_cy": "Strydoedd preswyl"},
        ],
        actor=runner,
    )
    return consultation_move(consultation=c, to_state="open", actor=runner), runner


def test_residents_answer_with_and_without_javascript_and_in_welsh(new_page, town):
    expect = _expect()
    from townsquare.consultations.models import Response

    c, _ = _consultation(town)
    url = f"/consultations/{town.slug}/{c.slug}/"

    # Without JavaScript, in Welsh.
    page = new_page(javascript=False)
    page.goto("/consultations/")
    page.get_by_role("link", name="Potholes: what should change?").click()
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tyllau yn y ffordd: beth ddylai newid?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Anfon fy atebion").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Pa mor fuan y dylid llenwi twll yn y ffordd?"
    )
    assert_accessible(page)
    page.get_by_label("O fewn diwrnod").check()
    page.get_by_label("Cytuno", exact=True).check()
    page.get_by_label("Prif ffyrdd").select_option("1")
    page.get_by_label("Strydoedd preswyl").select_option("2")
    page.get_by_label("Ym mha ward ydych chi'n byw? (dewisol)").select_option(label="West ward")
    page.get_by_role("button", name="Anfon fy atebion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Diolch am eich atebion")
    assert_accessible(page)

    # With JavaScript, in English.
    page = new_page(javascript=True)
    page.goto(url)
    page.get_by_label("Within a week").check()
    page.get_by_label("Disagree").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your answers")
    assert_accessible(page)

    welsh, english = Response.objects.filter(consultation=c).order_by("number")
    assert welsh.area.name == "West ward"
    assert {a.question.code: a.value for a in welsh.answers.all()} == {
        "soon": "within-a-day",
        "fines": "agree",
        "roads": ["main-roads", "residential-streets"],
    }
    assert english.area is None


def test_staff_analyse_and_publish_an_outcome_linked_to_a_new_version(page, new_page, town):
    expect = _expect()
    from townsquare.catalogue.models import ServiceTemplate
    from townsquare.catalogue.services import template_publish
    from townsquare.consultations.services import consultation_move, response_submit
    from townsquare.core.actors import Actor

    c, runner = _consultation(town)
    response_submit(consultation=c, answers={"soon": "within-a-day"}, address="192.0.2.1")
    consultation_move(consultation=c, to_state="closed", actor=runner)
    # The service the consultation changed gets a new version, with a shorter target.
    service = ServiceTemplate.objects.get(council=town, code="pothole")
    document = copy.deepcopy(service.current_version.document)
    document["sla"] = {**document["sla"], "close_hours": 24}
    version = template_publish(council=town, document=document, actor=Actor.system("tests"))

    factories.make_staff_signed_in(town, "supervisor", "lead@testshire.test")
    staff_sign_in(page, "lead@testshire.test")
    page.get_by_role("region", name="Staff menu").get_by_role("link", name="Consultations").click()
    page.get_by_role("link", name="Potholes: what should change?").click()
    page.get_by_role("button", name="Start the analysis").click()
    expect(page.locator("#state")).to_have_text("In analysis")
    page.get_by_role("link", name="Analyse responses").click()
    page.get_by_label("Add a theme").fill("Speed of repair")
    page.get_by_role("button", name="Add theme").click()
    page.get_by_label("Speed of repair").check()
    page.get_by_label("Considered").check()
    page.get_by_role("button", name="Save response 1").click()
    expect(page.locator("#considered-count")).to_have_text("1 of 1")
    assert_accessible(page)

    page.get_by_role("link", name="Back to the consultation").click()
    page.get_by_label("You said", exact=True).fill("Fill potholes within a day")
    page.get_by_label("We did", exact=True).fill("We now fill potholes within a day")
    page.get_by_label("The service template version it led to").select_option(str(version.pk))
    page.get_by_label("Applied from").fill((dt.date.today() - dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Record change").click()
    page.get_by_label("What the council decided, and why").fill("We read every response.")
    page.get_by_role("button", name="Publish the outcome").click()
    expect(page.locator("#state")).to_have_text("Outcome published")
    assert_accessible(page)

    public = new_page(javascript=True)
    public.goto(f"/consultations/{town.slug}/{c.slug}/")
    expect(public.get_by_role("heading", name="You said, we did")).to_be_visible()
    expect(public.get_by_text(f"{service.name}, version {version.number}")).to_be_visible()
    expect(public.get_by_role("table")).to_contain_text(re.compile("Typical days to fix"))
    assert_accessible(public)
