"""Error pages that render when much else has failed (ADR 110).

`error_page` renders a template without the request, so no context processor runs (no user,
session or database), and if even that fails (a template or static file missing) it sends a
plain page with the same landmarks: a skip link, a header, `<main>` and a way home.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language

logger = logging.getLogger(__name__)


def http404_reason(exception: Exception | None) -> str:
    """The message a view gave its Http404 (worded for people, ADR 80); not the resolver's
    record of the patterns it tried."""
    if exception is None or not exception.args or not isinstance(exception.args[0], str):
        return ""
    return exception.args[0]


def error_page(
    template: str,
    context: dict[str, Any],
    *,
    status: int,
    title: str,
    message: str,
    home_url: str,
    home_label: str,
    skip_label: str,
) -> HttpResponse:
    try:
        body = render_to_string(template, context)
    except Exception:  # the error page itself must never fail
        logger.exception("Rendering %s failed; sending the plain error page", template)
        body = _plain(title, message, home_url, home_label, skip_label)
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _plain(title: str, message: str, home_url: str, home_label: str, skip_label: str) -> str:
    language = escape(get_language() or "en")
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body>"
        f'<a href="#main-content">{escape(skip_label)}</a>'
        f'<header><a href="{escape(home_url)}">Townsquare</a></header>'
        f'<main id="main-content" tabindex="-1"><h1>{escape(title)}</h1>'
        f'<p>{escape(message)}</p><p><a href="{escape(home_url)}">{escape(home_label)}</a></p>'
        "</main></body></html>"
    )
