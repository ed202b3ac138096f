"""The pages every public service needs (ADR 110): each council's accessibility statement,
privacy notices (one per service, drawn from its template), contact page, and the platform's
cookies page. Every citizen page's footer links to them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from townsquare.catalogue.selectors import document_in_language, service_get, services_for_council
from townsquare.core.errors import NotFound
from townsquare.councils.models import Council
from townsquare.councils.public_pages import PublicPages, public_pages_of
from townsquare.councils.selectors import council_get, council_list

# A service whose text tells people to phone (for danger) must be able to show the number.
PHONE_US = ("phone us", "call us")


def duration_in_words(*, days: int) -> str:
    """A whole number of days as people say it: "2 years", "6 months", "52 weeks", "10 days"."""
    if days and days % 365 == 0:
        years = days // 365
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    if days and days % 30 == 0:
        months = days // 30
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    if days and days % 7 == 0:
        weeks = days // 7
        return ngettext("%(count)d week", "%(count)d weeks", weeks) % {"count": weeks}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def cookie_lifetime(seconds: int | None) -> str:
    if seconds is None:
        return _("When you close your browser")
    days = seconds // 86400
    if days:
        return duration_in_words(days=days)
    hours = max(1, seconds // 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def says_phone_us(document: dict) -> bool:
    """Whether the service's own (English) text tells people to phone the council."""
    text = str(document.get("description", "")).lower()
    return any(phrase in text for phrase in PHONE_US)


def feedback_url(council: Council | None) -> str:
    """Where the phase banner's feedback link goes: the council's address, else the
    platform's (FEEDBACK_URL), else the contact page."""
    if council is not None:
        own = public_pages_of(council).feedback_url
        if own:
            return own
    if settings.FEEDBACK_URL:
        return settings.FEEDBACK_URL
    return f"/council/{council.slug}/contact" if council is not None else "/contact"


def _council(slug: str) -> tuple[Council, PublicPages]:
    try:
        council = council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None
    return council, public_pages_of(council)


def _choose_council(request: HttpRequest, route: str, title: str) -> HttpResponse:
    return render(
        request,
        "public_pages/choose_council.html",
        {"councils": council_list(), "route": f"portal:{route}", "title": title},
    )


@require_safe
def accessibility_councils(request: HttpRequest) -> HttpResponse:
    return _choose_council(request, "accessibility", _("Accessibility statements"))


@require_safe
def privacy_councils(request: HttpRequest) -> HttpResponse:
    return _choose_council(request, "privacy_services", _("Privacy notices"))


@require_safe
def contact_councils(request: HttpRequest) -> HttpResponse:
    return _choose_council(request, "contact", _("Contact a council"))


@require_safe
def accessibility(request: HttpRequest, slug: str) -> HttpResponse:
    council, pages = _council(slug)
    return render(
        request,
        "public_pages/accessibility.html",
        {"page_council": council, "council": council, "pages": pages},
    )


@require_safe
def contact(request: HttpRequest, slug: str) -> HttpResponse:
    council, pages = _council(slug)
    phone_services = [
        service
        for service in services_for_council(council=council, kind="report")
        if says_phone_us(service.current_version.document)
    ]
    return render(
        request,
        "public_pages/contact.html",
        {
            "page_council": council,
            "council": council,
            "pages": pages,
            "website": (council.branding or {}).get("website", ""),
            "phone_services": phone_services,
            "report_url": reverse("portal:report_services", kwargs={"slug": council.slug}),
            "track_url": reverse("portal:track"),
        },
    )


@require_safe
def privacy_services(request: HttpRequest, slug: str) -> HttpResponse:
    council, pages = _council(slug)
    return render(
        request,
        "public_pages/privacy_services.html",
        {
            "page_council": council,
            "council": council,
            "pages": pages,
            "services": sorted(services_for_council(council=council), key=_by_name),
            "contact_url": reverse("portal:contact", kwargs={"slug": council.slug}),
        },
    )


def _by_name(service) -> str:
    return service.display_name.lower()


@require_safe
def privacy(request: HttpRequest, slug: str, service_code: str) -> HttpResponse:
    council, pages = _council(slug)
    try:
        service = service_get(council=council, code=service_code)
    except NotFound:
        raise Http404(_("We cannot find a service with that name")) from None
    document = document_in_language(service.current_version, get_language())
    questions = [
        field["label"]
        for field in sorted(document["fields"], key=lambda f: f.get("order", 0))
        if not field.get("automated")
    ]
    return render(
        request,
        "public_pages/privacy.html",
        {
            "page_council": council,
            "council": council,
            "pages": pages,
            "service": service,
            "is_report": document["kind"] == "report",
            "is_public": document["privacy"] == "public",
            "questions": questions,
            "retention": duration_in_words(days=document["retention"]["days_after_close"]),
            "retention_days": document["retention"]["days_after_close"],
            "contact_url": reverse("portal:contact", kwargs={"slug": council.slug}),
        },
    )


@require_safe
def cookies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public_pages/cookies.html",
        {
            "cookies": [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "purpose": _(
                        "Keeps you signed in, and remembers your answers while you fill in a form"
                    ),
                    "expires": cookie_lifetime(
                        None
                        if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
                        else settings.SESSION_COOKIE_AGE
                    ),
                },
                {
                    "name": settings.CSRF_COOKIE_NAME,
                    "purpose": _("Stops other websites sending forms to this one in your name"),
                    "expires": cookie_lifetime(settings.CSRF_COOKIE_AGE),
                },
                {
                    "name": settings.LANGUAGE_COOKIE_NAME,
                    "purpose": _("Remembers whether you chose English or Welsh"),
                    "expires": cookie_lifetime(settings.LANGUAGE_COOKIE_AGE),
                },
            ]
        },
    )
