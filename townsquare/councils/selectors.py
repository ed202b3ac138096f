from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from townsquare.core.caching import StampedCache
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.councils.gazetteer import PlaceMatch, match_rank, normalise
from townsquare.councils.models import Area, Council, Place, Team
from townsquare.geo.boundaries import BoundaryIndex
from townsquare.geo.points import Point


@dataclass(frozen=True)
class _Registry:
    councils: BoundaryIndex
    areas: BoundaryIndex
    by_id: dict[int, Council]
    teams: dict[tuple[int, str], Team]
    area_councils: dict[int, int]
    area_names: dict[int, tuple[int, str]]
    retired: frozenset[int]


def _registry_stamp() -> object:
    c = Council.objects.aggregate(n=Count("id"), t=Max("updated_at"),
                                  active=Count("id", filter=Q(is_active=True)))
    a = Area.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    t = Team.objects.aggregate(n=Count("id"), m=Max("id"))
    return (c["n"], c["t"], c["active"], a["n"], a["t"], t["n"], t["m"])


def _registry_build() -> _Registry:
    active = list(Council.objects.filter(is_active=True))
    areas = list(Area.objects.filter(council__is_active=True)
                 .values_list("id", "council_id", "name", "boundary"))
    return _Registry(
        councils=BoundaryIndex((c.id, c.boundary) for c in active),
        areas=BoundaryIndex((a[0], a[3]) for a in areas),
        area_councils={a[0]: a[1] for a in areas},
        area_names={a[0]: (a[1], a[2]) for a in areas},
        retired=frozenset(Council.objects.filter(is_active=False).values_list("id", flat=True)),
        # Boundaries are large; the index above holds them, the cached rows need not.
        by_id={c.id: _without_boundary(c) for c in active},
        teams={(t.council_id, t.code): t for t in Team.objects.all()},
    )


def _without_boundary(council: Council) -> Council:
    council.boundary = None
    return council


_registry = StampedCache(build=_registry_build, stamp=_registry_stamp)


def boundary_indexes_invalidate() -> None:
    """Forget cached councils, boundaries and teams; call after changing any of them."""
    _registry.invalidate()


def _councils():
    # Boundaries are large JSON documents; only the routing index needs them.
    return Council.objects.filter(is_active=True).defer("boundary")


def council_for_point(*, lat: float, lng: float) -> Council:
    """The council whose boundary holds the point; InvalidInput when none does."""
    registry = _registry.get()
    council_id = registry.councils.key_containing(lat, lng)
    if council_id is None:
        raise InvalidInput(
            {"location": [f"The point {lat:.6f}, {lng:.6f} is not inside any council we serve"]},
            code="outside_councils",
        )
    # A copy: callers may change their instance; the cached one is shared by threads.
    return copy.copy(registry.by_id[council_id])


def council_contains_point(*, council: Council, lat: float, lng: float) -> bool:
    return council.id in _registry.get().councils.keys_containing(lat, lng)


def area_for_point(*, council: Council, lat: float, lng: float) -> Area | None:
    ids = _registry.get().areas.keys_containing(lat, lng)
    if not ids:
        return None
    return Area.objects.filter(id__in=ids, council=council).first()


def area_point(*, council: Council, area_id: int) -> Point | None:
    """A point inside the area (for drawing cases placed only by their area); None when the
    area is not the council's."""
    registry = _registry.get()
    if registry.area_councils.get(area_id) != council.id:
        return None
    inside = registry.areas.geometry(area_id).representative_point()
    return Point(round(inside.y, 6), round(inside.x, 6))


def council_point(*, council: Council) -> Point:
    """A point inside the council, for cases located only by an address we could not place."""
    inside = _registry.get().councils.geometry(council.id).representative_point()
    return Point(round(inside.y, 6), round(inside.x, 6))


def areas_named_in(*, text: str, council_ids: set[int] | None = None) -> list[tuple[int, int]]:
    """(council id, area id) of every area whose name appears in `text` as a whole phrase."""
    lowered = f" {text.lower()} "
    return [(council_id, area_id) for area_id, (council_id, name)
            in _registry.get().area_names.items()
            if (council_ids is None or council_id in council_ids)
            and f" {name.lower()} " in lowered.replace(",", " ")]


