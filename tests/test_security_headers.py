"""Security headers (ADR 146): the Content-Security-Policy on every page, Permissions-Policy,
Referrer-Policy, HSTS, X-Frame-Options and nosniff on static files too, a Server header that
names no server (through the real server, granian), and the endpoint that logs CSP reports."""

from __future__ import annotations

import json
import logging
import re

import pytest
import requests
from django.test import Client

from townsquare.ui.security_headers import PERMISSIONS_POLICY, source_of

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def static_from_finders(settings):
    # WhiteNoise serves the apps' static files as they are, without collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.mark.parametrize("path", ["/", "/report/", "/staff/sign-in", "/no-such-page"])
def test_every_page_carries_the_policy_and_allows_no_inline_script(client, council, path):
    response = client.get(path)
    assert response["Content-Type"].startswith("text/html")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    for kind in ("script-src", "style-src"):
        assert policy[kind][0] == "'self'"
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(policy[kind])
    assert policy["report-uri"] == ["/api/csp-reports"]
    assert policy["report-to"] == ["csp"]
    assert response["Reporting-Endpoints"] == 'csp="/api/csp-reports"'
    # And the page holds no script the policy would block.
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "style=" not in html


def test_the_council_colour_is_the_one_inline_style_and_carries_the_nonce(client, council):
    council.branding = {"colour": "#aa3300"}
    council.save()
    response = client.get(f"/council/{council.slug}/")
    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
    assert "--ts-council-colour: #aa3300" in response.content.decode()
    policy = _directives(response["Content-Security-Policy"])
    assert f"'nonce-{nonce}'" in policy["style-src"]
    assert f"'nonce-{nonce}'" in policy["script-src"]
    # A new one for every response.
    again = client.get(f"/council/{council.slug}/")
    assert nonce not in again["Content-Security-Policy"]


def test_a_page_without_a_nonce_names_none(client, council):
    policy = _directives(client.get("/")["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]


def test_map_tiles_and_the_identity_provider_are_allowed_where_they_are_used(
    client, council, settings
):
    settings.MAP_TILE_URL = "https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png"
    settings.ONE_LOGIN_ISSUER = "https://oidc.account.gov.uk"
    policy = _directives(client.get("/")["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://*.tiles.example.org:8443"]
    # Signing out posts here, then goes on to end the session at One Login.
    # The payment step's form leads on to GOV.UK Pay's payment pages (ADR 163).
    assert policy["form-action"] == [
        "'self'",
        "https://oidc.account.gov.uk",
        "https://card.payments.service.gov.uk",
    ]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.com/{z}/{x}/{y}.png", "https://*.tile.example.com"),
        ("https://tiles-{s}.a.example.com/{z}.png", "https://*.a.example.com"),
        ("http://127.0.0.1:9/{z}/{x}/{y}.png", "http://127.0.0.1:9"),
        ("", ""),
        ("/relative/{z}.png", ""),
    ],
)
def test_a_url_templates_source_expression(url, source):
    assert source_of(url) == source


def test_report_only_and_no_reports_are_settings(client, council, settings):
    settings.CSP_REPORT_ONLY = True
    settings.CSP_REPORT_URL = ""
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    policy = _directives(response["Content-Security-Policy-Report-Only"])
    assert "report-uri" not in policy and "report-to" not in policy
    assert "Reporting-Endpoints" not in response


def test_a_views_own_stricter_policy_is_kept(rf, settings):
    from django.http import HttpResponse

    from townsquare.ui.security_headers import SecurityHeaders

    def attachment(request):
        response = HttpResponse("<svg/>", content_type="image/svg+xml")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = SecurityHeaders(attachment)(rf.get("/staff/cases/X/attachments/1"))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Server"] == "Townsquare"


def test_json_answers_carry_no_policy_but_the_other_headers(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "Content-Security-Policy" not in response
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Server"] == "Townsquare"


def test_permissions_and_referrer_policies(client, council):
    response = client.get("/report/")
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    features = dict(item.split("=") for item in PERMISSIONS_POLICY.split(", "))
    assert features["geolocation"] == "(self)"  # the report map's "use my location"
    assert features["camera"] == features["microphone"] == features["payment"] == "()"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_static_files_are_not_framed_or_sniffed(static_from_finders):
    for path in ("/static/ui/map.js", "/static/ui/townsquare.css"):
        response = Client().get(path)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Server"] == "Townsquare"


def test_https_settings_turn_on_hsts_and_the_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    plain = Client().get("/report/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/report/"
    # A monitor may ask for /healthz over plain HTTP.
    assert Client().get("/healthz").status_code == 200
    secure = Client().get("/healthz", secure=True)
    assert secure["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


# --- the report endpoint ---

LEGACY = {
    "csp-report": {
        "document-uri": "https://reports.example.gov.uk/sign-in/link?token=secret",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "source-file": "https://reports.example.gov.uk/",
        "line-number": 12,
        "disposition": "enforce",
        "original-policy": "default-src 'self'",
        "script-sample": "alert(1)\n2026-01-01 ERROR forged line",
    }
}
REPORTING_API = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://reports.example.gov.uk/report/",
        "body": {
            "documentURL": "https://reports.example.gov.uk/report/",
            "effectiveDirective": "img-src",
            "blockedURL": "https://tiles.elsewhere.example/1/2/3.png",
            "disposition": "enforce",
            "statusCode": 200,
        },
    },
    {"type": "deprecation", "body": {"id": "something"}},
]


def _post(client, body, content_type):
    return client.post("/api/csp-reports", data=body, content_type=content_type)


def test_a_report_uri_report_is_logged_without_query_strings_or_forged_lines(client, caplog):
    with caplog.at_level(logging.WARNING, logger="townsquare.csp"):
        response = _post(client, json.dumps(LEGACY), "application/csp-report")
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "townsquare.csp"]
    message = record.getMessage()
    assert "\n" not in message
    logged = json.loads(message.removeprefix("CSP violation "))
    assert logged == {
        "blockedURL": "inline",
        "disposition": "enforce",
        "documentURL": "https://reports.example.gov.uk/sign-in/link",
        "effectiveDirective": "script-src-elem",
        "lineNumber": 12,
        "sample": "alert(1)\n2026-01-01 ERROR forged line",
        "sourceFile": "https://reports.example.gov.uk/",
        "violatedDirective": "script-src-elem",
    }


def test_a_reporting_api_report_is_logged_and_other_kinds_ignored(client, caplog):
    with caplog.at_level(logging.WARNING, logger="townsquare.csp"):
        response = _post(client, json.dumps(REPORTING_API), "application/reports+json")
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "townsquare.csp"]
    assert '"effectiveDirective": "img-src"' in record.getMessage()
    assert '"blockedURL": "https://tiles.elsewhere.example/1/2/3.png"' in record.getMessage()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        (json.dumps({"something": "else"}), 400),
        (json.dumps([{"type": "deprecation", "body": {}}]), 400),
        ("x" * (64 * 1024 + 1), 413),
    ],
)
def test_what_is_not_a_report_is_refused_as_a_problem(client, body, status):
    response = _post(client, body, "application/csp-report")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def test_reports_are_posted_not_fetched(client):
    assert client.get("/api/csp-reports").status_code == 405


