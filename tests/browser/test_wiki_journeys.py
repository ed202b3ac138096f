"""Municipedia's Done-when walk-through in a real browser, axe-checked on each page: a Leeds
officer finds Bristol's article by search, copies it to Leeds, edits it, compares and reverts;
Bristol changes the source and the copy says so with the diff; Leeds' article shows Leeds' live
pothole figures; a resident sees Bristol's public article as the pothole service's help, in
English and Welsh."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_copy_edit_diff_revert_source_change_figures_and_help(
    new_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    from townsquare.accounts.principal import Principal
    from townsquare.cases.services import Reporter, case_create
    from townsquare.demo.wiki import demo_wiki_ensure
    from townsquare.geo.points import Point
    from townsquare.wiki.models import Article
    from townsquare.wiki.services import article_edit

    settings.SHARED_DATA_DIR = str(tmp_path)  # no commons seed: the councils' articles only
    bristol = factories.make_council("bristol", prefix="BRS")
    leeds = factories.make_council("leeds", prefix="LDS", bounds=(0.0, 51.0, 1.0, 52.0))
    demo_wiki_ensure(councils=[bristol, leeds], say=lambda _m: None)
    case_create(
        council=leeds,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
    )
    officer, _ = factories.make_staff_signed_in(leeds, "agent", "officer@leeds.test")
    _writer, bristol_writer = factories.make_staff(bristol, "agent", "writer@bristol.test")

    page = new_page()
    staff_sign_in(page, officer.email)
    page.goto("/wiki/")
    assert_accessible(page)
    page.get_by_label("Search Municipedia").fill("pothole triage")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".ts-wiki-snippet mark").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="How Bristol triages pothole reports").click()
    expect(page.locator("td", has_text="24 hours").first).to_be_visible()  # a Markdown table
    expect(page.locator(".wiki-link--missing", has_text="Winter gritting routes")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Copy to Leeds Council").click()
    expect(page.get_by_text("Copied from")).to_be_visible()
    copy_url = page.url
    page.get_by_role("link", name="Edit").click()
    text = page.get_by_label("Text", exact=True)
    text.fill(text.input_value().replace("One crew per ward.", "Two crews per ward."))
    page.get_by_label("What you changed (optional)").fill("Leeds runs two crews")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Two crews per ward.")).to_be_visible()

    page.get_by_role("link", name="History").click()
    assert_accessible(page)
    page.get_by_role("button", name="Compare the chosen revisions").click()
    expect(page.locator(".ts-diff__old", has_text="One crew per ward.")).to_be_visible()
    expect(page.locator(".ts-diff__new", has_text="Two crews per ward.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Revert to revision 1").click()
    expect(page.get_by_text("One crew per ward.")).to_be_visible()

    source = Article.objects.get(
        title="How Bristol triages pothole reports", space__council=bristol
    )
    article_edit(
        principal=bristol_writer,
        council_id=bristol.id,
        article=source,
        base_revision=source.revision_number,
        title=source.title,
        body=source.body + "\nWe re-inspect every repair after a month.\n",
    )
    page.goto(copy_url)
    expect(page.get_by_text("The source has changed since")).to_be_visible()
    page.get_by_role("link", name="See what changed in the source").click()
    expect(page.locator(".ts-diff__new", has_text="re-inspect every repair")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Bring these changes into our copy").click()
    expect(page.get_by_text("We re-inspect every repair after a month.")).to_be_visible()

    page.goto("/wiki/search?q=leeds+repair+times")
    page.get_by_role("link", name="How Leeds cut pothole repair times").click()
    figure = page.locator("figure.ts-wiki-figure")
    expect(figure).to_contain_text("Leeds Council: Pothole, live figures")
    expect(figure.locator("dd").first).to_have_text("1")
    assert_accessible(page)

    resident = new_page()
    resident.goto(f"/report/{bristol.slug}/pothole/")
    help_section = resident.locator(".ts-service-help")
    expect(help_section).to_contain_text("Before you start")
    expect(help_section).to_contain_text("A photo helps us decide")
    assert_accessible(resident)
    resident.get_by_role("button", name="Cymraeg").click()
    expect(help_section).to_contain_text("Cyn i chi ddechrau")
    expect(help_section).to_contain_text("Mae llun yn ein")
    assert_accessible(resident)
    expect(resident).to_have_url(re.compile(r"/report/bristol/pothole/"))
