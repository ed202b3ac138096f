"""The staff web's 404 and 500 pages: the staff look and a link to the staff home (ADR 110).
The staff web is in English, so these are too, declared as such."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from townsquare.ui.errors import error_page, http404_reason


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        "staff/errors/404.html",
        404,
        "Page not found",
        "Check the address.",
        {"reason": http404_reason(exception)},
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(
        "staff/errors/500.html", 500, "Sorry, there is a problem with the service", "Try again.", {}
    )


def _page(template: str, status: int, title: str, message: str, context: dict) -> HttpResponse:
    with translation.override("en"):
        return error_page(
            template,
            context,
            status=status,
            title=title,
            message=message,
            home_url=reverse("staff:home"),
            home_label="Go to the staff home",
            skip_label="Skip to main content",
        )
