"""The pages that do the most in the browser keep working under the Content-Security-Policy
(ADR 146), and not one of them trips it: the report and browse maps (Leaflet), the home page's
council shapes, the REST API's reference page, signing in and out through the residents' and a
council's OpenID Providers, the staff queue, case, branding and dashboard pages, the builder's
live preview, and live updates over the real ASGI server (track page, staff queue).

Every `securitypolicyviolation` event in any page, and every console message about the policy,
is collected; each test ends by asserting there were none. The first test also shows that the
collector does catch a violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser.support import TIMEOUT_MS, VIEWPORT, staff_sign_in
from tests.identity_provider import council_provider_set
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.councils.services import places_import_csv
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__townsquareCspViolation({
    page: location.pathname, directive: e.effectiveDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
});
"""

# live.js keeps each element's updater on it; its EventSource is OPEN once the stream answered.
STREAM_OPEN = """() => {
  const live = [...document.querySelectorAll("[data-live-stream]")];
  return live.length > 0 && live.every((el) =>
    el.liveUpdates && el.liveUpdates.source && el.liveUpdates.source.readyState === 1);
}"""


def _expect():
    from playwright.sync_api import expect

    return expect


class Violations:
    """What the policy blocked in a browser context, from its events and its console."""

    def __init__(self, context: Any) -> None:
        self.seen: list[dict[str, Any]] = []
        context.expose_binding(
            "__townsquareCspViolation", lambda _source, report: self.seen.append(report)
        )
        context.add_init_script(WATCH)
        context.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.seen.append({"console": message.text})

    def assert_none(self, page: Any) -> None:
        # One round trip to the page: events it fired before are delivered by then.
        page.evaluate("() => document.readyState")
        assert not self.seen, "the Content-Security-Policy blocked:\n" + "\n".join(
            str(v) for v in self.seen
        )


@pytest.fixture
def watched(browser, live_server) -> Iterator[Any]:
    """new page factory: (page, violations) in a fresh context on the live server."""
    contexts = []

    def open_page(**options: Any) -> tuple[Any, Violations]:
        context = browser.new_context(
            base_url=options.pop("base_url", live_server.url),
            locale="en-GB",
            viewport=VIEWPORT,
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        violations = Violations(context)
        return context.new_page(), violations

    yield open_page
    for context in contexts:
        context.close()


def _reports(council, count: int = 3) -> list:
    return [
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            council=council,
            point=Point(51.5 + i * 0.001, -1.75),
            address=f"Spot {i}",
            values={"depth": "deep"},
            reporter=Reporter(phone="01632960001"),
            channel="web",
        )
        for i in range(count)
    ]


