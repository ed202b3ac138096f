from __future__ import annotations

import threading

from django.db.models import Count, Max

from townsquare.core.errors import InvalidInput, NotFound
from townsquare.councils.models import Area, Council, Team
from townsquare.geo.boundaries import BoundaryIndex


class _IndexCache:
    """Per-process boundary indexes, rebuilt when any council or area changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: object = None
        self._councils: BoundaryIndex | None = None
        self._areas: BoundaryIndex | None = None

    def _current_stamp(self) -> object:
        c = Council.objects.filter(is_active=True).aggregate(n=Count("id"), t=Max("updated_at"))
        a = Area.objects.aggregate(n=Count("id"), m=Max("updated_at"))
        return (c["n"], c["t"], a["n"], a["m"])

    def get(self) -> tuple[BoundaryIndex, BoundaryIndex]:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp or self._councils is None or self._areas is None:
                self._councils = BoundaryIndex(
                    Council.objects.filter(is_active=True).values_list("id", "boundary")
                )
                self._areas = BoundaryIndex(Area.objects.values_list("id", "boundary"))
                self._stamp = stamp
            return self._councils, self._areas


_indexes = _IndexCache()


def council_for_point(*, lat: float, lng: float) -> Council:
    """The council whose boundary holds the point; InvalidInput when none does."""
    councils, _ = _indexes.get()
    council_id = councils.key_containing(lat, lng)
    if council_id is None:
        raise InvalidInput(
            {"location": [f"The point {lat:.6f}, {lng:.6f} is not inside any council we serve"]},
            code="outside_councils",
        )
    return Council.objects.get(id=council_id)


def council_contains_point(*, council: Council, lat: float, lng: float) -> bool:
    councils, _ = _indexes.get()
    return council.id in councils.keys_containing(lat, lng)


def area_for_point(*, council: Council, lat: float, lng: float) -> Area | None:
    _, areas = _indexes.get()
    ids = areas.keys_containing(lat, lng)
    if not ids:
        return None
    return Area.objects.filter(id__in=ids, council=council).first()


def area_id_for_point(*, lat: float, lng: float) -> int | None:
    _, areas = _indexes.get()
    return areas.key_containing(lat, lng)


def council_list() -> list[Council]:
    return list(Council.objects.filter(is_active=True).order_by("name"))


def council_get(*, slug: str) -> Council:
    try:
        return Council.objects.get(slug=slug, is_active=True)
    except Council.DoesNotExist:
        raise NotFound(f"No council called {slug!r}") from None


def council_get_by_jurisdiction(*, jurisdiction_id: str) -> Council:
    try:
        return Council.objects.get(jurisdiction_id=jurisdiction_id, is_active=True)
    except Council.DoesNotExist:
        raise NotFound(f"Unknown jurisdiction_id {jurisdiction_id!r}") from None


def team_get(*, council: Council, code: str) -> Team | None:
    return Team.objects.filter(council=council, code=code).first()
