"""Signing out at the provider ends the sessions it started here (OpenID Connect Back-Channel
Logout), over real HTTP both ways: a browser-like client, the live server, the provider."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from urllib.parse import urljoin

import pytest
import requests

from townsquare.accounts.events import IdentitySignedOut
from townsquare.accounts.models import ProviderSession
from townsquare.core.eventlog import bus, subscribe
from townsquare.core.models import Event


def _sign_in(live_server, provider):
    browser = requests.Session()
    started = browser.get(f"{live_server.url}/sign-in/one-login", allow_redirects=False, timeout=10)
    back = provider.sign_in(started.headers["Location"], "resident-p2", browser=browser)
    assert back.startswith(live_server.url)
    response = browser.get(back, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text[:300]
    assert (
        browser.get(f"{live_server.url}/my-requests", allow_redirects=False, timeout=10).status_code
        == 200
    )
    return browser


def _confirm_logout_at_provider(browser, page):
    form = re.search(
        r'<form id="op.logoutForm" method="post" action="([^"]+)">(.*?)</form>',
        page.text,
        re.DOTALL,
    )
    assert form, page.text[:500]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields["logout"] = "yes"
    return browser.post(urljoin(page.url, unescape(form.group(1))), data=fields, timeout=10)


@contextmanager
def _back_channel_logout_seen() -> Iterator[threading.Event]:
    """Set once a back-channel logout has ended sessions here. The live server runs in this
    process, so its signed-out event reaches this process's bus after it commits."""
    seen = threading.Event()

    def handler(event, _record) -> None:
        if event.how == "back_channel":
            seen.set()

    subscribe(IdentitySignedOut, handler)
    try:
        yield seen
    finally:
        bus.unsubscribe(IdentitySignedOut, handler)


def _signed_in_here(browser, live_server) -> bool:
    response = browser.get(f"{live_server.url}/my-requests", allow_redirects=False, timeout=10)
    return response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_signing_out_at_the_provider_ends_the_session_here(live_server, live_one_login):
    browser = _sign_in(live_server, live_one_login)
    assert ProviderSession.objects.count() == 1
    page = browser.get(f"{live_one_login.issuer}/session/end", timeout=10)
    with _back_channel_logout_seen() as seen:
        assert _confirm_logout_at_provider(browser, page).status_code == 200
        # The deadline only ends a test that has already failed.
        assert seen.wait(120), "the provider's back-channel logout never arrived"
    assert not _signed_in_here(browser, live_server)
    assert ProviderSession.objects.count() == 0
    event = Event.objects.filter(kind="identity.signed_out").get()
    assert event.payload["how"] == "back_channel"


@pytest.mark.django_db(transaction=True)
def test_signing_out_here_signs_out_at_the_provider_too(live_server, live_one_login):
    browser = _sign_in(live_server, live_one_login)
    page = browser.get(f"{live_server.url}/my-requests", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    at_provider = browser.post(
        f"{live_server.url}/sign-out",
        data={"csrfmiddlewaretoken": token},
        timeout=10,
        headers={"Referer": f"{live_server.url}/my-requests"},
    )
    assert at_provider.url.startswith(live_one_login.issuer)  # asked to confirm there
    done = _confirm_logout_at_provider(browser, at_provider)
    assert done.url == f"{live_server.url}/signed-out"
    assert not _signed_in_here(browser, live_server)
    assert Event.objects.filter(kind="identity.signed_out", payload__how="here").exists()


@pytest.mark.django_db
def test_a_forged_logout_token_is_refused(client, one_login):
    response = client.post("/sign-in/back-channel-logout", {"logout_token": "not.a.token"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert client.post("/sign-in/back-channel-logout").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_council_provider_signing_out_ends_the_staff_session(
    live_server, live_identity_provider, council
):
    from tests.identity_provider import council_provider_set

    council_provider_set(council, live_identity_provider)
    browser = requests.Session()
    started = browser.get(
        f"{live_server.url}/staff/sign-in/provider/{council.id}", allow_redirects=False, timeout=10
    )
    back = live_identity_provider.sign_in(
        started.headers["Location"], "bristol-officer", browser=browser
    )
    assert browser.get(back, allow_redirects=False, timeout=10).status_code == 302
    staff_home = f"{live_server.url}/staff/"
    assert browser.get(staff_home, allow_redirects=False, timeout=10).status_code == 200
    page = browser.get(f"{live_identity_provider.issuer}/session/end", timeout=10)
    with _back_channel_logout_seen() as seen:
        assert _confirm_logout_at_provider(browser, page).status_code == 200
        assert seen.wait(120), "the provider's back-channel logout never arrived"
    assert browser.get(staff_home, allow_redirects=False, timeout=10).status_code == 302
    event = Event.objects.get(kind="identity.signed_out")
    assert event.council_id == council.id  # in the council's audit trail
    assert event.payload == {
        "provider": f"council-{council.id}",
        "user_id": event.payload["user_id"],
        "how": "back_channel",
    }