def test_maps_and_citizen_pages_work_under_the_policy(watched, town, settings):
    expect = _expect()
    settings.MAP_TILE_URL = UNREACHABLE_TILES
    places_import_csv(council=town, text="name,lat,lng,kind\nMill Lane,51.5,-1.75,street\n")
    factories.make_council("otherton", prefix="OTH", bounds=(0.0, 51.0, 1.0, 52.0))
    cases = _reports(town)
    page, violations = watched(geolocation={"latitude": 51.6, "longitude": -1.3})
    page.context.grant_permissions(["geolocation"])

    # The collector catches what the policy blocks: a script added inline.
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    page.evaluate("() => document.readyState")
    # The event, and the console's message about it.
    assert [v.get("directive") for v in violations.seen if "directive" in v] == ["script-src-elem"]
    assert any("Content Security Policy" in v.get("console", "") for v in violations.seen)
    violations.seen.clear()

    # GOV.UK Frontend started from its file (no inline script): the body says so.
    page.goto("/")
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.locator(".ts-council-maps__area").first).to_be_attached()

    # The report map: boundaries drawn from GeoJSON, a pin placed by a click and by location.
    page.goto("/report/testshire/pothole/")
    expect(page.locator(".ts-map__canvas path.ts-map__boundary")).to_have_count(3)
    page.locator(".ts-map__canvas").click()
    expect(page.locator(".ts-map--pinned")).to_have_count(1)
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("[data-ts-map-status]")).to_contain_text("Pin placed at your location")
    # The place search, answered from the gazetteer.
    page.get_by_label("Search for a street, place or postcode").fill("Mill Lane")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("[data-ts-place-results] button").first).to_be_visible()

    # The browse map: reports drawn, a popup opened.
    page.goto("/reports/?q=mill+lane")
    markers = page.locator(".ts-map__canvas path.ts-map__report")
    expect(markers).to_have_count(3)
    markers.first.click()
    expect(page.locator(".leaflet-popup-content a")).to_be_visible()

    # A council's page: its colour is the nonce'd style.
    page.goto("/council/testshire/")
    expect(page.locator("style[nonce]")).to_have_count(1)

    # The track page (live.js falls back to polling on this WSGI server).
    page.goto(f"/track/{cases[0].reference}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(cases[0].reference)

    # The REST API's reference page (Swagger UI, served from here).
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    violations.assert_none(page)


def test_signing_in_and_out_at_identity_providers_works_under_the_policy(
    watched, town, live_one_login, live_identity_provider
):
    expect = _expect()
    page, violations = watched()
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with GOV.UK One Login (demo)").click()
    page.get_by_role("button", name="Continue as Rhian Jones").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # Signing out posts here, then goes on to One Login to end the session there too: the
    # policy's form-action must let the redirect through.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("^" + re.escape(live_one_login.issuer)))
    violations.assert_none(page)

    staff, staff_violations = watched()
    council_provider_set(town, live_identity_provider)
    staff.goto("/staff/sign-in")
    staff.get_by_role("button", name="Testshire staff account (demo)").click()
    staff.get_by_role("button", name="Continue as Ola Officer").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    staff_violations.assert_none(staff)


def test_staff_pages_and_the_builders_preview_work_under_the_policy(watched, town):
    expect = _expect()
    case = _reports(town, 1)[0]
    admin, _ = factories.make_staff_signed_in(town, "council_admin")
    page, violations = watched()
    staff_sign_in(page, admin.email)

    page.goto("/staff/cases/")
    expect(page.locator("#select-page")).to_be_attached()  # staff.js drew the select-all box
    page.goto(f"/staff/cases/{case.reference}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    page.goto("/staff/admin/branding")
    expect(page.locator("svg.ts-swatch rect")).to_be_attached()
    page.goto("/staff/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    # An email's preview, styled inline as emails are, in a sandboxed frame of the page.
    page.goto("/staff/messaging/templates")
    expect(page.locator("iframe.ts-email-preview").first).to_be_attached()

    page.goto("/staff/services/")
    page.get_by_role("link", name="Create a service").click()
    page.get_by_label("Name residents see").fill("Broken bench")
    page.get_by_label("Code").fill("broken_bench")
    page.get_by_role("button", name="Start a draft").click()
    page.get_by_role("link", name="Questions").click()
    form = page.locator("#field-form")
    form.get_by_label("Question").fill("What is broken?")
    # The live preview follows the typing: fetched and put in place by staff.js.
    expect(page.locator(".ts-preview__question--pending")).to_contain_text("What is broken?")
    form.get_by_label("Kind of answer").select_option(label="Choose one")
    form.get_by_label("Choices").fill("seat | The seat\nlegs | The legs")
    expect(page.locator(".ts-preview").get_by_label("The legs")).to_be_visible()
    page.get_by_role("link", name="Workflow").click()
    expect(page.get_by_role("img", name=re.compile("Workflow diagram"))).to_be_visible()
    violations.assert_none(page)


def test_live_updates_work_under_the_policy_over_the_real_server(watched, town, monkeypatch):
    """Streams need the ASGI server (granian, as `townsquare serve` runs it)."""
    from townsquare.live.tests.server import asgi_server

    expect = _expect()
    monkeypatch.setenv("MAP_TILE_URL", UNREACHABLE_TILES)
    case = _reports(town, 1)[0]
    supervisor, _ = factories.make_staff_signed_in(town, "supervisor")
    with asgi_server(static=True) as base:
        resident, resident_violations = watched(base_url=base)
        resident.goto(f"/track/{case.reference}")
        status = resident.locator(".govuk-summary-list__value strong.govuk-tag")
        expect(status).to_have_text("Submitted")

        officer, officer_violations = watched(base_url=base)
        staff_sign_in(officer, supervisor.email)
        officer.goto("/staff/cases/")
        expect(officer.locator(".ts-queue-table")).to_contain_text(case.reference)

        # Both pages hold their stream open: changes arrive without a reload.
        for page in (resident, officer):
            page.wait_for_function(STREAM_OPEN)
        case_transition(
            case=case, to_state="fixed", actor=Principal.system("Highways team"), message="Done."
        )
        expect(status).to_have_text("Fixed", timeout=TIMEOUT_MS)
        expect(resident.locator("#timeline")).to_contain_text("Done.", timeout=TIMEOUT_MS)
        arrived = _reports(town, 1)[0]
        expect(officer.locator(".ts-queue-table")).to_contain_text(
            arrived.reference, timeout=TIMEOUT_MS
        )
        resident_violations.assert_none(resident)
        officer_violations.assert_none(officer)
