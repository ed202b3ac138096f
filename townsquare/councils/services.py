from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any

import shapely
from django.db import transaction
from shapely.geometry import shape

from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event
from townsquare.councils.events import AreaSaved, CouncilSaved, GazetteerImported, TeamSaved
from townsquare.councils.gazetteer import normalise
from townsquare.councils.gazetteer_sources import (
    SourceRead,
    SourceRow,
    read_os_open_names,
    read_places_csv,
    sniff,
)
from townsquare.councils.models import Area, Council, Gazetteer, Place, Team
from townsquare.councils.selectors import (
    boundary_indexes_invalidate,
    council_area_shapes,
    council_shape,
    gazetteer_indexes_invalidate,
)
from townsquare.geo.boundaries import parse_multipolygon
from townsquare.geo.osgrid import wgs84_to_grid


def council_upsert(
    *,
    slug: str,
    name: str,
    jurisdiction_id: str,
    reference_prefix: str,
    boundary: Any,
    gss_code: str = "",
    branding: dict | None = None,
    settings: dict | None = None,
    actor: Actor | None = None,
) -> Council:
    """Create or update a council from its boundary (validated GeoJSON)."""
    geometry = parse_multipolygon(boundary)
    colour = (branding or {}).get("colour")
    if colour is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
        raise InvalidInput(
            {"branding.colour": ["must be a colour like #1d70b8"]}, code="bad_colour"
        )
    min_lng, min_lat, max_lng, max_lat = shape(geometry).bounds
    wanted = {
        "name": name,
        "jurisdiction_id": jurisdiction_id,
        "reference_prefix": reference_prefix.upper(),
        "gss_code": gss_code,
        "boundary": geometry,
        "min_lat": min_lat,
        "min_lng": min_lng,
        "max_lat": max_lat,
        "max_lng": max_lng,
        "branding": branding or {},
        "settings": settings or {},
    }
    with transaction.atomic():
        council = _save_if_changed(Council, {"slug": slug}, wanted)
        if council is None:
            return Council.objects.get(slug=slug)
        append_event(
            CouncilSaved(slug=slug, name=name),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor or Actor.system(),
        )
    boundary_indexes_invalidate()
    return council


def area_upsert(
    *,
    council: Council,
    code: str,
    name: str,
    boundary: Any,
    kind: str = "ward",
    actor: Actor | None = None,
) -> Area:
    geometry = parse_multipolygon(boundary)
    with transaction.atomic():
        area = _save_if_changed(
            Area,
            {"council": council, "code": code},
            {"name": name, "boundary": geometry, "kind": kind},
        )
        if area is None:
            return Area.objects.get(council=council, code=code)
        append_event(
            AreaSaved(code=code, name=name),
            council_id=council.id,
            stream="area",
            stream_id=area.id,
            actor=actor or Actor.system(),
        )
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
        team, created = Team.objects.get_or_create(
            council=council, code=code, defaults={"name": name}
        )
        if created:
            append_event(
                TeamSaved(code=code, name=name),
                council_id=council.id,
                stream="team",
                stream_id=team.id,
                actor=actor or Actor.system(),
            )
    boundary_indexes_invalidate()
    return team


# The gazetteer.

MAX_GAZETTEER_ROWS = 500_000


def places_import(
    *,
    council: Council,
    read: SourceRead,
    source: str = "",
    attribution: str = "",
    outside: str = "refuse",
    actor: Actor | None = None,
) -> int:
    """Replace the council's streets, place names and postcodes with the rows read from its
    files (gazetteer_sources). All or nothing: any problem changes nothing and InvalidInput
    lists the first 20. A row outside the council is a problem, or with `outside="skip"`
    (national data) is left out. Returns the number of places imported.
    """
    problems = list(read.problems)
    rows = read.rows
    if len(rows) > MAX_GAZETTEER_ROWS:
        problems.append(f"more than {MAX_GAZETTEER_ROWS:,} rows; split the file")
    inside = shapely.contains_xy(
        council_shape(council_id=council.id), [row.lng for row in rows], [row.lat for row in rows]
    )
    if outside != "skip":
        for row, is_inside in zip(rows, inside, strict=True):
            if len(problems) >= 20:
                break
            if not is_inside:
                problems.append(
                    f"{row.where}: {row.name} ({row.lat}, {row.lng}) is outside {council.name}"
                )
    if problems:
        raise InvalidInput({"csv": problems[:20]}, code="bad_gazetteer")
    kept = [row for row, is_inside in zip(rows, inside, strict=True) if is_inside]
    area_ids = _areas_of(council, kept)
    counts = {kind: 0 for kind in ("street", "place", "postcode")}
    for row in kept:
        counts["postcode" if row.kind.startswith("postcode") else row.kind] += 1
    attribution = (attribution or read.attribution).strip()
    with transaction.atomic():
        Place.objects.filter(council=council).delete()
        Place.objects.bulk_create(
            (
                Place(
                    council=council,
                    kind=row.kind,
                    name=row.name,
                    search_name=normalise(row.name)[:200],
                    qualifier=row.qualifier,
                    lat=row.lat,
                    lng=row.lng,
                    area_id=area_id,
                )
                for row, area_id in zip(kept, area_ids, strict=True)
            ),
            batch_size=2000,
        )
        Gazetteer.objects.update_or_create(
            council=council,
            defaults={
                "streets": counts["street"],
                "places": counts["place"],
                "postcodes": counts["postcode"],
                "attribution": attribution[:2000],
                "source": source[:500],
                "imported_at": clock.now(),
            },
        )
        append_event(
            GazetteerImported(places=len(kept), source=source[:200]),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor or Actor.system(),
        )
    gazetteer_indexes_invalidate()
    return len(kept)


