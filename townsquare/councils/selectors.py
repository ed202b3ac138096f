from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from townsquare.core.caching import StampedCache
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.councils.gazetteer import LOOSE, NameIndex, PlaceMatch, Query, normalise
from townsquare.councils.models import Area, Council, Gazetteer, Place, Team
from townsquare.geo.boundaries import BoundaryIndex
from townsquare.geo.points import Point, bounding_box, distance_m


@dataclass(frozen=True)
class _Registry:
    councils: BoundaryIndex
    areas: BoundaryIndex
    by_id: dict[int, Council]
    teams: dict[tuple[int, str], Team]
    area_councils: dict[int, int]
    area_names: dict[int, tuple[int, str]]
    area_kinds: dict[int, str]
    retired: frozenset[int]
    # Council and ward names, searched like the gazetteer's: ("council" | "ward", id) by entry.
    names: NameIndex
    name_entries: list[tuple[str, int]]


def _registry_stamp() -> object:
    c = Council.objects.aggregate(
        n=Count("id"), t=Max("updated_at"), active=Count("id", filter=Q(is_active=True))
    )
    a = Area.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    t = Team.objects.aggregate(n=Count("id"), m=Max("id"))
    return (c["n"], c["t"], c["active"], a["n"], a["t"], t["n"], t["m"])


