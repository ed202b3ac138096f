"""Place search for the citizen web: the gazetteer first, then the optional geocoder."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from townsquare.core.errors import InvalidInput, NotFound
from townsquare.councils.gazetteer import PlaceMatch
from townsquare.councils.selectors import council_for_point, council_get, places_matching
from townsquare.geo.geocoder import geocode

MAX_QUERY = 100


def search_places(
    *, query: str, limit: int = 10, council_id: int | None = None
) -> list[PlaceMatch]:
    """Matches from the gazetteer; when it has none, from the geocoder (if configured), kept
    only where a council we serve holds the point."""
    query = query.strip()[:MAX_QUERY]
    found = places_matching(query=query, limit=limit, council_id=council_id)
    if found or not settings.GEOCODER_URL:
        return found
    for place in geocode(
        query, url=settings.GEOCODER_URL, timeout=settings.GEOCODER_TIMEOUT_SECONDS, limit=limit
    ):
        try:
            council = council_for_point(lat=place.lat, lng=place.lng)
        except InvalidInput:
            continue
        if council_id is None or council.id == council_id:
            found.append(
                PlaceMatch(
                    kind="geocoder",
                    name=place.name,
                    council_id=council.id,
                    council_slug=council.slug,
                    council_name=council.name,
                    lat=place.lat,
                    lng=place.lng,
                )
            )
    return found


def place_json(place: PlaceMatch) -> dict:
    return {
        "key": place.key,
        "kind": place.kind,
        "name": place.name,
        "label": place.label,
        "qualifier": place.qualifier,
        "council": {"slug": place.council_slug, "name": place.council_name},
        "lat": place.lat,
        "lng": place.lng,
        "bounds": place.bounds,
    }


@require_safe
def places(request: HttpRequest) -> HttpResponse:
    """GET /places.json?q=mill+lane[&council=slug]: what the map's search box shows."""
    query = request.GET.get("q", "")
    council_id = None
    slug = request.GET.get("council", "")
    if slug:
        try:
            council_id = council_get(slug=slug).id
        except NotFound:
            return JsonResponse({"query": query, "places": []})
    results = search_places(query=query, limit=10, council_id=council_id)
    return JsonResponse(
        {
            "query": query,
            "places": [place_json(p) for p in results],
            "attributions": attributions(results),
        }
    )


def attributions(places: list[PlaceMatch]) -> list[str]:
    """The licence notices of the gazetteers these results come from, each once."""
    return sorted({place.attribution for place in places if place.attribution})