def area_id_for_point(*, council: Council, lat: float, lng: float) -> int | None:
    """The council's own ward holding the point (a neighbour's ward may overlap the edge)."""
    registry = _registry.get()
    return next((area_id for area_id in registry.areas.keys_containing(lat, lng)
                 if registry.area_councils.get(area_id) == council.id), None)


def retired_council_ids() -> frozenset[int]:
    """Councils no longer served (their cases stay, out of public view)."""
    return _registry.get().retired


def councils_by_id(*, ids: set[int]) -> dict[int, Council]:
    """Councils (without their boundary), from the per-process registry; inactive ones too."""
    by_id = _registry.get().by_id
    found = {i: by_id[i] for i in ids if i in by_id}
    if len(found) < len(ids):
        found.update(_councils_any().in_bulk(set(ids) - set(found)))
    return found


def _councils_any():
    return Council.objects.defer("boundary")


def council_list() -> list[Council]:
    return list(_councils().order_by("name"))


def council_get(*, slug: str) -> Council:
    try:
        return _councils().get(slug=slug)
    except Council.DoesNotExist:
        raise NotFound(f"No council called {slug!r}") from None


def council_get_by_jurisdiction(*, jurisdiction_id: str) -> Council:
    try:
        return _councils().get(jurisdiction_id=jurisdiction_id)
    except Council.DoesNotExist:
        raise NotFound(f"Unknown jurisdiction_id {jurisdiction_id!r}") from None


def team_get(*, council: Council, code: str) -> Team | None:
    return _registry.get().teams.get((council.id, code))


# The gazetteer (see gazetteer.py).

def places_matching(*, query: str, limit: int = 10, council_id: int | None = None
                    ) -> list[PlaceMatch]:
    """Councils, wards, streets, places and postcodes whose name matches `query`, best first:
    exact names, then names starting with it, then names with a word starting with it.

    Only places in councils we serve. `council_id` keeps to one council.
    """
    wanted = normalise(query)
    if not wanted or limit <= 0:
        return []
    registry = _registry.get()
    found: list[PlaceMatch] = []
    for council in registry.by_id.values():
        if council_id is not None and council.id != council_id:
            continue
        for name in (council.name, _short_name(council.name)):
            rank = match_rank(normalise(name), wanted)
            if rank is not None:
                found.append(_council_match(registry, council, rank))
                break
    for area_id, (owner_id, name) in registry.area_names.items():
        if council_id is not None and owner_id != council_id:
            continue
        rank = match_rank(normalise(name), wanted)
        if rank is not None and owner_id in registry.by_id:
            found.append(_area_match(registry, area_id, registry.by_id[owner_id], name, rank))
    rows = (Place.objects.filter(search_name__contains=wanted,
                                 council_id__in=list(registry.by_id))
            .values_list("id", "kind", "name", "search_name", "council_id", "lat", "lng",
                         "area_id"))
    if council_id is not None:
        rows = rows.filter(council_id=council_id)
    # Prefix matches first from the database too, so a common word cannot crowd them out.
    prefix = list(rows.filter(search_name__startswith=wanted).order_by("search_name")[:limit])
    rest = list(rows.exclude(search_name__startswith=wanted).order_by("search_name")[:limit])
    for place_id, kind, name, search_name, owner_id, lat, lng, area_id in prefix + rest:
        found.append(_place_match(registry, place_id, kind, name, owner_id, lat, lng, area_id,
                                  match_rank(search_name, wanted) or 3))
    found.sort(key=lambda match: match.sort_key)
    return found[:limit]


def _short_name(name: str) -> str:
    """"Bristol City Council" is found as "Bristol" too (by the rank of an exact match)."""
    return re.sub(r"\b(city|county|borough|district|metropolitan)?\s*council\b", "", name,
                  flags=re.IGNORECASE).strip()


def _council_match(registry: _Registry, council: Council, rank: int) -> PlaceMatch:
    geometry = registry.councils.geometry(council.id)
    inside = geometry.representative_point()
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    return PlaceMatch(kind="council", name=council.name, council_id=council.id,
                      council_slug=council.slug, council_name=council.name,
                      lat=round(inside.y, 6), lng=round(inside.x, 6),
                      bounds=(min_lat, min_lng, max_lat, max_lng), rank=rank,
                      key=f"council:{council.id}")


