"""Reads of cases. Staff reads are scoped to the principal's councils; public reads show only
public cases and never personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import CharField, Func, QuerySet

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Attachment, Case
from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.selectors import services_by_id, versions_by_id
from townsquare.core.errors import NotFound
from townsquare.core.models import Event, Visibility
from townsquare.core.queries import PreparedLookup
from townsquare.councils.models import Area, Council
from townsquare.councils.selectors import councils_by_id, retired_council_ids
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


def council_has_cases(*, council_id: int) -> bool:
    return Case.objects.filter(council_id=council_id).exists()


@dataclass(frozen=True)
class PublicSearch:
    """What a public search asks for; every filter optional. Dates are aware datetimes."""

    council_ids: frozenset[int] | None = None
    references: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    is_open: bool | None = None
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    center: Point | None = None
    radius_m: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lng, min_lat, max_lng, max_lat


PUBLIC_TIMELINE_KINDS = ("case.created", "case.transitioned", "case.public_update",
                         "case.citizen_update", "case.merged_into")


def _public_cases() -> QuerySet[Case]:
    qs = Case.objects.filter(is_public=True, is_test=False)
    # Leave out retired councils from the process registry rather than join on every public
    # read; and only when there are some, since `council_id IN (all of them)` would steer the
    # planner to the council index instead of the time index.
    retired = retired_council_ids()
    return qs.exclude(council_id__in=retired) if retired else qs


@dataclass(frozen=True)
class PublicListing:
    """Public cases as plain rows (dicts of `PUBLIC_COLUMNS`), with what they refer to.

    Rows rather than model instances: a page of 1,000 cases is built several times faster, and
    only public columns are ever read, so personal data cannot leak into a listing.
    """

    rows: list[dict]
    services: dict[int, ServiceTemplate]
    versions: dict[int, ServiceTemplateVersion]
    councils: dict[int, Council]
    duplicates_of: dict[int, str]
    media: dict[int, list[Attachment]]


PUBLIC_COLUMNS = (
    "id", "reference", "council_id", "service_id", "service_version_id", "state", "is_open",
    "description", "status_notes", "lat", "lng", "address", "postcode", "location_approximate",
    "created_at", "updated_at", "resolve_due_at", "support_count", "duplicate_of_id",
    "media_count",
)


def public_cases_search(*, search: PublicSearch, offset: int = 0, limit: int = 1000,
                        with_values: bool = False) -> PublicListing:
    """Public cases matching `search`, newest first. References, when given, override every
    other filter but the councils."""
    qs = _public_cases()
    if search.council_ids is not None:
        qs = qs.filter(council_id__in=search.council_ids)
    if search.references:
        qs = qs.filter(reference__in=search.references)
    else:
        if search.service_codes:
            qs = qs.filter(service__code__in=search.service_codes)
        if search.is_open is not None:
            qs = qs.filter(is_open=search.is_open)
        if search.created_from:
            qs = qs.filter(created_at__gte=search.created_from)
        if search.created_before:
            qs = qs.filter(created_at__lt=search.created_before)
        if search.updated_after:
            qs = qs.filter(updated_at__gt=search.updated_after)
        if search.updated_before:
            qs = qs.filter(updated_at__lt=search.updated_before)
        if search.bbox:
            min_lng, min_lat, max_lng, max_lat = search.bbox
            qs = qs.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
        if search.center is not None and search.radius_m:
            qs = qs.filter(id__in=case_ids_within_radius(center=search.center,
                                                         radius_m=search.radius_m, queryset=qs))
    columns = (*PUBLIC_COLUMNS, "values") if with_values else PUBLIC_COLUMNS
    rows = list(qs.order_by("-created_at", "-id").values(*columns)[offset:offset + limit])
    return _listing(rows)


def _listing(rows: list[dict]) -> PublicListing:
    """Fetch what the rows refer to, one query per kind (a join would decode the same template
    document and council boundary, both large JSON, once per row)."""
    duplicate_ids = {r["duplicate_of_id"] for r in rows if r["duplicate_of_id"]}
    with_media = [r["id"] for r in rows if r["media_count"]]
    media: dict[int, list[Attachment]] = {}
    if with_media:
        for attachment in Attachment.objects.filter(case_id__in=with_media, is_public=True):
            media.setdefault(attachment.case_id, []).append(attachment)
    return PublicListing(
        rows=rows,
        services=services_by_id(ids={r["service_id"] for r in rows}),
        versions=versions_by_id(ids={r["service_version_id"] for r in rows}),
        councils=councils_by_id(ids={r["council_id"] for r in rows}),
        duplicates_of=dict(Case.objects.filter(id__in=duplicate_ids)
                           .values_list("id", "reference")) if duplicate_ids else {},
        media=media,
    )


# The most frequent public read (clients polling one request), compiled once per process.
_public_by_reference = PreparedLookup(
    lambda reference: _public_cases().filter(reference=reference)
    .values(*PUBLIC_COLUMNS, "values")[:1],
    key=retired_council_ids,
)


def public_case_by_reference(*, reference: str, council_ids: frozenset[int] | None = None,
                             with_values: bool = False) -> PublicListing:
    """A listing of exactly one public case; NotFound otherwise."""
    rows = _public_by_reference.rows(reference)
    if not rows or (council_ids is not None and rows[0]["council_id"] not in council_ids):
        raise NotFound(f"No public request {reference!r}")
    if not with_values:
        del rows[0]["values"]
    return _listing(rows)


def public_case_get_for_update(*, reference: str, council_ids: frozenset[int] | None = None
                               ) -> Case:
    """The public case a client wants to update (the model, for the write services)."""
    qs = _public_cases().select_related("council")
    if council_ids is not None:
        qs = qs.filter(council_id__in=council_ids)
    case = qs.filter(reference=reference).first()
    if case is None:
        raise NotFound(f"No public request {reference!r}")
    return case


def public_timelines(*, case_ids: list[int]) -> dict[int, list[Event]]:
    """The public events of many cases in one query, oldest first per case."""
    timelines: dict[int, list[Event]] = {case_id: [] for case_id in case_ids}
    for event in (Event.objects.filter(stream="case", stream_id__in=case_ids,
                                       visibility=Visibility.PUBLIC,
                                       kind__in=PUBLIC_TIMELINE_KINDS).order_by("id")):
        timelines[event.stream_id].append(event)
    return timelines


def public_updates_between(*, start: dt.datetime, end: dt.datetime,
                           council_ids: frozenset[int] | None = None,
                           limit: int = 10_000) -> list[tuple[Event, Case]]:
    """Public changes to public cases made in [start, end), oldest first, with their case."""
    events = Event.objects.filter(
        stream="case", visibility=Visibility.PUBLIC, created_at__gte=start, created_at__lt=end,
        kind__in=PUBLIC_TIMELINE_KINDS[1:],
    )
    if council_ids is not None:
        events = events.filter(council_id__in=council_ids)
    events = list(events.order_by("id")[:limit])
    cases = _public_cases().select_related("service_version").in_bulk(
        {e.stream_id for e in events})
    return [(e, cases[e.stream_id]) for e in events if e.stream_id in cases]


def public_attachment(*, attachment_id: int) -> Attachment:
    attachment = (Attachment.objects.filter(id=attachment_id, is_public=True,
                                            case__in=_public_cases())
                  .exclude(file="").first())
    if attachment is None:
        raise NotFound("No such photo")
    return attachment


OpenDataRow = tuple


class _UtcIso(Func):
    """A timestamp as "YYYY-MM-DDTHH:MM:SSZ" text, formatted by the database itself."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="strftime",
                           template="%(function)s('%%Y-%%m-%%dT%%H:%%M:%%SZ', %(expressions)s)",
                           **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="to_char",
            template="%(function)s(%(expressions)s AT TIME ZONE 'UTC', "
                     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", **extra)


