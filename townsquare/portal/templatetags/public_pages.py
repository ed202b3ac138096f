"""The footer's links to the pages every public service needs, and the phase banner, for the
council a page is about (or the platform's pages when it is about none)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from townsquare.councils.public_pages import DEFAULT_PHASE, public_pages_of
from townsquare.portal.public_pages import feedback_url, says_phone_us

register = template.Library()


@register.simple_tag
def public_links(council) -> dict[str, str]:
    if council is not None and getattr(council, "slug", ""):
        slug = {"slug": council.slug}
        links = {
            "accessibility": reverse("portal:accessibility", kwargs=slug),
            "privacy": reverse("portal:privacy_services", kwargs=slug),
            "contact": reverse("portal:contact", kwargs=slug),
            "phase": public_pages_of(council).phase,
        }
    else:
        links = {
            "accessibility": reverse("portal:accessibility_councils"),
            "privacy": reverse("portal:privacy_councils"),
            "contact": reverse("portal:contact_councils"),
            "phase": DEFAULT_PHASE,
        }
    links["cookies"] = reverse("portal:cookies")
    links["feedback"] = feedback_url(council if getattr(council, "slug", "") else None)
    return links


@register.inclusion_tag("public_pages/_emergency.html")
def emergency_phone(council, service) -> dict[str, str]:
    """The council's emergency number, for a service whose text tells people to phone."""
    version = getattr(service, "current_version", None)
    if council is None or version is None or not says_phone_us(version.document):
        return {"phone": ""}
    return {"phone": public_pages_of(council).emergency_phone}
