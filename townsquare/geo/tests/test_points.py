from __future__ import annotations

import math
import random

import pytest

from townsquare.core.errors import InvalidInput
from townsquare.geo.boundaries import BoundaryIndex, parse_multipolygon
from townsquare.geo.points import EARTH_RADIUS_M, Point, distance_m, h3_cells_covering_radius


@pytest.mark.parametrize(
    ("lat", "lng", "field", "message"),
    [
        ("", "1", "lat", "is required"),
        ("abc", "1", "lat", "must be a number"),
        ("91", "1", "lat", "between -90 and 90"),
        ("1", "-181", "long", "between -180 and 180"),
        ("nan", "1", "lat", "between"),
        ("1", "inf", "long", "between"),
    ],
)
def test_bad_points_are_refused_clearly(lat, lng, field, message):
    with pytest.raises(InvalidInput) as info:
        Point.parse(lat, lng)
    assert message in info.value.errors[field][0]


def test_radius_cells_cover_every_point_in_the_disc():
    import h3

    rng = random.Random(1)
    center = Point(51.4545, -2.5879)
    for radius in (50, 500, 2000):
        cells = set(h3_cells_covering_radius(center, radius))
        for _ in range(500):
            p = Point(center.lat + rng.uniform(-0.03, 0.03), center.lng + rng.uniform(-0.05, 0.05))
            if distance_m(center, p) <= radius:
                assert h3.str_to_int(h3.latlng_to_cell(p.lat, p.lng, 9)) in cells


def test_boundary_parsing_refuses_what_is_not_a_polygon():
    for bad, reason in [
        ("{not json", "not valid JSON"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ({"type": "FeatureCollection", "features": []}, "exactly one feature"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [500, 0], [0, 1], [0, 0]]]}, "WGS84"),
        ({"type": "Polygon", "coordinates": "junk"}, "malformed"),
    ]:
        with pytest.raises(InvalidInput) as info:
            parse_multipolygon(bad)
        assert reason in info.value.message


def test_index_finds_the_holder_of_a_point():
    index = BoundaryIndex(
        [
            (
                "a",
                parse_multipolygon(
                    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
                ),
            ),
            (
                "b",
                parse_multipolygon(
                    {"type": "Polygon", "coordinates": [[[2, 0], [3, 0], [3, 1], [2, 1], [2, 0]]]}
                ),
            ),
        ]
    )
    assert index.key_containing(0.5, 0.5) == "a"
    assert index.key_containing(0.5, 2.5) == "b"
    assert index.key_containing(0.5, 1.5) is None


@pytest.mark.parametrize(("resolution", "radius"), [(9, 3000), (7, 25_000), (7, 50_000)])
def test_large_radius_cells_cover_the_disc(resolution, radius):
    import h3

    rng = random.Random(resolution * radius)
    for _ in range(5):
        center = Point(rng.uniform(50.5, 55.0), rng.uniform(-4.0, 0.5))
        cells = set(h3_cells_covering_radius(center, radius, resolution))
        for _ in range(300):
            # Points near the edge, where a short ring would miss them.
            bearing = rng.uniform(0, 2 * math.pi)
            distance = radius * rng.uniform(0.9, 0.999)
            lat = center.lat + math.degrees(distance * math.cos(bearing) / EARTH_RADIUS_M)
            lng = center.lng + math.degrees(
                distance * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(center.lat)))
            )
            if distance_m(center, Point(lat, lng)) <= radius:
                assert h3.str_to_int(h3.latlng_to_cell(lat, lng, resolution)) in cells