def test_one_address_may_send_only_so_many_reports(client, settings, caplog):
    settings.CSP_REPORTS_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="townsquare.csp"):
        answers = [_post(client, json.dumps(LEGACY), "application/csp-report") for _ in range(5)]
    assert [a.status_code for a in answers] == [204, 204, 204, 429, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert len([r for r in caplog.records if r.name == "townsquare.csp"]) == 3
    # Another address has its own budget.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert _post(other, json.dumps(LEGACY), "application/csp-report").status_code == 204


# --- through the real server ---


@pytest.mark.django_db(transaction=True)
def test_the_server_header_names_no_server_over_real_http():
    """granian names itself unless the application sets Server: pages, JSON, static files and
    live streams all come back with Townsquare's own."""
    from townsquare.live.tests.server import asgi_server

    with asgi_server(static=True) as base:
        for path in ("/", "/healthz", "/static/ui/map.js", "/no-such-page"):
            response = requests.get(f"{base}{path}", timeout=30)
            assert response.headers["Server"] == "Townsquare", path
            assert "granian" not in str(response.headers).lower(), path
        page = requests.get(f"{base}/", timeout=30)
        assert "Content-Security-Policy" in page.headers
        stream = requests.get(f"{base}/live/cases/NONE-1", timeout=30, stream=True)
        assert stream.headers["Server"] == "Townsquare"
        stream.close()


def test_only_an_email_preview_lets_style_attributes_apply(rf, settings):
    from townsquare.ui.security_headers import content_security_policy

    assert "style-src-attr" not in content_security_policy()
    # Attributes only: <style> elements and scripts stay as strict as everywhere else.
    policy = content_security_policy(style_attributes=True)
    assert "style-src-attr 'unsafe-inline'" in policy
    assert "style-src 'self';" in policy and "script-src 'self';" in policy
