"""The citizen web's branded 404 and 500 pages, in the visitor's language (ADR 110)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from townsquare.ui.errors import error_page, http404_reason


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {"reason": http404_reason(exception)}
    try:
        return render(request, "portal/errors/404.html", context, status=404)
    except Exception:  # a broken database still gets a branded 404
        return _plain_error("portal/errors/404_plain.html", 404, context)


def server_error(request: HttpRequest) -> HttpResponse:
    return _plain_error("portal/errors/500.html", 500, {})


def _plain_error(template: str, status: int, context: dict) -> HttpResponse:
    if status == 404:
        title, message = (
            _("Page not found"),
            _("If you typed the web address, check it is correct."),
        )
    else:
        title = _("Sorry, there is a problem with the service")
        message = _("Try again later.")
    return error_page(
        template,
        context,
        status=status,
        title=title,
        message=message,
        home_url="/",
        home_label=_("Go to the home page"),
        skip_label=_("Skip to main content"),
    )
