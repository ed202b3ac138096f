"""An optional geocoder over HTTP (Nominatim's search API or one compatible with it), asked
only when the gazetteer has no answer and only when a deployment configures one (ADR 52)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import requests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeocodedPlace:
    name: str
    lat: float
    lng: float


def geocode(
    query: str, *, url: str, timeout: float, limit: int = 5, countrycodes: str = "gb"
) -> list[GeocodedPlace]:
    """Places the service finds for `query`; [] when it is off, slow, down or answers nonsense
    (a place search must never fail because a third party did)."""
    if not url or not query.strip():
        return []
    try:
        response = requests.get(
            url,
            params={
                "q": query[:200],
                "format": "jsonv2",
                "limit": limit,
                "countrycodes": countrycodes,
            },
            timeout=timeout,
            headers={"User-Agent": "Townsquare"},
        )
        response.raise_for_status()
        rows = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("Geocoder %s failed: %s", url, exc)
        return []
    found = []
    for row in rows if isinstance(rows, list) else []:
        try:
            lat, lng = float(row["lat"]), float(row["lon"])
            name = str(row.get("display_name") or row.get("name") or query)[:200]
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180:
            found.append(GeocodedPlace(name, lat, lng))
    return found[:limit]
