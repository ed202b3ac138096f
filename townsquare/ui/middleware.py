"""Pages whose words are English only are served in English, whatever language the visitor
chose for the citizen web, so that `<html lang>` (WCAG 3.1.1) and Content-Language name the
language the page is actually in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

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
