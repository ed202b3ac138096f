"""The pages every public service needs (ADR 110): accessibility statement, privacy notices,
cookies and contact pages per council, the footer that links to them from every citizen page,
the phase banner, and branded 404 and 500 pages for every path."""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests import factories
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.models import Event
from townsquare.councils.public_pages import public_pages_of, public_pages_set
from townsquare.portal.public_pages import duration_in_words

pytestmark = pytest.mark.django_db

SETTINGS = {
    "contact_email": "hello@testshire.example",
    "contact_phone": "0117 496 0000",
    "contact_address": "Council House\nTestshire",
    "emergency_phone": "0117 496 0999",
    "accessibility_contact": "access@testshire.example",
    "accessibility_tested_on": "2026-11-30",
    "accessibility_compliance": "partial",
    "dpo_contact": "dpo@testshire.example",
    "processors": "GOV.UK Notify, which sends our emails",
    "feedback_url": "https://feedback.testshire.example/beta",
    "phase": "beta",
}


@pytest.fixture
def configured(council):
    admin = factories.make_staff(council, "council_admin")[1]
    return public_pages_set(council=council, values=SETTINGS, actor=admin)


def welsh() -> Client:
    client = Client()
    client.cookies["django_language"] = "cy"
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_accessibility_statement_has_the_model_sections_contact_and_last_test(configured):
    page = text(Client().get("/council/testshire/accessibility"))
    for heading in (
        "Using this website",
        "How accessible this website is",
        "Feedback and contact information",
        "Enforcement procedure",
        "Technical information about this website",
        "Compliance status",
        "Non-accessible content",
        "What we",
        "Preparation of this accessibility statement",
    ):
        assert heading in page, heading
    assert "Equality and Human Rights Commission" in page and "(ECNI)" in page
    assert "access@testshire.example" in page
    assert "last tested on 30 November 2026" in page
    assert "partially compliant" in page
    cy = text(welsh().get("/council/testshire/accessibility"))
    assert "Datganiad hygyrchedd" in cy and "30 Tachwedd 2026" in cy
    assert "chwyddo hyd at 400% heb" in cy


def test_a_council_without_settings_still_has_every_page(council):
    for path in (
        "/council/testshire/accessibility",
        "/council/testshire/contact",
        "/council/testshire/privacy",
        "/council/testshire/privacy/pothole",
        "/cookies",
    ):
        assert Client().get(path).status_code == 200, path
    page = text(Client().get("/council/testshire/accessibility"))
    assert "has not yet recorded a test" in page


def test_each_service_has_a_privacy_notice_that_states_its_retention(configured):
    index = text(Client().get("/council/testshire/privacy"))
    assert "/council/testshire/privacy/pothole" in index
    assert "/council/testshire/privacy/school_transport" in index
    report = text(Client().get("/council/testshire/privacy/pothole"))
    assert "for 1 year after your request is closed" in report
    assert "How deep?" in report and "Width in cm" in report  # the template's own questions
    assert "photos" in report and "pin you place on the map" in report
    assert "GOV.UK Notify, which sends our emails" in report
    assert "dpo@testshire.example" in report
    assert "Information Commissioner" in report
    application = text(Client().get("/council/testshire/privacy/school_transport"))
    assert "Child&#x27;s name" in application and "documents you upload" in application
    assert "Nothing you give us for this service is published." in application
    assert "flwyddyn ar ôl i\u2019ch cais gael ei gau" in text(
        welsh().get("/council/testshire/privacy/pothole")
    )
    assert Client().get("/council/testshire/privacy/nothing").status_code == 404


@pytest.mark.parametrize(
    ("days", "words"),
    [(730, "2 years"), (2190, "6 years"), (365, "1 year"), (90, "3 months"), (10, "10 days")],
)
def test_retention_is_said_in_words(days, words):
    assert duration_in_words(days=days) == words


def test_the_cookies_page_names_each_cookie_with_its_lifetime_from_settings(council, settings):
    settings.SESSION_COOKIE_AGE = 14 * 86400
    page = text(Client().get("/cookies"))
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "django_language"):
        assert f"<code>{name}</code>" in page
    assert "2 weeks" in page and "When you close your browser" in page
    assert "analytics" in page
    assert "Cwcis hanfodol" in text(welsh().get("/cookies"))


