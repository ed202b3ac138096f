"""Pages whose words are English only are served in English, whatever language the visitor
chose for the citizen web, so that `<html lang>` (WCAG 3.1.1) and Content-Language name the
language the page is actually in. And a person who has just written reads from the primary
database (ReadYourWrites)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from townsquare.core import clock
from townsquare.core.replicas import primary_only, replica_aliases

# The staff pages (and their live fragments) and the Open311 documentation and API are written
# in English only (citizen pages are in English and Welsh).
ENGLISH_ONLY_PREFIXES = ("/staff/", "/live/staff/", "/open311/")


class EnglishOnlyInterfaces:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(ENGLISH_ONLY_PREFIXES):
            return self.get_response(request)
        with translation.override("en"):
            request.LANGUAGE_CODE = "en"
            response = self.get_response(request)
        response.headers["Content-Language"] = "en"
        return response


# Until when (seconds since the epoch) a person reads from the primary after writing.
READ_YOUR_WRITES_COOKIE = "ts_primary_until"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ReadYourWrites:
    """After a person writes, their reads come from the primary for READ_YOUR_WRITES_SECONDS,
    so what they just did never seems undone by a replica a moment behind (ADR 231). Only
    when replicas are configured; no cookie otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        now = clock.shared_seconds()
        writes = request.method not in _SAFE_METHODS
        try:
            until = float(request.COOKIES.get(READ_YOUR_WRITES_COOKIE, "0"))
        except ValueError:
            until = 0.0
        if writes or until > now:
            with primary_only():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if writes:
            seconds = settings.READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                READ_YOUR_WRITES_COOKIE,
                str(int(now + seconds) + 1),
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
