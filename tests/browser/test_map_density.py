"""The "Reports near you" map in a real browser when a view holds more reports than one
response may draw (ADR 118): the server sends counts per cell, and map.js shows them as numbered
clusters rather than pins; with few enough, pins. axe-core checks the page."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.councils.services import places_import_csv
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _unreachable_tiles(settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def test_a_view_with_too_many_reports_to_draw_shows_counts(page, town, monkeypatch):
    from playwright.sync_api import expect

    from townsquare.portal import maps

    places_import_csv(council=town, text="name,lat,lng,kind\nMill Lane,51.5,-1.75,street\n")
    for i in range(4):
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            council=town,
            point=Point(51.5 + i * 0.0002, -1.75),
            address=f"Spot {i}",
            values={"depth": "deep"},
            reporter=Reporter(phone="01632960001"),
            channel="web",
        )
    monkeypatch.setattr(maps, "MAP_MAX_POINTS", 3)
    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 3)
    page.goto("/reports/?q=mill+lane")
    clusters = page.locator(".ts-map__canvas .ts-map__count")
    expect(clusters.first).to_be_visible()
    assert sum(int(text) for text in clusters.all_inner_texts()) == 4
    expect(page.locator(".ts-map__canvas path.ts-map__report")).to_have_count(0)
    assert_accessible(page)

    monkeypatch.setattr(maps, "MAP_MAX_POINTS", 500)
    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 300)
    page.reload()
    expect(page.locator(".ts-map__canvas path.ts-map__report")).to_have_count(4)
    expect(clusters).to_have_count(0)
