"""Absolute links to the site, for anything that leaves it (emails, SMS, webhooks).

Always built from the PUBLIC_URL setting, never from the request: a request's Host header is
whatever the sender wrote, so a link built from the request would mail a sign-in link pointing
at an address an attacker chose (issue 23, ADR 130)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def public_url(path: str) -> str:
    """`path` (starting with "/") at the site's public address."""
    return settings.PUBLIC_URL + path


def public_link(viewname: str, **kwargs) -> str:
    """The public address of a named route, e.g. public_link("portal:sign_in_link", token=t)."""
    return public_url(reverse(viewname, kwargs=kwargs or None))
