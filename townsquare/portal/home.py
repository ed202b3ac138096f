"""The home pages: the deployment's (find your council) and each council's."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from townsquare.catalogue.selectors import services_by_group
from townsquare.core.errors import NotFound
from townsquare.councils.selectors import council_get, council_list
from townsquare.portal import static_map
from townsquare.portal.places import MAX_QUERY, attributions, search_places

_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    councils = council_list()
    return render(
        request,
        "home/deployment.html",
        {
            "councils": councils,
            "map": static_map.councils_map(councils),
        },
    )


@require_safe
def find_council(request: HttpRequest) -> HttpResponse:
    """Find the council by its name, a ward, a street, a place or a postcode (the gazetteer,
    then the geocoder if one is configured). One council found: go to its home page."""
    text = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    councils = council_list()
    if not text:
        return render(
            request,
            "home/find.html",
            {
                "q": "",
                "error": _("Enter a postcode, or the name of a town, area or council"),
                "councils": councils,
            },
            status=400,
        )
    matches = search_places(query=text, limit=20)
    by_council = {match.council_slug for match in matches}
    if len(by_council) == 1:
        return redirect("portal:council_home", slug=matches[0].council_slug)
    kinds = {
        "council": _("council"),
        "ward": _("ward"),
        "street": _("street"),
        "place": _("place"),
        "postcode": _("postcode"),
        "postcode_sector": _("postcode sector"),
        "postcode_district": _("postcode district"),
        "geocoder": _("place"),
    }
    return render(
        request,
        "home/find.html",
        {
            "q": text,
            "councils": councils,
            "found": bool(matches),
            "attributions": attributions(matches),
            "matches": [
                {
                    "name": m.label,
                    "kind": kinds.get(m.kind, m.kind),
                    "is_council": m.kind == "council",
                    "council_slug": m.council_slug,
                    "council_name": m.council_name,
                }
                for m in matches
            ],
            "is_postcode": bool(_POSTCODE.match(text.upper())),
        },
    )


@require_safe
def council_home(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None
    groups = services_by_group(councils=[council]).get(council.id, {})
    reports = sorted(
        (group, [s for s in services if s.kind == "report" and s.privacy == "public"])
        for group, services in groups.items()
    )
    applications = [s for services in groups.values() for s in services if s.kind == "application"]
    return render(
        request,
        "home/council.html",
        {
            "page_council": council,
            "council": council,
            "report_groups": [(g, s) for g, s in reports if s],
            "applications": sorted(applications, key=lambda s: s.display_name),
        },
    )