def places_import_csv(
    *,
    council: Council,
    text: str,
    source: str = "",
    attribution: str = "",
    actor: Actor | None = None,
) -> int:
    """places_import from Townsquare's CSV (gazetteer_sources.read_places_csv) given as text;
    every row must lie inside the council."""
    return places_import(
        council=council,
        read=read_places_csv(io.StringIO(text)),
        source=source,
        attribution=attribution,
        actor=actor,
    )


def _areas_of(council: Council, rows: list[SourceRow]) -> list[int | None]:
    """The council's ward holding each row (tested a ward at a time over all rows)."""
    found: list[int | None] = [None] * len(rows)
    lngs, lats = [row.lng for row in rows], [row.lat for row in rows]
    for area_id, geometry in council_area_shapes(council_id=council.id):
        for i, is_inside in enumerate(shapely.contains_xy(geometry, lngs, lats)):
            if is_inside and found[i] is None:
                found[i] = area_id
    return found


def places_import_files(
    *,
    council: Council,
    files: list[tuple[str, Callable[[], Iterable[str]]]],
    file_format: str = "auto",
    attribution: str = "",
    actor: Actor | None = None,
) -> tuple[int, int]:
    """places_import from files, each given as (name, a function opening it as lines of text):
    Townsquare's CSV, or OS Open Names CSV files as OS publishes them (`file_format` "csv",
    "os-open-names" or "auto" to tell from the first line). OS files cover all of Great
    Britain: their rows outside the council are left out. Returns (places imported, rows left
    out as outside the council)."""
    formats = {
        name: file_format if file_format != "auto" else sniff(next(iter(opener()), ""))
        for name, opener in files
    }
    if len(set(formats.values())) > 1:
        raise InvalidInput(
            {
                "csv": [
                    "Import OS Open Names files and Townsquare CSV files "
                    "separately: "
                    + ", ".join(f"{name} is {kind}" for name, kind in formats.items())
                ]
            },
            code="bad_gazetteer",
        )
    source = ", ".join(name for name, _opener in files)
    if set(formats.values()) == {"os-open-names"}:
        read = read_os_open_names(
            ((name, opener()) for name, opener in files), near=_grid_box(council)
        )
        outside = "skip"
    else:
        read = SourceRead()
        for name, opener in files:
            part = read_places_csv(opener(), source=name if len(files) > 1 else "")
            read.rows.extend(part.rows)
            read.problems.extend(part.problems)
        outside = "refuse"
    before = len(read.rows)
    count = places_import(
        council=council,
        read=read,
        source=source,
        attribution=attribution,
        outside=outside,
        actor=actor,
    )
    return count, read.passed_over + before - count


def _grid_box(council: Council) -> Callable[[float, float], bool]:
    """Whether a British National Grid point lies within 2 km of the council's bounding box:
    most of an OS file is passed over before its coordinates are converted."""
    corners = [
        wgs84_to_grid(lat, lng)
        for lat in (council.min_lat, council.max_lat)
        for lng in (council.min_lng, council.max_lng)
    ]
    margin = 2000
    min_e = min(e for e, _n in corners) - margin
    max_e = max(e for e, _n in corners) + margin
    min_n = min(n for _e, n in corners) - margin
    max_n = max(n for _e, n in corners) + margin
    return lambda easting, northing: min_e <= easting <= max_e and min_n <= northing <= max_n