def _registry_build() -> _Registry:
    active = list(Council.objects.filter(is_active=True))
    areas = list(
        Area.objects.filter(council__is_active=True).values_list(
            "id", "council_id", "name", "boundary", "kind"
        )
    )
    entries = [
        ("council", c.id, name)
        for c in active
        for name in dict.fromkeys((c.name, _short_name(c.name)))
    ]
    entries += [("ward", a[0], a[2]) for a in areas]
    return _Registry(
        names=NameIndex.build((i, kind, name, "") for i, (kind, _id, name) in enumerate(entries)),
        name_entries=[(kind, item_id) for kind, item_id, _name in entries],
        councils=BoundaryIndex((c.id, c.boundary) for c in active),
        areas=BoundaryIndex((a[0], a[3]) for a in areas),
        area_councils={a[0]: a[1] for a in areas},
        area_names={a[0]: (a[1], a[2]) for a in areas},
        area_kinds={a[0]: a[4] for a in areas},
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


def councils_version() -> int:
    """A number that changes whenever the served councils (names, jurisdictions, boundaries,
    areas, teams) may have changed: for documents prepared from them."""
    _registry.get()
    return _registry.generation


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
    return [
        (council_id, area_id)
        for area_id, (council_id, name) in _registry.get().area_names.items()
        if (council_ids is None or council_id in council_ids)
        and f" {name.lower()} " in lowered.replace(",", " ")
    ]


def area_id_for_point(*, council: Council, lat: float, lng: float) -> int | None:
    """The council's own ward holding the point (a neighbour's ward may overlap the edge)."""
    registry = _registry.get()
    return next(
        (
            area_id
            for area_id in registry.areas.keys_containing(lat, lng)
            if registry.area_councils.get(area_id) == council.id
        ),
        None,
    )


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


# The gazetteer (see gazetteer.py; ADR 52 and 56).


@dataclass(frozen=True)
class GazetteerAbout:
    """What a council's gazetteer holds, and the notice its data must be shown with."""

    council_id: int
    streets: int = 0
    places: int = 0
    postcodes: int = 0
    attribution: str = ""
    # For a search box's hint: the council's commonest street name, and its most central
    # postcode (both real, so the example finds something).
    example_street: str = ""
    example_postcode: str = ""


class _LazyIndex:
    """A council's NameIndex, built on its first search in this process (about 0.3 s for a
    city's 40,000 names and postcodes) and kept until a gazetteer changes."""

    def __init__(self, council_id: int) -> None:
        self.council_id = council_id
        self._index: NameIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> NameIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    rows = (
                        Place.objects.filter(council_id=self.council_id)
                        .order_by("id")
                        .values_list("id", "kind", "name", "qualifier")
                    )
                    self._index = NameIndex.build(rows.iterator(chunk_size=5000))
        return self._index


@dataclass(frozen=True)
class _Gazetteers:
    about: dict[int, GazetteerAbout]
    indexes: dict[int, _LazyIndex]


def _gazetteers_stamp() -> object:
    imports = tuple(
        Gazetteer.objects.order_by("council_id").values_list("council_id", "imported_at")
    )
    return imports, Place.objects.aggregate(last=Max("id"))["last"]


def _gazetteers_build() -> _Gazetteers:
    about = {
        g.council_id: GazetteerAbout(
            council_id=g.council_id,
            streets=g.streets,
            places=g.places,
            postcodes=g.postcodes,
            attribution=g.attribution,
            **_examples(g.council_id, g.streets, g.postcodes),
        )
        for g in Gazetteer.objects.all()
    }
    # Places imported before gazetteers were recorded have no row of their own.
    held = set(about) | set(
        Place.objects.order_by().values_list("council_id", flat=True).distinct()
    )
    return _Gazetteers(
        about=about, indexes={council_id: _LazyIndex(council_id) for council_id in held}
    )


_gazetteers = StampedCache(build=_gazetteers_build, stamp=_gazetteers_stamp)


def _examples(council_id: int, streets: int, postcodes: int) -> dict[str, str]:
    examples = {"example_street": "", "example_postcode": ""}
    if streets:
        commonest = (
            Place.objects.filter(council_id=council_id, kind=Place.Kind.STREET)
            .values("name")
            .annotate(n=Count("id"))
            .order_by("-n", "name")
            .first()
        )
        examples["example_street"] = commonest["name"] if commonest else ""
    registry = _registry.get()
    if postcodes and council_id in registry.by_id:
        centre = registry.councils.geometry(council_id).representative_point()
        nearest = _nearest(
            council_id, Place.Kind.POSTCODE, centre.y, centre.x, (500, 2000, 10000, 50000)
        )
        examples["example_postcode"] = nearest[0] if nearest else ""
    return examples


def gazetteer_indexes_invalidate() -> None:
    """Forget the search indexes; call after changing a gazetteer."""
    _gazetteers.invalidate()


def gazetteer_about(*, council_id: int) -> GazetteerAbout:
    return _gazetteers.get().about.get(council_id) or GazetteerAbout(council_id=council_id)


def gazetteer_recorded(*, council_id: int) -> bool:
    """Whether the council's gazetteer was imported with its counts and notice recorded."""
    return Gazetteer.objects.filter(council_id=council_id).exists()


def places_matching(
    *, query: str, limit: int = 10, council_id: int | None = None
) -> list[PlaceMatch]:
    """Councils, wards, streets, places and postcodes matching `query`, best first (the ranks
    of gazetteer.py: exact, then starts with, then words within, then a slip of spelling;
    words after a name pick among places of that name by their area).

    Only places in councils we serve. `council_id` keeps to one council.
    """
    read = Query.read(query)
    if not read.words or limit <= 0:
        return []
    registry = _registry.get()
    found: list[PlaceMatch] = []
    named: set[tuple[str, int]] = set()
    # A council or ward only for all the words typed: "Gloucester Road" is not Gloucester.
    for position, rank, order in registry.names.search(
        read, limit=len(registry.names), loose=False
    ):
        kind, item_id = registry.name_entries[position]
        owner_id = item_id if kind == "council" else registry.area_councils[item_id]
        if (kind, item_id) in named or council_id not in (None, owner_id):
            continue
        named.add((kind, item_id))
        if kind == "council":
            found.append(_council_match(registry, registry.by_id[item_id], rank, order))
        elif owner_id in registry.by_id:
            found.append(
                _area_match(
                    registry,
                    item_id,
                    registry.by_id[owner_id],
                    registry.area_names[item_id][1],
                    rank,
                    order,
                )
            )
    gazetteers = _gazetteers.get()
    hits: dict[int, tuple[int, tuple]] = {}
    for owner_id, index in gazetteers.indexes.items():
        if owner_id not in registry.by_id or council_id not in (None, owner_id):
            continue
        for place_id, rank, order in index.get().search(read, limit=limit):
            hits[place_id] = (rank, order)
    wards = {(m.council_id, normalise(m.name)) for m in found if m.kind == "ward"}
    rows = Place.objects.filter(id__in=list(hits)).values_list(
        "id", "kind", "name", "qualifier", "council_id", "lat", "lng", "area_id"
    )
    for place_id, kind, name, qualifier, owner_id, lat, lng, area_id in rows:
        if kind == "place" and (owner_id, normalise(name)) in wards:
            continue  # the ward of that name is listed already
        rank, order = hits[place_id]
        found.append(
            _place_match(
                registry,
                gazetteers,
                place_id,
                kind,
                name,
                qualifier,
                owner_id,
                lat,
                lng,
                area_id,
                rank,
                order,
            )
        )
    if any(match.rank < LOOSE for match in found):
        found = [match for match in found if match.rank < LOOSE]
    found.sort(key=lambda match: match.sort_key)
    return found[:limit]


def _short_name(name: str) -> str:
    """ "Bristol City Council" is found as "Bristol" too (by the rank of an exact match)."""
    return re.sub(
        r"\b(city|county|borough|district|metropolitan)?\s*council\b", "", name, flags=re.IGNORECASE
    ).strip()


def _council_match(
    registry: _Registry, council: Council, rank: int, order: tuple = (0, 0)
) -> PlaceMatch:
    geometry = registry.councils.geometry(council.id)
    inside = geometry.representative_point()
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    return PlaceMatch(
        kind="council",
        name=council.name,
        council_id=council.id,
        council_slug=council.slug,
        council_name=council.name,
        lat=round(inside.y, 6),
        lng=round(inside.x, 6),
        bounds=(min_lat, min_lng, max_lat, max_lng),
        rank=rank,
        key=f"council:{council.id}",
        order=order,
    )


def _area_match(
    registry: _Registry, area_id: int, council: Council, name: str, rank: int, order: tuple = (0, 0)
) -> PlaceMatch:
    geometry = registry.areas.geometry(area_id)
    inside = geometry.representative_point()
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    return PlaceMatch(
        kind="ward",
        name=name,
        council_id=council.id,
        council_slug=council.slug,
        council_name=council.name,
        lat=round(inside.y, 6),
        lng=round(inside.x, 6),
        area_id=area_id,
        bounds=(min_lat, min_lng, max_lat, max_lng),
        rank=rank,
        key=f"ward:{area_id}",
        order=order,
    )


def places_count(*, council: Council) -> int:
    """How many streets, places and postcodes the council's gazetteer holds."""
    return Place.objects.filter(council=council).count()


def council_boundaries_geojson(*, council_id: int) -> dict:
    """The council's boundary and its wards as one GeoJSON FeatureCollection (for maps)."""
    council = Council.objects.only("id", "name", "slug", "boundary").get(id=council_id)
    features = [
        {
            "type": "Feature",
            "geometry": council.boundary,
            "properties": {"kind": "council", "name": council.name, "slug": council.slug},
        }
    ]
    for area_id, name, kind, boundary in Area.objects.filter(council_id=council_id).values_list(
        "id", "name", "kind", "boundary"
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": boundary,
                "properties": {"kind": kind, "name": name, "id": area_id},
            }
        )
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
            return _place_match(
                registry,
                _gazetteers.get(),
                row.id,
                row.kind,
                row.name,
                row.qualifier,
                row.council_id,
                row.lat,
                row.lng,
                row.area_id,
                0,
                (0,),
            )
    return None


