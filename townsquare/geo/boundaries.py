"""Boundaries as GeoJSON, parsed and validated, and an index that finds which one holds a point."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape

from townsquare.core.errors import InvalidInput


def parse_multipolygon(geojson: Any) -> dict[str, Any]:
    """Accept a GeoJSON Polygon/MultiPolygon (bare, Feature or one-feature collection).

    Returns a normalised MultiPolygon geometry dict; raises InvalidInput with the reason.
    """
    if isinstance(geojson, str | bytes):
        try:
            geojson = json.loads(geojson)
        except ValueError as exc:
            raise InvalidInput(f"Boundary is not valid JSON: {exc}", code="bad_boundary") from exc
    if not isinstance(geojson, dict):
        raise InvalidInput("Boundary must be a GeoJSON object", code="bad_boundary")
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        features = geojson.get("features") or []
        if len(features) != 1:
            raise InvalidInput(
                f"Boundary collection must hold exactly one feature, not {len(features)}",
                code="bad_boundary",
            )
        geojson = features[0]
        kind = geojson.get("type")
    if kind == "Feature":
        geojson = geojson.get("geometry") or {}
        kind = geojson.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(
            f"Boundary must be a Polygon or MultiPolygon, not {kind!r}", code="bad_boundary"
        )
    try:
        geometry = shape(geojson)
    except Exception as exc:
        raise InvalidInput(f"Boundary geometry is malformed: {exc}", code="bad_boundary") from exc
    if geometry.is_empty:
        raise InvalidInput("Boundary is empty", code="bad_boundary")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidInput(
            "Boundary coordinates must be longitude, latitude in degrees (WGS84)",
            code="bad_boundary",
        )
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        geometry = shapely.MultiPolygon(
            [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type == "Polygon"]
        )
    if geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    # Through JSON, so the result equals what the database gives back (lists, not tuples).
    return json.loads(json.dumps(shapely.geometry.mapping(geometry)))


@dataclass(frozen=True)
class _Entry:
    key: Any
    geometry: Any


class BoundaryIndex:
    """Finds which of many boundaries holds a point, in microseconds.

    Built once from (key, GeoJSON) pairs; uses an STR-tree over prepared geometries.
    """

    def __init__(self, boundaries: Iterable[tuple[Any, dict[str, Any]]]) -> None:
        self._entries: list[_Entry] = []
        for key, geojson in boundaries:
            geometry = shape(geojson)
            shapely.prepare(geometry)
            self._entries.append(_Entry(key, geometry))
        self._tree = shapely.STRtree([e.geometry for e in self._entries])
        self._by_key = {e.key: e.geometry for e in self._entries}

    def __len__(self) -> int:
        return len(self._entries)

    def keys_containing(self, lat: float, lng: float) -> list[Any]:
        point = shapely.Point(lng, lat)
        hits = self._tree.query(point, predicate="intersects")
        return [self._entries[i].key for i in sorted(hits)]

    def key_containing(self, lat: float, lng: float) -> Any | None:
        keys = self.keys_containing(lat, lng)
        return keys[0] if keys else None

    def bounds(self, key: Any) -> Sequence[float]:
        return self._by_key[key].bounds

    def geometry(self, key: Any) -> Any:
        return self._by_key[key]