def test_the_contact_page_gives_the_emergency_number_for_services_that_say_phone_us(configured):
    document = factories.template(
        description="If the hole is very deep, phone us so we can make it safe."
    )
    template_publish(council=configured, document=document, actor=Actor.system("tests"))
    page = text(Client().get("/council/testshire/contact"))
    assert "0117 496 0999" in page and "hello@testshire.example" in page
    assert "Council House<br>Testshire" in page
    assert "Pothole" in page  # the service that tells people to phone
    form = text(Client().get("/report/testshire/pothole/"))
    assert 'id="emergency-phone"' in form and "0117 496 0999" in form


CITIZEN_PAGES = [
    "/",
    "/report/",
    "/report/testshire/",
    "/report/testshire/pothole/",
    "/apply/",
    "/apply/testshire/",
    "/track",
    "/reports/",
    "/open-data/",
    "/performance/",
    "/alerts/",
    "/sign-in",
    "/council/testshire/",
    "/cookies",
    "/accessibility",
    "/privacy",
    "/contact",
    "/council/testshire/accessibility",
    "/council/testshire/contact",
    "/council/testshire/privacy",
    "/council/testshire/privacy/pothole",
    "/open311/",
    "/a/page/that/does/not/exist",
]


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_every_citizen_page_links_to_the_public_pages_and_shows_the_phase_banner(configured, path):
    response = Client().get(path)
    assert response.status_code in (200, 404), path
    page = text(response)
    footer = page.split('class="govuk-footer"', 1)[1]
    council_page = "testshire" in path
    base = "/council/testshire/" if council_page else "/"
    for target in ("accessibility", "privacy", "contact"):
        assert f'href="{base}{target}"' in footer, (path, target)
    assert 'href="/cookies"' in footer
    assert "govuk-phase-banner" in page
    if council_page:
        assert 'href="https://feedback.testshire.example/beta"' in page


def test_the_phase_banner_follows_the_council_and_the_platform_default(configured, settings):
    settings.FEEDBACK_URL = "https://townsquare.example/feedback"
    assert 'href="https://townsquare.example/feedback"' in text(Client().get("/"))
    admin = factories.make_staff(configured, "council_admin")[1]
    public_pages_set(council=configured, values={**SETTINGS, "phase": "live"}, actor=admin)
    assert "govuk-phase-banner" not in text(Client().get("/council/testshire/"))
    public_pages_set(council=configured, values={**SETTINGS, "phase": "alpha"}, actor=admin)
    page = text(welsh().get("/council/testshire/"))
    assert "Alffa" in page and "rhowch eich adborth" in page


def test_only_a_council_admin_sets_the_public_pages_and_each_change_is_audited(council):
    agent = factories.make_staff(council, "agent")[1]
    admin = factories.make_staff(council, "council_admin")[1]
    with pytest.raises(PermissionDenied):
        public_pages_set(council=council, values=SETTINGS, actor=agent)
    with pytest.raises(InvalidInput) as refused:
        public_pages_set(
            council=council,
            values={
                **SETTINGS,
                "emergency_phone": "call me",
                "accessibility_tested_on": "2026-02-31",
                "feedback_url": "javascript:alert(1)",
                "phase": "gamma",
            },
            actor=admin,
        )
    assert set(refused.value.errors) == {
        "emergency_phone",
        "accessibility_tested_on",
        "feedback_url",
        "phase",
    }
    public_pages_set(council=council, values=SETTINGS, actor=admin)
    public_pages_set(council=council, values=SETTINGS, actor=admin)  # no change, no record
    events = Event.objects.filter(kind="council.public_pages_set", council_id=council.id)
    assert events.count() == 1
    assert public_pages_of(council).emergency_phone == "0117 496 0999"


# --- 404 and 500 ---


def test_a_missing_public_path_is_the_branded_404_in_the_visitors_language(council):
    response = Client().get("/no/such/page")
    assert response.status_code == 404
    page = text(response)
    assert 'class="govuk-skip-link"' in page and '<main class="govuk-main-wrapper"' in page
    assert "Page not found" in page
    assert 'href="/" id="way-home"' in page and "govuk-header" in page
    cy = text(welsh().get("/no/such/page"))
    assert '<html lang="cy"' in cy and "Heb ddod o hyd i" in cy


