"""Every emailed link is built from PUBLIC_URL, never from the request (issue 23, ADR 130): a
request naming another host in `Host` (or X-Forwarded-*) still mails links to the real site.
The forwarded scheme is trusted only when SECURE_PROXY_SSL_HEADER names a proxy's header."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.settings import _proxy_ssl_header
from townsquare.messaging.models import Message

PUBLIC_URL = "https://reports.example.gov.uk"
# 127.0.0.1 is an allowed host, and Django ignores the port when checking: the attack of issue 23.
HOSTILE = {
    "HTTP_HOST": "127.0.0.1:6666",
    "HTTP_X_FORWARDED_HOST": "evil.example",
    "HTTP_X_FORWARDED_PROTO": "http",
}


@pytest.fixture
def hostile_client(settings) -> Client:
    settings.PUBLIC_URL = PUBLIC_URL
    return Client(**HOSTILE)


def _link(template: str) -> str:
    return Message.objects.get(template=template).secret_link


@pytest.mark.django_db
def test_a_sign_in_link_goes_to_public_url_whatever_the_host_header(hostile_client):
    assert hostile_client.post("/sign-in", {"email": "sam@example.org"}).status_code == 303
    assert _link("sign_in").startswith(f"{PUBLIC_URL}/sign-in/link/")


@pytest.mark.django_db
def test_a_report_confirmation_link_goes_to_public_url(hostile_client, council):
    response = hostile_client.post(
        "/report/testshire/pothole/",
        {
            "lat": "51.5",
            "lng": "-1.75",
            "place": "By the postbox",
            "field-depth": "deep",
            "phone": "",
            "email": "pat@example.org",
        },
    )
    assert response.status_code == 303
    assert _link("report_confirm").startswith(f"{PUBLIC_URL}/report/confirm/")


@pytest.mark.django_db
def test_an_application_resume_link_goes_to_public_url(hostile_client, council):
    started = hostile_client.post("/apply/testshire/school_transport/")
    first = hostile_client.get(started["Location"])["Location"]
    saved = hostile_client.post(first, {"answer": "Alex", "action": "save"})["Location"]
    assert hostile_client.post(saved, {"email": "later@example.org"}).status_code == 200
    assert _link("application_resume").startswith(f"{PUBLIC_URL}/apply/resume/")


def test_no_view_builds_a_link_from_the_request_for_an_email():
    # The OIDC redirect and Open311 discovery addresses are checked by the provider or only
    # answered to the asker; nothing emailed may come from build_absolute_uri.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "townsquare"
    users = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts and "build_absolute_uri" in path.read_text()
    )
    assert users == [
        "open311/views.py",
        "portal/oidc_views.py",
        "staff/admin.py",
        "staff/oidc_views.py",
    ]


def test_the_forwarded_scheme_is_trusted_only_from_a_configured_proxy_header():
    assert _proxy_ssl_header("") is None
    assert _proxy_ssl_header("X-Forwarded-Proto,https") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert _proxy_ssl_header(" HTTP_X_SCHEME , on ") == ("HTTP_X_SCHEME", "on")
    for wrong in ("X-Forwarded-Proto", ",https", "X-Forwarded-Proto,"):
        with pytest.raises(ImproperlyConfigured):
            _proxy_ssl_header(wrong)


def _deployment_settings(**environment: str) -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SECURE_PROXY_SSL_HEADER", "DEMO_MAILBOX")
    }
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.SECURE_PROXY_SSL_HEADER, settings.DEMO_MAILBOX]))"
    )
    done = subprocess.run(  # noqa: S603 - this Python, our own settings
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_deployments_trust_no_forwarded_scheme_and_show_no_mailbox_unless_told():
    assert _deployment_settings() == [None, False]
    assert _deployment_settings(
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto,https", DEMO_MAILBOX="true"
    ) == [["HTTP_X_FORWARDED_PROTO", "https"], True]
