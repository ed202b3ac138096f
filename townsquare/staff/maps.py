"""A small static map drawn as SVG: the ward's outline and the case's point, no tiles and no
network (works without JavaScript; an OpenStreetMap link gives the street detail)."""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT, PAD = 320, 220, 12


def _rings(geometry: dict[str, Any] | None) -> list[list[tuple[float, float]]]:
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    if geometry.get("type") == "FeatureCollection":
        return [r for f in geometry.get("features", []) for r in _rings(f)]
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        polygons = [coords]
    elif geometry.get("type") == "MultiPolygon":
        polygons = coords
    else:
        return []
    return [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]


def static_map(
    *,
    lat: float | None,
    lng: float | None,
    boundary: Any = None,
    others: list[tuple[float, float]] = (),
) -> dict[str, Any] | None:
    """Paths and marker positions in a WIDTH x HEIGHT box, or None without a location."""
    if lat is None or lng is None:
        return None
    rings = _rings(boundary)
    xs = [x for ring in rings for x, _ in ring] + [lng]
    ys = [y for ring in rings for _, y in ring] + [lat]
    # At least about 400 m across, so a point alone is shown in a street-sized box.
    span = 0.004
    min_x, max_x = min(xs), max(xs)
    min_y, max_y = min(ys), max(ys)
    if max_x - min_x < span:
        min_x, max_x = lng - span, lng + span
    if max_y - min_y < span * 0.6:
        min_y, max_y = lat - span * 0.6, lat + span * 0.6
    k = math.cos(math.radians(lat))  # metres per degree of longitude shrink with latitude
    scale = min((WIDTH - 2 * PAD) / ((max_x - min_x) * k), (HEIGHT - 2 * PAD) / (max_y - min_y))
    off_x = (WIDTH - (max_x - min_x) * k * scale) / 2
    off_y = (HEIGHT - (max_y - min_y) * scale) / 2

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(off_x + (x - min_x) * k * scale, 1),
            round(HEIGHT - off_y - (y - min_y) * scale, 1),
        )

    paths = []
    for ring in rings:
        points = [project(x, y) for x, y in ring]
        paths.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
    marker = project(lng, lat)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "paths": paths,
        "marker": marker,
        "others": [project(o_lng, o_lat) for o_lat, o_lng in others],
        "osm_url": f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}"
        f"#map=18/{lat:.6f}/{lng:.6f}",
    }


def areas_map(*, boundary: Any, areas: list[tuple[str, Any]]) -> dict[str, Any] | None:
    """The council's outline with its areas inside, each labelled at its middle."""
    outline = _rings(boundary)
    area_rings = [(name, _rings(geometry)) for name, geometry in areas]
    xs = [x for ring in outline for x, _ in ring]
    ys = [y for ring in outline for _, y in ring]
    if not xs:
        return None
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((min_y + max_y) / 2))
    width, height = 640, 440
    scale = min(
        (width - 2 * PAD) / max((max_x - min_x) * k, 1e-9),
        (height - 2 * PAD) / max(max_y - min_y, 1e-9),
    )

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(PAD + (x - min_x) * k * scale, 1),
            round(height - PAD - (y - min_y) * scale, 1),
        )

    def path(rings: list[list[tuple[float, float]]]) -> str:
        return " ".join(
            "M" + " L".join(f"{px},{py}" for px, py in (project(x, y) for x, y in ring)) + " Z"
            for ring in rings
        )

    shown = []
    for name, rings in area_rings:
        if not rings:
            continue
        cx = sum(x for x, _ in rings[0]) / len(rings[0])
        cy = sum(y for _, y in rings[0]) / len(rings[0])
        label_x, label_y = project(cx, cy)
        shown.append({"name": name, "d": path(rings), "x": label_x, "y": label_y})
    return {"width": width, "height": height, "outline": path(outline), "areas": shown}