def _area_match(registry: _Registry, area_id: int, council: Council, name: str,
                rank: int) -> PlaceMatch:
    geometry = registry.areas.geometry(area_id)
    inside = geometry.representative_point()
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    return PlaceMatch(kind="ward", name=name, council_id=council.id, council_slug=council.slug,
                      council_name=council.name, lat=round(inside.y, 6), lng=round(inside.x, 6),
                      area_id=area_id, bounds=(min_lat, min_lng, max_lat, max_lng), rank=rank,
                      key=f"ward:{area_id}")


def places_count(*, council: Council) -> int:
    """How many streets, places and postcodes the council's gazetteer holds."""
    return Place.objects.filter(council=council).count()


def council_boundaries_geojson(*, council_id: int) -> dict:
    """The council's boundary and its wards as one GeoJSON FeatureCollection (for maps)."""
    council = Council.objects.only("id", "name", "slug", "boundary").get(id=council_id)
    features = [{"type": "Feature", "geometry": council.boundary,
                 "properties": {"kind": "council", "name": council.name, "slug": council.slug}}]
    for area_id, name, kind, boundary in (Area.objects.filter(council_id=council_id)
                                          .values_list("id", "name", "kind", "boundary")):
        features.append({"type": "Feature", "geometry": boundary,
                         "properties": {"kind": kind, "name": name, "id": area_id}})
    return {"type": "FeatureCollection", "features": features}


def place_by_key(*, key: str) -> PlaceMatch | None:
    """The place a search result stood for ("council:ID", "ward:ID" or "place:ID"), or None."""
    kind, _sep, raw_id = key.partition(":")
    item_id = whole_number(raw_id)
    if item_id is None:
        return None
    registry = _registry.get()
    if kind == "council" and item_id in registry.by_id:
        return _council_match(registry, registry.by_id[item_id], 0)
    if kind == "ward" and registry.area_councils.get(item_id) in registry.by_id:
        owner_id, name = registry.area_names[item_id]
        return _area_match(registry, item_id, registry.by_id[owner_id], name, 0)
    if kind == "place":
        row = Place.objects.filter(id=item_id, council_id__in=list(registry.by_id)).first()
        if row is not None:
            return _place_match(registry, row.id, row.kind, row.name, row.council_id, row.lat,
                                row.lng, row.area_id, 0)
    return None


def _place_match(registry: _Registry, place_id: int, kind: str, name: str, owner_id: int,
                 lat: float, lng: float, area_id: int | None, rank: int) -> PlaceMatch:
    council = registry.by_id[owner_id]
    return PlaceMatch(kind=kind, name=name, council_id=owner_id, council_slug=council.slug,
                      council_name=council.name, lat=lat, lng=lng, area_id=area_id,
                      rank=rank, key=f"place:{place_id}")
def council_shape(*, council_id: int):
    """The council's boundary as a (prepared, cached) shapely geometry; KeyError if retired."""
    return _registry.get().councils.geometry(council_id)


# Reads for the council's own administration pages: from the database, not the per-process
# registry, so a page shows a change the moment it is saved.

def council_get_by_id(*, council_id: int) -> Council:
    """A council with its boundary, as stored now."""
    council = Council.objects.filter(pk=council_id).first()
    if council is None:
        raise NotFound(f"No council {council_id}")
    return council


def teams_of_council(*, council_id: int) -> list[Team]:
    """The council's teams by name."""
    return list(Team.objects.filter(council_id=council_id).order_by("name"))


def team_of_council(*, council_id: int, team_id: int | None) -> Team | None:
    """One team of the council; None for an id that is not one of them (or no id)."""
    if team_id is None:
        return None
    return Team.objects.filter(id=team_id, council_id=council_id).first()


def areas_of_council(*, council_id: int) -> list[Area]:
    """The council's areas (wards) by name, with their boundaries."""
    return list(Area.objects.filter(council_id=council_id).order_by("name"))
