from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from shapely.geometry import shape

from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event
from townsquare.councils.events import AreaSaved, CouncilSaved, TeamSaved
from townsquare.councils.models import Area, Council, Team
from townsquare.councils.selectors import boundary_indexes_invalidate
from townsquare.geo.boundaries import parse_multipolygon


def council_upsert(*, slug: str, name: str, jurisdiction_id: str, reference_prefix: str,
                   boundary: Any, gss_code: str = "", branding: dict | None = None,
                   settings: dict | None = None, actor: Actor | None = None) -> Council:
    """Create or update a council from its boundary (validated GeoJSON)."""
    geometry = parse_multipolygon(boundary)
    colour = (branding or {}).get("colour")
    if colour is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
        raise InvalidInput({"branding.colour": ["must be a colour like #1d70b8"]},
                           code="bad_colour")
    min_lng, min_lat, max_lng, max_lat = shape(geometry).bounds
    wanted = {
        "name": name, "jurisdiction_id": jurisdiction_id,
        "reference_prefix": reference_prefix.upper(), "gss_code": gss_code,
        "boundary": geometry, "min_lat": min_lat, "min_lng": min_lng,
        "max_lat": max_lat, "max_lng": max_lng,
        "branding": branding or {}, "settings": settings or {},
    }
    with transaction.atomic():
        council = _save_if_changed(Council, {"slug": slug}, wanted)
        if council is None:
            return Council.objects.get(slug=slug)
        append_event(CouncilSaved(slug=slug, name=name), council_id=council.id,
                     stream="council", stream_id=council.id, actor=actor or Actor.system())
    boundary_indexes_invalidate()
    return council


def area_upsert(*, council: Council, code: str, name: str, boundary: Any,
                kind: str = "ward", actor: Actor | None = None) -> Area:
    geometry = parse_multipolygon(boundary)
    with transaction.atomic():
        area = _save_if_changed(Area, {"council": council, "code": code},
                                {"name": name, "boundary": geometry, "kind": kind})
        if area is None:
            return Area.objects.get(council=council, code=code)
        append_event(AreaSaved(code=code, name=name), council_id=council.id, stream="area",
                     stream_id=area.id, actor=actor or Actor.system())
    boundary_indexes_invalidate()
    return area


def _save_if_changed(model, lookup: dict[str, Any], wanted: dict[str, Any]):
    """Create or update the row; None when it already holds exactly `wanted` (so loading the
    same data twice writes nothing and records nothing)."""
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None and all(getattr(row, k) == v for k, v in wanted.items()):
        return None
    if row is None:
        return model.objects.create(**lookup, **wanted)
    for field, value in wanted.items():
        setattr(row, field, value)
    row.save()
    return row


def team_ensure(*, council: Council, code: str, name: str, actor: Actor | None = None) -> Team:
    with transaction.atomic():
        team, created = Team.objects.get_or_create(council=council, code=code,
                                                   defaults={"name": name})
        if created:
            append_event(TeamSaved(code=code, name=name), council_id=council.id, stream="team",
                         stream_id=team.id, actor=actor or Actor.system())
    boundary_indexes_invalidate()
    return team
