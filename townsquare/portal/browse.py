"""Browse public reports near a place: a map (with JavaScript) and an accessible, paged list
with the same filters (category, status, dates), which is the whole page without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from townsquare.cases.selectors import PublicSearch, public_cases_search
from townsquare.catalogue.selectors import services_for_council
from townsquare.core.errors import NotFound
from townsquare.core.numbers import whole_number
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.gazetteer import PlaceMatch
from townsquare.councils.selectors import council_get, council_list, place_by_key
from townsquare.geo.points import Point
from townsquare.portal.maps import BadMapQuery, map_filter_from
from townsquare.portal.places import MAX_QUERY, search_places

PAGE_SIZE = 20
MAX_PAGE = 500
# Around a street, place or postcode; wards and councils are shown whole.
NEAR_RADIUS_M = 1000
_FILTERS = ("council", "place", "service", "status", "from", "to")


@require_safe
@reads_may_lag()  # a moment old is fine (ADR 231)
def browse(request: HttpRequest) -> HttpResponse:
    params = request.GET
    query = params.get("q", "").strip()[:MAX_QUERY]
    errors: dict[str, str] = {}
    matches: list[PlaceMatch] = []
    place = place_by_key(key=params.get("place", "")) if params.get("place") else None
    if query:
        matches = search_places(query=query, limit=8)
        if not matches:
            errors["q"] = _(
                "We cannot find %(query)s. Try a street, ward, postcode or council name."
            ) % {"query": query}
        elif place is None:
            place = matches[0]
    council = None
    slug = params.get("council", "").strip() or (place.council_slug if place else "")
    if slug:
        try:
            council = council_get(slug=slug)
        except NotFound:
            errors["council"] = _("Select a council from the list")
    page = params.get("page", "1")
    page = whole_number(page, largest=MAX_PAGE) or 1

    bbox, center, radius = _where(place, council)
    filters = {k: params.get(k, "").strip() for k in ("service", "status", "from", "to")}
    filters["council"] = council.slug if council else ""
    try:
        search = map_filter_from(filters, bbox=bbox)
    except BadMapQuery as exc:
        errors["filters"] = str(exc)
        search = map_filter_from({"council": filters["council"]}, bbox=bbox)

    services = (
        services_for_council(council=council, kind="report", include_private=False)
        if council
        else []
    )
    public = PublicSearch(
        council_ids=search.council_ids,
        service_codes=(filters["service"],) if filters["service"] and council else (),
        is_open=search.is_open,
        created_from=search.created_from,
        created_before=search.created_before,
        # A council or ward is listed by its own cases (a box would also catch neighbours'
        # and scan far more rows); a street or place by distance.
        center=center,
        radius_m=radius,
        area_ids=frozenset({place.area_id}) if place and place.kind == "ward" else None,
    )
    listing = public_cases_search(search=public, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    rows = listing.rows[:PAGE_SIZE]
    for row in rows:
        row["service_name"] = listing.services[row["service_id"]].display_name
        row["council_name"] = listing.councils[row["council_id"]].name
    kept = {
        k: v for k, v in {**filters, "place": place.key if place else "", "q": query}.items() if v
    }
    map_query = {k: v for k, v in filters.items() if v and k != "from" and k != "to"}
    map_query.update({k: filters[k] for k in ("from", "to") if filters[k]})
    return render(
        request,
        "browse/reports.html",
        {
            "page_council": council,
            "council": council,
            "councils": council_list(),
            "services": services,
            "filters": filters,
            "query": query,
            "place": place,
            "matches": [m for m in matches if not place or m.key != place.key],
            "errors": errors,
            "rows": rows,
            "page": page,
            "previous_url": _page_url(kept, page - 1) if page > 1 else "",
            "next_url": _page_url(kept, page + 1) if len(listing.rows) > PAGE_SIZE else "",
            "first": (page - 1) * PAGE_SIZE + 1,
            "last": (page - 1) * PAGE_SIZE + len(rows),
            "map": {
                "bounds": ",".join(f"{v:.5f}" for v in bbox),
                "boundary_url": (
                    reverse("portal:map_boundaries", args=[council.slug]) if council else ""
                ),
                "reports_url": reverse("portal:map_reports") + "?" + urlencode(map_query),
                "tiles": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
            },
        },
        status=400 if errors else 200,
    )


def _where(
    place: PlaceMatch | None, council
) -> tuple[tuple[float, float, float, float], Point | None, float | None]:
    """(min_lat, min_lng, max_lat, max_lng) to show, and a centre and radius for the list."""
    if place is not None and place.bounds is None:
        center = Point(place.lat, place.lng)
        dlat, dlng = 0.009, 0.015
        return (
            (center.lat - dlat, center.lng - dlng, center.lat + dlat, center.lng + dlng),
            center,
            NEAR_RADIUS_M,
        )
    if place is not None and place.bounds is not None:
        return place.bounds, None, None
    if council is not None:
        return (council.min_lat, council.min_lng, council.max_lat, council.max_lng), None, None
    councils = council_list()
    if not councils:
        return (49.9, -8.2, 60.9, 1.8), None, None
    return (
        (
            min(c.min_lat for c in councils),
            min(c.min_lng for c in councils),
            max(c.max_lat for c in councils),
            max(c.max_lng for c in councils),
        ),
        None,
        None,
    )


def _page_url(kept: dict[str, str], page: int) -> str:
    return "?" + urlencode({**kept, "page": page})
