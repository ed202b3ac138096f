"""A small map drawn on the server: the council's outline and a pin, as inline SVG.

It needs no tiles, no JavaScript and no third party, so it shows for everyone; the interactive
map (Leaflet) is the report journey's. Outlines are simplified and kept per process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from townsquare.councils.selectors import council_shape

WIDTH = 640
MAX_HEIGHT = 480


@dataclass(frozen=True)
class Outline:
    path: str
    width: int
    height: int
    min_lng: float
    max_lat: float
    scale: float
    lat_factor: float

    def position(self, lat: float, lng: float) -> tuple[float, float]:
        return (
            (lng - self.min_lng) * self.lat_factor * self.scale,
            (self.max_lat - lat) * self.scale,
        )


@lru_cache(maxsize=256)
def _outline(council_id: int, geometry_id: int) -> Outline | None:
    try:
        geometry = council_shape(council_id=council_id)
    except KeyError:
        return None
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    lat_factor = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lng - min_lng) * lat_factor, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    scale = min(WIDTH / span_x, MAX_HEIGHT / span_y)
    simple = geometry.simplify(1.5 / scale, preserve_topology=True)
    polygons = getattr(simple, "geoms", [simple])
    parts = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [
                f"{(x - min_lng) * lat_factor * scale:.1f},{(max_lat - y) * scale:.1f}"
                for x, y in ring.coords
            ]
            parts.append("M" + "L".join(points) + "Z")
    return Outline(
        path="".join(parts),
        width=round(span_x * scale),
        height=round(span_y * scale),
        min_lng=min_lng,
        max_lat=max_lat,
        scale=scale,
        lat_factor=lat_factor,
    )


def case_map(*, council_id: int, lat: float | None, lng: float | None) -> dict | None:
    """What the template needs to draw the map, or None when there is nothing to place."""
    if lat is None or lng is None:
        return None
    try:
        geometry = council_shape(council_id=council_id)
    except KeyError:
        return None
    outline = _outline(council_id, id(geometry))
    if outline is None:
        return None
    x, y = outline.position(lat, lng)
    return {
        "path": outline.path,
        "width": outline.width,
        "height": outline.height,
        "x": f"{x:.1f}",
        "y": f"{y:.1f}",
        "lat": f"{lat:.5f}",
        "lng": f"{lng:.5f}",
    }


def councils_map(councils: list) -> list[dict] | None:
    """Each council's outline as a small picture of its own, to pick it by its shape. Councils
    of one deployment can be an ocean apart, so one shared map would shrink them to dots."""
    drawn = []
    for council in councils:
        try:
            geometry = council_shape(council_id=council.id)
        except KeyError:
            continue
        outline = _outline(council.id, id(geometry))
        if outline is not None:
            drawn.append(
                {
                    "council": council,
                    "path": outline.path,
                    "width": outline.width,
                    "height": outline.height,
                }
            )
    return drawn or None