def _place_match(
    registry: _Registry,
    gazetteers: _Gazetteers,
    place_id: int,
    kind: str,
    name: str,
    qualifier: str,
    owner_id: int,
    lat: float,
    lng: float,
    area_id: int | None,
    rank: int,
    order: tuple,
) -> PlaceMatch:
    council = registry.by_id[owner_id]
    about = gazetteers.about.get(owner_id)
    return PlaceMatch(
        kind=kind,
        name=name,
        council_id=owner_id,
        council_slug=council.slug,
        council_name=council.name,
        lat=lat,
        lng=lng,
        area_id=area_id,
        rank=rank,
        key=f"place:{place_id}",
        qualifier=qualifier,
        attribution=about.attribution if about else "",
        order=order,
    )


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


def council_area_shapes(*, council_id: int) -> list[tuple[int, Any]]:
    """(area id, prepared shapely geometry) of each of the council's areas."""
    registry = _registry.get()
    return [
        (area_id, registry.areas.geometry(area_id))
        for area_id, owner_id in registry.area_councils.items()
        if owner_id == council_id
    ]


# Where, in words (ADR 58).

# How far to look for the nearest street, then postcode: first close by, then a little wider.
STREET_RADII_M = (150, 400)
POSTCODE_RADII_M = (150, 600)


