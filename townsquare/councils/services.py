from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.db import transaction
from shapely.geometry import shape

from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event
from townsquare.councils.events import AreaSaved, CouncilSaved, GazetteerImported, TeamSaved
from townsquare.councils.gazetteer import normalise
from townsquare.councils.models import Area, Council, Place, Team
from townsquare.councils.selectors import (
    area_id_for_point,
    boundary_indexes_invalidate,
    council_contains_point,
)
from townsquare.geo.boundaries import parse_multipolygon
from townsquare.geo.points import Point


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


# The gazetteer.

MAX_GAZETTEER_ROWS = 500_000
_LAT_COLUMNS = ("lat", "latitude")
_LNG_COLUMNS = ("lng", "lon", "long", "longitude")


def places_import_csv(*, council: Council, text: str, source: str = "",
                      actor: Actor | None = None) -> int:
    """Replace the council's streets, place names and postcodes with those in a CSV file.

    Columns (header row, any order, case-insensitive): name, lat/latitude, lng/lon/longitude,
    and optionally kind (street, place or postcode; street by default). Every row must lie
    inside the council. All or nothing: a file with any bad row changes nothing and
    InvalidInput lists the first 20 problems by line. Returns the number of places imported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    lat_column = next((columns[c] for c in _LAT_COLUMNS if c in columns), None)
    lng_column = next((columns[c] for c in _LNG_COLUMNS if c in columns), None)
    if "name" not in columns or lat_column is None or lng_column is None:
        raise InvalidInput({"csv": ["The first row must name the columns: name, lat and lng "
                                    "(and optionally kind)"]}, code="bad_gazetteer")
    kinds = set(Place.Kind.values)
    problems: list[str] = []
    places: list[Place] = []
    for line, row in enumerate(reader, start=2):
        if len(places) >= MAX_GAZETTEER_ROWS:
            problems.append(f"more than {MAX_GAZETTEER_ROWS:,} rows; split the file")
            break
        name = " ".join((row.get(columns["name"]) or "").split())
        kind = (row.get(columns.get("kind", ""), "") or "street").strip().lower()
        try:
            point = Point.parse(row.get(lat_column), row.get(lng_column))
        except InvalidInput as exc:
            problems.append(f"line {line}: " + "; ".join(
                f"{key} {' '.join(messages)}" for key, messages in exc.errors.items()))
            continue
        if not name or len(name) > 200:
            problems.append(f"line {line}: the name must be 1 to 200 characters")
        elif not normalise(name):
            problems.append(f"line {line}: the name has no letters or digits")
        elif kind not in kinds:
            problems.append(f"line {line}: kind must be street, place or postcode, not {kind!r}")
        elif not council_contains_point(council=council, lat=point.lat, lng=point.lng):
            problems.append(f"line {line}: {name} ({point.lat}, {point.lng}) is outside "
                            f"{council.name}")
        else:
            places.append(Place(council=council, kind=kind, name=name,
                                search_name=normalise(name), lat=point.lat, lng=point.lng,
                                area_id=area_id_for_point(council=council, lat=point.lat,
                                                          lng=point.lng)))
        if len(problems) >= 20:
            break
    if problems:
        raise InvalidInput({"csv": problems}, code="bad_gazetteer")
    with transaction.atomic():
        Place.objects.filter(council=council).delete()
        Place.objects.bulk_create(places, batch_size=2000)
        append_event(GazetteerImported(places=len(places), source=source[:200]),
                     council_id=council.id, stream="council", stream_id=council.id,
                     actor=actor or Actor.system())
    return len(places)
