"""Map data as GeoJSON, from Townsquare's own database: council boundaries and wards, and
public reports, counted per H3 cell when zoomed out (ADR 51). The maps work from these alone
when no tile server answers."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from townsquare.cases.selectors import (
    MAP_MAX_POINTS,
    MapFilter,
    map_resolution_for_box,
    public_map_cells,
    public_map_points,
)
from townsquare.catalogue.selectors import services_by_id, services_for_council
from townsquare.core.errors import NotFound
from townsquare.core.numbers import whole_number
from townsquare.councils.selectors import council_boundaries_geojson, council_get

# Zoom levels (Leaflet's) from which reports are drawn one by one rather than counted per cell,
# and the H3 resolution counted below that: a city fits in a few hundred resolution-7 cells.
POINTS_FROM_ZOOM = 16
# Fewer reports than this in view are drawn one by one even when zoomed out.
FEW_ENOUGH_TO_DRAW = 300
_RESOLUTION_BY_ZOOM = ((9, 5), (11, 6), (14, 7), (POINTS_FROM_ZOOM, 9))


# References that need no escaping in a URL path (all of Townsquare's own).
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9_.~-]+")


class BadMapQuery(ValueError):
    pass


def resolution_for_zoom(zoom: int) -> int | None:
    """The H3 resolution to count at, or None to draw single reports."""
    for below, resolution in _RESOLUTION_BY_ZOOM:
        if zoom < below:
            return resolution
    return None


@require_safe
def council_boundaries(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None
    response = JsonResponse(council_boundaries_geojson(council_id=council.id))
    response["Content-Type"] = "application/geo+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def map_filter_from(params, *, bbox: tuple[float, float, float, float]) -> MapFilter:
    """The list's and map's shared filters: council, service (code), status, from, to."""
    council_ids = service_ids = None
    slug = params.get("council", "").strip()
    if slug:
        try:
            council = council_get(slug=slug)
        except NotFound:
            raise BadMapQuery(
                _("There is no council called %(slug)s") % {"slug": slug[:50]}
            ) from None
        council_ids = frozenset({council.id})
        code = params.get("service", "").strip()
        if code:
            matching = [
                s.id
                for s in services_for_council(council=council, kind="report", include_private=False)
                if s.code == code
            ]
            service_ids = frozenset(matching)
    status = params.get("status", "").strip()
    if status not in ("", "open", "closed"):
        raise BadMapQuery(_("Status must be open or closed"))
    return MapFilter(
        bbox=bbox,
        council_ids=council_ids,
        service_ids=service_ids,
        is_open=None if not status else status == "open",
        created_from=_date(params.get("from", ""), _("From")),
        created_before=_date(params.get("to", ""), _("To"), next_day=True),
    )


def _date(raw: str, label: str, *, next_day: bool = False) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise BadMapQuery(
            _("%(label)s must be a date like 2026-03-31") % {"label": label}
        ) from None
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _bbox(raw: str) -> tuple[float, float, float, float]:
    """bbox=min_lng,min_lat,max_lng,max_lat (GeoJSON's order) as (min_lat, min_lng, max_lat,
    max_lng)."""
    try:
        min_lng, min_lat, max_lng, max_lat = (float(v) for v in raw.split(","))
    except ValueError:
        raise BadMapQuery(_("bbox must be four numbers: west,south,east,north")) from None
    if not all(math.isfinite(v) for v in (min_lng, min_lat, max_lng, max_lat)) or not (
        -180 <= min_lng < max_lng <= 180 and -90 <= min_lat < max_lat <= 90
    ):
        raise BadMapQuery(_("bbox must be west,south,east,north in degrees, west before east"))
    return min_lat, min_lng, max_lat, max_lng


@require_safe
def reports(request: HttpRequest) -> HttpResponse:
    """GET /map/reports.geojson?bbox=w,s,e,n&zoom=Z[&council=&service=&status=&from=&to=]"""
    try:
        bbox = _bbox(request.GET.get("bbox", ""))
        raw_zoom = request.GET.get("zoom", "12")
        if whole_number(raw_zoom, largest=22) is None:
            raise BadMapQuery(_("zoom must be a whole number from 0 to 22"))
        search = map_filter_from(request.GET, bbox=bbox)
    except BadMapQuery as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    resolution = map_resolution_for_box(search, resolution_for_zoom(int(raw_zoom)))
    rows = None
    if resolution is None:
        # Zoomed in: draw single reports, unless there are too many to draw (ADR 118).
        rows = public_map_points(search=search, limit=MAP_MAX_POINTS + 1)
        if len(rows) > MAP_MAX_POINTS:
            rows, resolution = None, map_resolution_for_box(search, 9)
    features = []
    counted = public_map_cells(search=search, resolution=resolution) if resolution else None
    if counted is not None and counted.reports <= min(FEW_ENOUGH_TO_DRAW, MAP_MAX_POINTS):
        resolution = None  # few enough to draw one by one, whatever the zoom
    if counted is not None and resolution is not None:
        for center, count, _cell in counted.cells:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [center.lng, center.lat]},
                    "properties": {"count": count},
                }
            )
    else:
        if rows is None:
            rows = public_map_points(search=search, within=counted)
        names = services_by_id(ids={r["service_id"] for r in rows})
        # One reverse() for thousands of rows: it costs as much as the query, row by row.
        track = reverse("portal:track_case", args=["0"])[:-1]
        for row in rows:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                    "properties": {
                        "reference": row["reference"],
                        "service": names[row["service_id"]].name,
                        "open": row["is_open"],
                        "approximate": row["location_approximate"],
                        "url": track + row["reference"]
                        if _PLAIN_REFERENCE.fullmatch(row["reference"])
                        else reverse("portal:track_case", args=[row["reference"]]),
                    },
                }
            )
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features, "aggregated": resolution is not None}
    )
    response["Content-Type"] = "application/geo+json"
    return response
