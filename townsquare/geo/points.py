"""Points, distances and H3 cells. Pure functions: no Django, no database."""

from __future__ import annotations

import math
from dataclasses import dataclass

import h3

from townsquare.core.errors import InvalidInput, Problem

EARTH_RADIUS_M = 6_371_008.8

# Resolutions stored on every case: 7 (~5 km²) for city-wide aggregation, 9 (~0.1 km²) for
# radius queries, 11 (~2,000 m²) for street-level clustering and duplicate detection.
H3_RESOLUTIONS = (7, 9, 11)


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float

    @classmethod
    def parse(cls, lat: object, lng: object) -> Point:
        """Parse user input into a Point, or raise InvalidInput saying exactly what is wrong
        ("lat" and "long": `required`, `invalid_number` {value}, `out_of_range` {min, max})."""
        errors: dict[str, list[Problem]] = {}
        values: dict[str, float] = {}
        for name, raw, limit in (("lat", lat, 90.0), ("long", lng, 180.0)):
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                errors[name] = [Problem("is required", code="required")]
                continue
            try:
                value = float(raw)  # type: ignore[arg-type]  # any input; refused below
            except (TypeError, ValueError):
                errors[name] = [
                    Problem(
                        "must be a number, not %(value)r",
                        code="invalid_number",
                        params={"value": str(raw)[:40]},
                    )
                ]
                continue
            if not math.isfinite(value) or not -limit <= value <= limit:
                errors[name] = [
                    Problem(
                        "must be between %(min)s and %(max)s",
                        code="out_of_range",
                        params={"min": f"{-limit:g}", "max": f"{limit:g}"},
                    )
                ]
                continue
            values[name] = value
        if errors:
            raise InvalidInput(errors, code="bad_location")
        return cls(values["lat"], values["long"])


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def h3_cells(point: Point) -> dict[int, int]:
    """The point's H3 cell at each stored resolution, as signed 64-bit integers."""
    return {
        res: h3.str_to_int(h3.latlng_to_cell(point.lat, point.lng, res)) for res in H3_RESOLUTIONS
    }


def h3_cells_covering_radius(center: Point, radius_m: float, resolution: int = 9) -> list[int]:
    """Cells at `resolution` that together cover every point within `radius_m` of `center`.

    A k-ring covers a disc of radius at least (k - 0.5) x the distance between neighbouring cell
    centres; we measure that distance on the cell itself, because H3 cells vary in size.
    """
    cell = h3.latlng_to_cell(center.lat, center.lng, resolution)
    neighbour = next(c for c in h3.grid_ring(cell, 1))
    spacing = h3.great_circle_distance(
        h3.cell_to_latlng(cell), h3.cell_to_latlng(neighbour), unit="m"
    )
    # Cells shrink and the ring's edge zigzags away from the centre cell: 0.8 and the extra ring
    # are margin, checked by sampling up to 50 km (geo/tests/test_points.py).
    k = max(1, math.ceil(radius_m / (spacing * 0.8)) + 1)
    return [h3.str_to_int(c) for c in h3.grid_disk(cell, k)]


def bounding_box(center: Point, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lng, max_lat, max_lng) of a square around a circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(center.lat)), 1e-6)))
    return center.lat - dlat, center.lng - dlng, center.lat + dlat, center.lng + dlng


def h3_cells_in_bbox_estimate(
    min_lat: float, min_lng: float, max_lat: float, max_lng: float, resolution: int
) -> int:
    """About how many cells at `resolution` overlap the box, from its area and perimeter,
    without listing them: listing a continent at resolution 7 takes seconds (3.5 million
    cells). Errs high: the cells along the edge are counted as if every one were cut."""
    south, north = math.radians(min_lat), math.radians(max_lat)
    width = math.radians(max_lng - min_lng)
    radius_km = EARTH_RADIUS_M / 1000
    area = radius_km**2 * width * (math.sin(north) - math.sin(south))
    perimeter = radius_km * (2 * (north - south) + width * (math.cos(south) + math.cos(north)))
    inside = 1.2 * area / h3.average_hexagon_area(resolution, "km^2")
    edge = perimeter / h3.average_hexagon_edge_length(resolution, "km")
    return math.ceil(inside + edge) + 1


def h3_cells_covering_bbox(
    min_lat: float, min_lng: float, max_lat: float, max_lng: float, resolution: int
) -> list[int]:
    """Every cell at `resolution` that overlaps the box (not only those whose centre is in it).
    Costs time in proportion to their number: check h3_cells_in_bbox_estimate first."""
    box = h3.LatLngPoly(
        [(min_lat, min_lng), (min_lat, max_lng), (max_lat, max_lng), (max_lat, min_lng)]
    )
    cells = h3.h3shape_to_cells_experimental(box, resolution, contain="overlap")
    return [h3.str_to_int(c) for c in cells]


def h3_cell_center(cell: int) -> Point:
    lat, lng = h3.cell_to_latlng(h3.int_to_str(cell))
    return Point(round(lat, 6), round(lng, 6))


def h3_parent(cell: int, resolution: int) -> int:
    return h3.str_to_int(h3.cell_to_parent(h3.int_to_str(cell), resolution))