def place_in_words(*, council_id: int, lat: float, lng: float) -> str:
    """Where a point is, in words from the council's gazetteer: the nearest street ("Kirkstall
    Road, Leeds LS4"); where the council has no streets (or none is near), the nearest postcode
    and the ward ("near BS1 5TR, Cabot ward"); "" when the gazetteer has neither near.

    A few small box queries on an index (council, kind, lat, lng), never a scan.
    """
    about = gazetteer_about(council_id=council_id)
    if about.streets:
        street = _nearest(council_id, "street", lat, lng, STREET_RADII_M)
        if street is not None:
            name, qualifier = street
            return f"{name}, {qualifier}" if qualifier else name
    if not about.postcodes:
        return ""
    postcode = _nearest(council_id, "postcode", lat, lng, POSTCODE_RADII_M)
    if postcode is None:
        return ""
    ward = _ward_in_words(council_id, lat, lng)
    return f"near {postcode[0]}, {ward}" if ward else f"near {postcode[0]}"


# What place_in_words says when it falls back to a postcode: "near BS1 5TR, Cabot ward".
_NEAR_POSTCODE = re.compile(r"near (?P<postcode>[A-Z0-9]{2,4} ?[A-Z0-9]{3})(?:, (?P<area>.+))?")


def place_in_words_translated(words: str) -> str:
    """Stored place_in_words (English, ADR 58) in the active language: a street's name and a
    ward's name are names and stay; "near BS1 5TR, Cabot ward" becomes, in Welsh, "ger BS1 5TR,
    ward Cabot"."""
    match = _NEAR_POSTCODE.fullmatch(words)
    if match is None:
        return words
    postcode, area = match["postcode"], match["area"]
    if not area:
        return _("near %(postcode)s") % {"postcode": postcode}
    if area.endswith(" ward"):
        area = _("%(ward)s ward") % {"ward": area.removesuffix(" ward")}
    return _("near %(postcode)s, %(area)s") % {"postcode": postcode, "area": area}


def place_for_people(*, words: str, address: str) -> str:
    """One line saying where a case is: the gazetteer's words, then the reporter's own
    description of the place in brackets; either alone when it is all there is. An address
    that starts with the words (a street chosen from the search) holds both already."""
    if not words or address.startswith(words):
        return address or words
    return f"{words} ({address})" if address else words


def _nearest(
    council_id: int, kind: str, lat: float, lng: float, radii: tuple[int, ...]
) -> tuple[str, str] | None:
    """(name, qualifier) of the nearest place of `kind` within the largest radius."""
    here = Point(lat, lng)
    for radius in radii:
        min_lat, min_lng, max_lat, max_lng = bounding_box(here, radius)
        rows = (
            Place.objects.filter(
                council_id=council_id,
                kind=kind,
                lat__range=(min_lat, max_lat),
                lng__range=(min_lng, max_lng),
            )
            .order_by()
            .values_list("name", "qualifier", "lat", "lng")
        )
        best = None
        for name, qualifier, place_lat, place_lng in rows:
            metres = distance_m(here, Point(place_lat, place_lng))
            if metres <= radius and (best is None or (metres, name) < best[0]):
                best = ((metres, name), (name, qualifier))
        if best is not None:
            return best[1]
    return None


def _ward_in_words(council_id: int, lat: float, lng: float) -> str:
    registry = _registry.get()
    for area_id in registry.areas.keys_containing(lat, lng):
        owner_id, name = registry.area_names[area_id]
        if owner_id == council_id:
            kind = registry.area_kinds.get(area_id, "ward")
            return name if kind != "ward" or name.lower().endswith("ward") else f"{name} ward"
    return ""
