"""The real local OpenID Provider (oidc-provider from npm, scripts/oidc-provider) for tests,
and Django pointed at it. No mock: tokens, keys, PKCE and logout come from the provider.

`identity_provider` serves clients whose addresses are the test client's (http://testserver);
`live_identity_provider` serves the live server's (browser journeys, back-channel logout, which
the provider posts to us over HTTP). Both are started once per test process.
`LocalProvider.sign_in(authorize_url, account)` plays the person on the provider's page and
returns where the provider sends them back.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from townsquare.accounts import oidc
from townsquare.demo import identity as demo_identity

REQUIRED = os.environ.get("TOWNSQUARE_BROWSER_TESTS", "") == "required"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalProvider:
    issuer: str
    resident_key_file: Path
    staff_key: dict
    base: str

    def sign_in(
        self, authorize_url: str, account: str, *, browser: requests.Session | None = None
    ) -> str:
        """Follow the authorize URL at the provider, choose `account` (a sub) on its page, and
        return the URL it redirects back to (our callback, with code and state)."""
        browser = browser or requests.Session()
        url = authorize_url
        for _ in range(10):
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                if not url.startswith(self.issuer):
                    return url
                continue
            break
        assert response.status_code == 200, response.text[:500]
        action = re.search(r'<form method="post" action="([^"]+)"', response.text)
        assert action, response.text[:500]
        data = {"account": account} if account else {"cancel": "1"}
        response = browser.post(
            urljoin(url, unescape(action.group(1))), data=data, allow_redirects=False, timeout=10
        )
        for _ in range(10):
            assert response.status_code in (302, 303), response.text[:500]
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(self.issuer):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
        raise AssertionError("the provider never sent the person back")


def _start(tmp: Path, *, bases: list[str]) -> Iterator[LocalProvider]:
    reason = demo_identity.missing()
    if reason:
        if REQUIRED:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    resident_key = demo_identity.client_key_new("resident-test-key")
    staff_key = demo_identity.client_key_new("staff-test-key")
    key_file = tmp / "resident-key.json"
    key_file.write_text(__import__("json").dumps(resident_key))
    port = free_port()
    config = demo_identity.provider_config(
        resident_bases=bases, staff_bases=bases, resident_key=resident_key, staff_key=staff_key
    )
    process = demo_identity.provider_start(
        config=config, config_path=tmp / "provider.json", port=port, log_path=tmp / "provider.log"
    )
    try:
        yield LocalProvider(
            issuer=f"http://127.0.0.1:{port}",
            resident_key_file=key_file,
            staff_key=staff_key,
            base=bases[0],
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory) -> Iterator[LocalProvider]:
    yield from _start(tmp_path_factory.mktemp("op"), bases=["http://testserver"])


@pytest.fixture(scope="session")
def live_identity_provider(tmp_path_factory, live_server) -> Iterator[LocalProvider]:
    yield from _start(tmp_path_factory.mktemp("op-live"), bases=[live_server.url])


def _point_at(settings, provider: LocalProvider) -> None:
    settings.ONE_LOGIN_ISSUER = provider.issuer
    settings.ONE_LOGIN_CLIENT_ID = demo_identity.RESIDENT_CLIENT_ID
    settings.ONE_LOGIN_PRIVATE_KEY_FILE = str(provider.resident_key_file)
    settings.ONE_LOGIN_CLIENT_SECRET = ""
    oidc.caches_clear()


@pytest.fixture
def one_login(settings, identity_provider) -> Iterator[LocalProvider]:
    """Django's resident sign-in pointed at the local provider."""
    _point_at(settings, identity_provider)
    yield identity_provider
    oidc.caches_clear()


@pytest.fixture
def live_one_login(settings, live_identity_provider) -> Iterator[LocalProvider]:
    _point_at(settings, live_identity_provider)
    yield live_identity_provider
    oidc.caches_clear()


def council_provider_set(council, provider: LocalProvider, **overrides):
    """Give `council` the local provider as its staff sign-in service."""
    from townsquare.accounts.identity import identity_provider_set

    return identity_provider_set(
        **{
            "council_id": council.id,
            "label": f"{council.name.split()[0]} staff account (demo)",
            "issuer": provider.issuer,
            "client_id": demo_identity.STAFF_CLIENT_ID,
            "private_key_jwk": provider.staff_key,
            "group_roles": demo_identity.DEMO_GROUP_ROLES,
            **overrides,
        }
    )