def test_a_view_s_own_404_message_is_shown(council):
    page = text(Client().get("/council/nowhere/"))
    assert "We cannot find that council" in page and "Page not found" in page


def test_a_missing_staff_path_is_the_staff_404_with_a_link_to_the_staff_home(council):
    response = welsh().get("/staff/no/such/page")
    assert response.status_code == 404
    page = text(response)
    assert '<html lang="en"' in page and "ts-staff" in page
    assert f'href="{reverse("staff:home")}" id="way-home"' in page
    assert "Go to the staff home" in page and 'class="govuk-skip-link"' in page


@pytest.mark.parametrize(
    "path", ["/api/no/such/thing", "/live/nothing", "/map/nowhere/boundaries.geojson"]
)
def test_machine_paths_keep_json_errors(council, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "Not found"}


def test_open311_paths_keep_the_open311_404(council):
    response = Client().get("/open311/v2/nothing.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def _database_down(execute, sql, params, many, context):
    raise OperationalError("the database is down")


@pytest.mark.parametrize(
    ("path", "marker", "home"),
    [
        ("/council/testshire/", "Sorry, there is a problem with the service", "/"),
        ("/track", "Sorry, there is a problem with the service", "/"),
        ("/staff/", "Sorry, there is a problem with the service", "/staff/"),
    ],
)
def test_the_500_page_renders_with_the_database_unavailable(council, path, marker, home):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session-the-database-cannot-find"
    with connection.execute_wrapper(_database_down):
        response = client.get(path)
    assert response.status_code == 500
    page = text(response)
    assert marker in page
    assert 'class="govuk-skip-link"' in page and 'id="main-content"' in page
    assert f'href="{home}" id="way-home"' in page
    assert "govuk-header" in page


def test_the_500_page_is_in_welsh_for_a_welsh_visitor(council):
    client = welsh()
    client.raise_request_exception = False
    with connection.execute_wrapper(_database_down):
        response = client.get("/council/testshire/")
    assert response.status_code == 500
    assert "Mae\u2019n ddrwg gennym, mae problem gyda\u2019r gwasanaeth" in text(response)


def test_a_machine_path_s_500_is_json(council):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(_database_down):
        response = client.get("/places.json?q=mill")
    assert response.status_code == 500
    assert response.json() == {"error": "Something went wrong on our side"}


def test_the_500_page_survives_its_own_template_failing(council, monkeypatch):
    from townsquare.ui import errors

    def broken(*args, **kwargs):
        raise RuntimeError("templates are gone")

    monkeypatch.setattr(errors, "render_to_string", broken)
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(_database_down):
        response = client.get("/council/testshire/")
    assert response.status_code == 500
    page = response.content.decode()
    assert '<main id="main-content"' in page and 'href="#main-content"' in page
    assert "Go to the home page" in page


def test_every_library_service_s_privacy_notice_states_its_own_retention(council, settings):
    from pathlib import Path

    from townsquare.catalogue.documents import library_files, load_template_file

    actor = Actor.system("tests")
    documents = [
        load_template_file(p) for p in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))
    ]
    for document in documents:
        template_publish(council=council, document=document, actor=actor)
    client = Client()
    for document in documents:
        page = text(client.get(f"/council/testshire/privacy/{document['code']}"))
        days = document["retention"]["days_after_close"]
        assert f"for {duration_in_words(days=days)} after your request is closed" in page, document[
            "code"
        ]


@pytest.mark.parametrize(
    "path", ["accessibility", "contact", "privacy", "privacy/pothole", "privacy/school_transport"]
)
def test_each_council_s_pages_carry_its_own_details_only(council, other_council, path):
    for place in (council, other_council):
        admin = factories.make_staff(place, "council_admin")[1]
        public_pages_set(
            council=place,
            values={
                "contact_email": f"hello@{place.slug}.example",
                "accessibility_contact": f"access@{place.slug}.example",
                "dpo_contact": f"dpo@{place.slug}.example",
                "phase": "beta",
                "accessibility_compliance": "partial",
            },
            actor=admin,
        )
    for place, other in ((council, other_council), (other_council, council)):
        page = text(Client().get(f"/council/{place.slug}/{path}"))
        assert place.name in page and f"{place.slug}.example" in page
        assert f"{other.slug}.example" not in page
