from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from shapely.geometry import shape

from townsquare.core.errors import InvalidInput
from townsquare.councils.models import Area, Council, Team
from townsquare.councils.selectors import boundary_indexes_invalidate
from townsquare.geo.boundaries import parse_multipolygon


def council_upsert(*, slug: str, name: str, jurisdiction_id: str, reference_prefix: str,
                   boundary: Any, gss_code: str = "", branding: dict | None = None,
                   settings: dict | None = None) -> Council:
    """Create or update a council from its boundary (validated GeoJSON)."""
    geometry = parse_multipolygon(boundary)
    colour = (branding or {}).get("colour")
    if colour is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
        raise InvalidInput({"branding.colour": ["must be a colour like #1d70b8"]},
                           code="bad_colour")
    min_lng, min_lat, max_lng, max_lat = shape(geometry).bounds
    with transaction.atomic():
        council, _ = Council.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name, "jurisdiction_id": jurisdiction_id,
                "reference_prefix": reference_prefix.upper(), "gss_code": gss_code,
                "boundary": geometry, "min_lat": min_lat, "min_lng": min_lng,
                "max_lat": max_lat, "max_lng": max_lng,
                "branding": branding or {}, "settings": settings or {},
            },
        )
    boundary_indexes_invalidate()
    return council


def area_upsert(*, council: Council, code: str, name: str, boundary: Any,
                kind: str = "ward") -> Area:
    geometry = parse_multipolygon(boundary)
    with transaction.atomic():
        area, _ = Area.objects.update_or_create(
            council=council, code=code,
            defaults={"name": name, "boundary": geometry, "kind": kind},
        )
    boundary_indexes_invalidate()
    return area


def team_ensure(*, council: Council, code: str, name: str) -> Team:
    with transaction.atomic():
        team, _ = Team.objects.get_or_create(council=council, code=code, defaults={"name": name})
    boundary_indexes_invalidate()
    return team
