"""Response headers that tell browsers what a page may do (ADR 146): a Content-Security-Policy
on every document, Permissions-Policy, and a `Server` header that names no server software.

The policy allows only this site's own scripts, styles, fetches and frames; the map tiles'
origin (from MAP_TILE_URL) for images; and form posts to this site and to the residents'
identity provider (signing out there follows a post here). No inline script runs at all. An
inline `<style>` runs only with the request's nonce (`request.csp_nonce`, made when a template
first asks for it, as Django 6's built-in CSP does); the council's colour is the one such style.

Everything is read from settings on each response, so a test that changes MAP_TILE_URL or the
report address sees its own policy (the live server builds its middleware once).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

# What the browser renders as a document, and so what a policy protects.
_DOCUMENT_TYPES = ("text/html", "image/svg+xml")
# The Reporting API's name for the endpoint that CSP reports go to (Reporting-Endpoints).
REPORT_GROUP = "csp"
# Features no page of the product uses are switched off for it and for anything it might
# embed; the report map's "use my location" needs geolocation on this site's own pages.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=()",
        "camera=()",
        "display-capture=()",
        "encrypted-media=()",
        "geolocation=(self)",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "usb=()",
        "xr-spatial-tracking=()",
    ]
)
# Replaces the web server's own `Server: granian` (granian keeps a header the application sets).
SERVER_HEADER = "Townsquare"


class LazyNonce(SimpleLazyObject):
    """A nonce made on first use: a response whose page used none carries none."""

    def __init__(self) -> None:
        super().__init__(lambda: secrets.token_urlsafe(16))

    @property
    def used(self) -> bool:
        return self._wrapped is not empty


def source_of(url: str) -> str:
    """The CSP source expression that allows a URL template's host: the scheme, host and port,
    with any host labels up to the last `{placeholder}` (tile servers' `{s}`) as `*.`; empty
    for an empty URL or one without a host."""
    if not url.strip():
        return ""
    parts = urlsplit(url.replace("{", "%7B").replace("}", "%7D"))
    host = parts.netloc.rsplit("@", 1)[-1]
    if not parts.scheme or not host:
        return ""
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "%7B" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def report_endpoint() -> str:
    return settings.CSP_REPORT_URL.strip()


def allow_style_attributes(request: HttpRequest) -> None:
    """Let this page's `style="..."` attributes apply (never <style> elements or scripts): for
    the pages that preview an email in a sandboxed `srcdoc` frame, which inherits the page's
    policy, and whose HTML is styled inline as email clients need."""
    request.csp_style_attributes = True  # type: ignore[attr-defined]


def content_security_policy(nonce: str = "", *, style_attributes: bool = False) -> str:
    """The policy for a document; `nonce` when its page used one."""
    nonce_source = f" 'nonce-{nonce}'" if nonce else ""
    images = " ".join(filter(None, ["'self'", "data:", source_of(settings.MAP_TILE_URL)]))
    # The payment step's form is answered with a redirect to GOV.UK Pay's payment pages.
    forms = " ".join(
        filter(
            None,
            [
                "'self'",
                source_of(settings.ONE_LOGIN_ISSUER),
                source_of(settings.PAYMENTS_GOVUK_PAY_PAGES_URL),
            ],
        )
    )
    directives = [
        "default-src 'self'",
        f"script-src 'self'{nonce_source}",
        f"style-src 'self'{nonce_source}",
        *(["style-src-attr 'unsafe-inline'"] if style_attributes else []),
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {forms}",
        "frame-ancestors 'none'",
    ]
    endpoint = report_endpoint()
    if endpoint:
        directives += [f"report-uri {endpoint}", f"report-to {REPORT_GROUP}"]
    return "; ".join(directives)


class SecurityHeaders:
    """Put it first in MIDDLEWARE, so its headers reach every response, static files too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = LazyNonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers["Server"] = SERVER_HEADER
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # A view's own policy stands: staff attachments are sandboxed with a stricter one.
        if (
            self._is_document(response)
            and not self._is_debug_page(response)
            and "Content-Security-Policy" not in response.headers
        ):
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers[header] = content_security_policy(
                str(nonce) if nonce.used else "",
                style_attributes=getattr(request, "csp_style_attributes", False),
            )
            endpoint = report_endpoint()
            if endpoint:
                response.headers["Reporting-Endpoints"] = f'{REPORT_GROUP}="{endpoint}"'
        return response

    @staticmethod
    def _is_document(response: HttpResponse) -> bool:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return content_type in _DOCUMENT_TYPES

    @staticmethod
    def _is_debug_page(response: HttpResponse) -> bool:
        # Django's technical 404 and 500 pages (DEBUG only) are styled and scripted inline.
        return settings.DEBUG and response.status_code in (404, 500)
