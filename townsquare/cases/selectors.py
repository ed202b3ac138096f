"""Reads of cases. Staff reads are scoped to the principal's councils; public reads show only
public cases and never personal data."""

from __future__ import annotations

from django.db.models import QuerySet

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.core.errors import NotFound
from townsquare.core.models import Event, Visibility
from townsquare.geo.points import Point, bounding_box, distance_m, h3_cells_covering_radius


def cases_for_principal(*, principal: Principal) -> QuerySet[Case]:
    """Every case the principal may see as staff: only those of their own councils."""
    if principal.is_platform_admin:
        return Case.objects.all()
    return Case.objects.filter(council_id__in=principal.council_ids)


def case_get_for_user(*, principal: Principal, reference: str) -> Case:
    """A case by reference, for staff. Another council's case is "not found", not "forbidden",
    so references cannot be probed."""
    case = (Case.objects.select_related("service", "service_version", "council", "team", "area")
            .filter(reference=reference).first())
    if case is None or not policies.can_view_case(principal, case.council_id):
        raise NotFound(f"No case {reference!r}")
    return case


def public_case_get(*, reference: str) -> Case:
    case = (Case.objects.select_related("service", "service_version", "council")
            .filter(reference=reference, is_public=True, is_test=False).first())
    if case is None:
        raise NotFound(f"No public case {reference!r}")
    return case


def case_timeline(*, case: Case, principal: Principal | None = None) -> list[Event]:
    """The case's events, oldest first; internal ones only for the council's staff."""
    qs = Event.objects.filter(stream="case", stream_id=case.id)
    if principal is None or not policies.can_view_case(principal, case.council_id):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return list(qs.order_by("id"))


def case_ids_within_radius(*, center: Point, radius_m: float,
                           queryset: QuerySet[Case] | None = None) -> list[int]:
    """Ids of cases within `radius_m` metres of `center`, nearest first.

    H3 cells narrow the search to a few dozen index ranges; the exact distance is checked here.
    """
    resolution = 9 if radius_m <= 3000 else 7
    cells = h3_cells_covering_radius(center, radius_m, resolution)
    column = f"h3_r{resolution}"
    qs = queryset if queryset is not None else Case.objects.all()
    min_lat, min_lng, max_lat, max_lng = bounding_box(center, radius_m)
    rows = qs.filter(**{f"{column}__in": cells}, lat__range=(min_lat, max_lat),
                     lng__range=(min_lng, max_lng)).values_list("id", "lat", "lng")
    hits = []
    for case_id, lat, lng in rows:
        d = distance_m(center, Point(lat, lng))
        if d <= radius_m:
            hits.append((d, case_id))
    hits.sort()
    return [case_id for _, case_id in hits]


def public_cases_near(*, center: Point, radius_m: float, limit: int = 200) -> list[Case]:
    ids = case_ids_within_radius(
        center=center, radius_m=radius_m,
        queryset=Case.objects.filter(is_public=True, is_test=False),
    )[:limit]
    by_id = Case.objects.select_related("service").in_bulk(ids)
    return [by_id[i] for i in ids]


def council_has_cases(*, council_id: int) -> bool:
    return Case.objects.filter(council_id=council_id).exists()