def open_data_rows(*, council_ids: frozenset[int] | None = None, chunk: int = 5000
                   ) -> Iterator[OpenDataRow]:
    """Every public case of a public service, oldest first, as plain tuples of public facts
    (see opendata.exports.COLUMNS), read in chunks by id so memory stays flat.

    The database formats the times: at a million rows, parsing each into a datetime only to
    print it again would take most of the time.
    """
    qs = _public_cases().filter(service__privacy="public").annotate(
        created_iso=_UtcIso("created_at"), updated_iso=_UtcIso("updated_at"),
        closed_iso=_UtcIso("closed_at"))
    if council_ids is not None:
        qs = qs.filter(council_id__in=council_ids)
    services = {s.id: (s.code, s.name) for s in ServiceTemplate.objects.all()}
    councils = {c.id: c.slug for c in Council.objects.only("id", "slug")}
    areas = dict(Area.objects.values_list("id", "name"))
    last_id = 0
    while True:
        rows = list(qs.filter(id__gt=last_id).order_by("id").values_list(
            "id", "reference", "council_id", "service_id", "is_open", "state", "created_iso",
            "updated_iso", "closed_iso", "lat", "lng", "location_approximate", "area_id",
            "channel", "support_count")[:chunk])
        if not rows:
            return
        for (_id, reference, council_id, service_id, is_open, state, created, updated,
             closed, lat, lng, approximate, area_id, channel, support) in rows:
            code, name = services[service_id]
            yield (reference, councils[council_id], code, name, "open" if is_open else "closed",
                   state, created, updated, closed,
                   round(lat, 6) if lat is not None else None,
                   round(lng, 6) if lng is not None else None,
                   approximate, areas.get(area_id, ""), channel, support)
        last_id = rows[-1][0]


