"""Where webhooks may go: refuse loopback, private, link-local and other internal addresses.

A council admin types the URL, and the server makes the request: without this guard an endpoint
could probe the deployment's own network (server-side request forgery)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    pass


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, resolve: bool = True) -> list[str]:
    """Raise AddressRefused unless `url` is http(s) to a host whose every address is public
    (or internal addresses are allowed by the operator: MESSAGING_WEBHOOK_ALLOW_PRIVATE).

    Returns the addresses it checked, in the resolver's order (none when `resolve` is False):
    a sender connects to one of them rather than resolving the name again, so a DNS answer that
    changes between the check and the connection (DNS rebinding) cannot point it inside."""
    if any(c.isspace() or not c.isprintable() for c in url):
        # urlsplit drops tabs and newlines silently, so the stored address would not be the
        # one checked; callers trim the ends first.
        raise AddressRefused("Remove the spaces from the address")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Use an http or https address with a host name")
    if parts.username or parts.password:
        raise AddressRefused("Do not put a user name or password in the address")
    allow_loopback = settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK
    allow_private = settings.MESSAGING_WEBHOOK_ALLOW_PRIVATE
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host {parts.hostname!r} cannot be found") from exc
    checked: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if str(address) not in checked:
            checked.append(str(address))
        if not _is_internal(address):
            continue
        if allow_private:
            continue
        if allow_loopback and address.is_loopback:
            continue
        raise AddressRefused(
            f"{parts.hostname} resolves to {address}, an internal address; webhooks may only go "
            "to public addresses"
        )
    return checked
