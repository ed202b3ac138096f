"""The client address behind trusted reverse proxies (issue #23 item 3, ADR 143): the one
helper every limit and sign-in record reads, off unless TRUSTED_PROXY_HEADER is set."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from townsquare.core.ratelimit import address_key, client_address


def _request(forwarded: str | None = None, header: str = "HTTP_X_FORWARDED_FOR"):
    extra = {header: forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra)


def test_without_a_trusted_header_forwarded_addresses_are_ignored(settings):
    settings.TRUSTED_PROXY_HEADER = ""
    assert client_address(_request("198.51.100.7")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # One proxy appends the address it was reached from; what the client sent is left of it.
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # A CDN then our proxy: the CDN's entry is second from the right.
        (2, "6.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"),
        # Fewer entries than proxies: the leftmost, still written by one of ours.
        (2, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, [2001:db8::5]:4431", "2001:db8::5"),
        (1, "198.51.100.7:5000", "198.51.100.7"),
        # Not an address where the client should be, or no header: the proxy's own address.
        (1, "6.6.6.6, not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_is_the_entry_our_outermost_proxy_wrote(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(_request(forwarded)) == expected


def test_the_standard_forwarded_header(settings):
    settings.TRUSTED_PROXY_HEADER = "Forwarded"
    settings.TRUSTED_PROXY_COUNT = 1
    header = 'for=6.6.6.6, for="[2001:db8::5]:4431";proto=https;by=192.0.2.1'
    assert client_address(_request(header, "HTTP_FORWARDED")) == "2001:db8::5"


def test_ipv6_budgets_are_kept_per_64_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("198.51.100.7") == "198.51.100.7"


@pytest.mark.django_db
def test_behind_the_proxy_each_client_has_its_own_public_write_budget(settings, interval_clock):
    """Everyone reaches the server from the proxy's address; with the header trusted, one
    client spending its budget leaves the others theirs."""
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.PUBLIC_WRITES_PER_MINUTE = 1

    def behind_proxy(client_ip: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_ip)

    assert (
        behind_proxy("198.51.100.7").post("/sign-in", {"email": "a@example.org"}).status_code == 303
    )
    assert (
        behind_proxy("198.51.100.7").post("/sign-in", {"email": "a@example.org"}).status_code == 429
    )
    assert (
        behind_proxy("198.51.100.8").post("/sign-in", {"email": "b@example.org"}).status_code == 303
    )
