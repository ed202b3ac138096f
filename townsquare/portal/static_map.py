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
        return ((lng - self.min_lng) * self.lat_factor * self.scale,
                (self.max_lat - lat) * self.scale)


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
            points = [f"{(x - min_lng) * lat_factor * scale:.1f},{(max_lat - y) * scale:.1f}"
                      for x, y in ring.coords]
            parts.append("M" + "L".join(points) + "Z")
    return Outline(path="".join(parts), width=round(span_x * scale),
                   height=round(span_y * scale), min_lng=min_lng, max_lat=max_lat,
                   scale=scale, lat_factor=lat_factor)


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
    return {"path": outline.path, "width": outline.width, "height": outline.height,
            "x": f"{x:.1f}", "y": f"{y:.1f}", "lat": f"{lat:.5f}", "lng": f"{lng:.5f}"}


@lru_cache(maxsize=8)
def _councils_outline(key: tuple[tuple[int, int], ...]) -> dict:
    shapes = {council_id: council_shape(council_id=council_id) for council_id, _g in key}
    bounds = [geometry.bounds for geometry in shapes.values()]
    min_lng = min(b[0] for b in bounds)
    min_lat = min(b[1] for b in bounds)
    max_lng = max(b[2] for b in bounds)
    max_lat = max(b[3] for b in bounds)
    lat_factor = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lng - min_lng) * lat_factor, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    scale = min(WIDTH / span_x, MAX_HEIGHT / span_y)
    # Councils far apart north to south make a narrow picture; centre it in the full width so
    # their names (wider than the outlines) have room on a phone too.
    left = (WIDTH - span_x * scale) / 2
    paths = {}
    labels = {}
    for council_id, geometry in shapes.items():
        inside = geometry.representative_point()
        x = left + (inside.x - min_lng) * lat_factor * scale
        # A name reads away from the nearer edge, so it never runs off the picture.
        anchor = "middle" if WIDTH / 3 <= x <= 2 * WIDTH / 3 else (
            "start" if x < WIDTH / 2 else "end")
        labels[council_id] = (round(x, 1), round((max_lat - inside.y) * scale, 1), anchor)
        simple = geometry.simplify(1.5 / scale, preserve_topology=True)
        parts = []
        for polygon in getattr(simple, "geoms", [simple]):
            for ring in [polygon.exterior, *polygon.interiors]:
                parts.append("M" + "L".join(
                    f"{left + (x - min_lng) * lat_factor * scale:.1f},"
                    f"{(max_lat - y) * scale:.1f}"
                    for x, y in ring.coords) + "Z")
        paths[council_id] = "".join(parts)
    return {"paths": paths, "labels": labels, "width": WIDTH, "height": round(span_y * scale)}


def councils_map(councils: list) -> dict | None:
    """Every council's outline in one picture, each a link to its home page."""
    key = []
    for council in councils:
        try:
            key.append((council.id, id(council_shape(council_id=council.id))))
        except KeyError:
            continue
    if not key:
        return None
    drawn = _councils_outline(tuple(key))
    return {"width": drawn["width"], "height": drawn["height"],
            "councils": [{"council": c, "path": drawn["paths"][c.id],
                          "x": drawn["labels"][c.id][0], "y": drawn["labels"][c.id][1],
                          "anchor": drawn["labels"][c.id][2]}
                         for c in councils if c.id in drawn["paths"]]}
