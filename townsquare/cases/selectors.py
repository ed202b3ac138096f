"""Reads of cases. Staff reads are scoped to the principal's councils; public reads show only
public cases and never personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import (
    CharField,
    Count,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from townsquare.accounts import levels, policies
from townsquare.accounts.principal import Principal
from townsquare.cases import policies as case_policies
from townsquare.cases.models import Attachment, Case, MapCellCount
from townsquare.catalogue.fields import answer_in_words
from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.selectors import (
    document_in_language,
    service_ids_for_codes,
    services_by_id,
    versions_by_id,
    workflow_for_version,
)
from townsquare.core.errors import NotFound
from townsquare.core.models import Event, Visibility
from townsquare.core.queries import PreparedLookup, UtcIsoText
from townsquare.councils.models import Area, Council
from townsquare.councils.selectors import councils_by_id, retired_council_ids
from townsquare.geo.points import (
    Point,
    bounding_box,
    distance_m,
    h3_cell_center,
    h3_cells_covering_bbox,
    h3_cells_covering_radius,
    h3_cells_in_bbox_estimate,
    h3_parent,
)


def cases_for_principal(*, principal: Principal) -> QuerySet[Case]:
    """Every case the principal may see as staff: only those of their own councils."""
    if principal.is_platform_admin:
        return Case.objects.all()
    return Case.objects.filter(council_id__in=principal.council_ids)


def case_get_for_user(*, principal: Principal, reference: str) -> Case:
    """A case by reference, for staff. Another council's case is "not found", not "forbidden",
    so references cannot be probed."""
    try:
        case = (
            Case.objects.select_related("service", "council", "team", "area")
            # The boundaries are the largest thing in the row and no case page draws them
            # from here; one that needs them reads them when it asks.
            .defer("council__boundary", "area__boundary")
            # get(), not first(): a reference is unique, and the ORDER BY that first() adds
            # is a fifth of a REST API read's time to build (bench/RESULTS.md, ADR 230).
            .get(reference=reference)
        )
    except Case.DoesNotExist:
        case = None
    if case is None or not policies.can_view_case(principal, case.council_id):
        raise NotFound(f"No case {reference!r}")
    # Versions never change: the process's copy, not the template document decoded again for
    # every case read (most of a REST API read's time, bench/RESULTS.md).
    case.service_version = versions_by_id(ids={case.service_version_id})[case.service_version_id]
    return case


def case_timeline(*, case: Case, principal: Principal | None = None) -> list[Event]:
    """The case's events, oldest first; internal ones only for the council's staff."""
    qs = Event.objects.filter(stream="case", stream_id=case.id)
    if principal is None or not policies.can_view_case(principal, case.council_id):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return list(qs.order_by("id"))


def case_has_event(*, case: Case, event_id: int) -> bool:
    """Whether event `event_id` is one of the case's own (e.g. an update a client posted)."""
    return Event.objects.filter(id=event_id, stream="case", stream_id=case.id).exists()


def case_ids_within_radius(
    *, center: Point, radius_m: float, queryset: QuerySet[Case] | None = None
) -> list[int]:
    """Ids of cases within `radius_m` metres of `center`, nearest first.

    H3 cells narrow the search to a few dozen index ranges; the exact distance is checked here.
    """
    resolution = 9 if radius_m <= 3000 else 7
    cells = h3_cells_covering_radius(center, radius_m, resolution)
    column = f"h3_r{resolution}"
    qs = queryset if queryset is not None else Case.objects.all()
    min_lat, min_lng, max_lat, max_lng = bounding_box(center, radius_m)
    rows = qs.filter(
        **{f"{column}__in": cells}, lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng)
    ).values_list("id", "lat", "lng")
    hits = []
    for case_id, lat, lng in rows:
        if lat is None or lng is None:  # cannot happen inside the box; keeps the types honest
            continue
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
    area_ids: frozenset[int] | None = None


PUBLIC_TIMELINE_KINDS = (
    "case.created",
    "case.transitioned",
    "case.public_update",
    "case.citizen_update",
    "case.merged_into",
)
# What the applicant sees of their own (private) application: the public events, and their
# own replies to requests for more information.
APPLICANT_TIMELINE_KINDS = (*PUBLIC_TIMELINE_KINDS, "case.applicant_reply")


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
    "id",
    "reference",
    "council_id",
    "service_id",
    "service_version_id",
    "state",
    "is_open",
    "description",
    "status_notes",
    "lat",
    "lng",
    "address",
    "postcode",
    "location_approximate",
    "place_in_words",
    "created_at",
    "updated_at",
    "resolve_due_at",
    "support_count",
    "duplicate_of_id",
    "media_count",
)


def public_cases_search(
    *, search: PublicSearch, offset: int = 0, limit: int = 1000, with_values: bool = False
) -> PublicListing:
    """Public cases matching `search`, newest first. References, when given, override every
    other filter but the councils."""
    columns = (*PUBLIC_COLUMNS, "values") if with_values else PUBLIC_COLUMNS
    qs = public_search_queryset(search=search)
    rows = list(qs.values(*columns)[offset : offset + limit])
    return _listing(rows)


# About 1,300 km2 of resolution-7 cells (a large city); past it, a list of cells costs more than
# it saves.
MAX_BBOX_CELLS = 250


def public_search_queryset(*, search: PublicSearch) -> QuerySet[Case]:
    """The query behind public_cases_search, newest first. Each documented filter combination
    is served by an index (ADR 221; tests/test_open311_search_plans.py shows the plans)."""
    qs = _public_cases()
    # A service belongs to one council: its ids say the council, and the planner, given the
    # council too, would as soon walk the council's every case of the window.
    if search.council_ids is not None and (search.references or not search.service_codes):
        qs = qs.filter(council_id__in=search.council_ids)
    if search.references:
        qs = qs.filter(reference__in=search.references)
    else:
        if search.service_codes:
            # Codes to ids first (a cached, small table): the cases are then read from the
            # (service, is_open, created_at) index, not every case of the window row by row.
            service_ids = service_ids_for_codes(
                codes=search.service_codes, council_ids=search.council_ids
            )
            qs = qs.filter(service_id__in=service_ids)
            if search.is_open is None:
                # Either state, said so that the index's second column is used, not skipped.
                qs = qs.filter(is_open__in=(True, False))
        if search.is_open is not None:
            # As a list: Django writes `is_open=True` as a bare `"is_open"` on SQLite, which the
            # planner cannot match to an index column (it then walked a council's every case).
            qs = qs.filter(is_open__in=(search.is_open,))
        if search.created_from:
            qs = qs.filter(created_at__gte=search.created_from)
        if search.created_before:
            qs = qs.filter(created_at__lt=search.created_before)
        if search.updated_after or search.updated_before:
            # "What changed since": SQLite guesses a range's size without statistics, and
            # preferred walking the whole creation-time index (it gives the order) to this
            # range; asked as a set of ids first, the change-time index reads only the range.
            changed = Case.objects.all()
            if search.updated_after:
                changed = changed.filter(updated_at__gt=search.updated_after)
            if search.updated_before:
                changed = changed.filter(updated_at__lt=search.updated_before)
            qs = qs.filter(id__in=changed.values("id"))
        if search.area_ids is not None:
            qs = qs.filter(area_id__in=search.area_ids)
        if search.bbox:
            min_lng, min_lat, max_lng, max_lat = search.bbox
            qs = qs.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
            # A map's box as the resolution-7 cells that cover it, so the cell index serves it
            # (a range of latitudes cannot beat the window of creation times in the planner's
            # eyes); a box too large for a list of cells is checked row by row in the window.
            if h3_cells_in_bbox_estimate(min_lat, min_lng, max_lat, max_lng, 7) <= MAX_BBOX_CELLS:
                cells = h3_cells_covering_bbox(min_lat, min_lng, max_lat, max_lng, 7)
                qs = qs.filter(h3_r7__in=cells)
        if search.center is not None and search.radius_m:
            qs = qs.filter(
                id__in=case_ids_within_radius(
                    center=search.center, radius_m=search.radius_m, queryset=qs
                )
            )
    return qs.order_by("-created_at", "-id")


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
        duplicates_of=dict(Case.objects.filter(id__in=duplicate_ids).values_list("id", "reference"))
        if duplicate_ids
        else {},
        media=media,
    )


# The most frequent public read (clients polling one request), compiled once per process.
_public_by_reference = PreparedLookup(
    lambda reference: (
        _public_cases().filter(reference=reference).values(*PUBLIC_COLUMNS, "values")[:1]
    ),
    key=retired_council_ids,
)


def public_case_by_reference(
    *, reference: str, council_ids: frozenset[int] | None = None, with_values: bool = False
) -> PublicListing:
    """A listing of exactly one public case; NotFound otherwise."""
    rows = _public_by_reference.rows(reference)
    if not rows or (council_ids is not None and rows[0]["council_id"] not in council_ids):
        raise NotFound(f"No public request {reference!r}")
    if not with_values:
        del rows[0]["values"]
    return _listing(rows)


def public_case_get_for_update(
    *, reference: str, council_ids: frozenset[int] | None = None
) -> Case:
    """The public case a client wants to update (the model, for the write services)."""
    qs = _public_cases().select_related("council")
    if council_ids is not None:
        qs = qs.filter(council_id__in=council_ids)
    case = qs.filter(reference=reference).first()
    if case is None:
        raise NotFound(f"No public request {reference!r}")
    return case


def public_timelines(
    *, case_ids: list[int], kinds: tuple[str, ...] = PUBLIC_TIMELINE_KINDS
) -> dict[int, list[Event]]:
    """The public events of many cases in one query, oldest first per case (`kinds`:
    APPLICANT_TIMELINE_KINDS for an applicant's own case)."""
    timelines: dict[int, list[Event]] = {case_id: [] for case_id in case_ids}
    for event in Event.objects.filter(
        stream="case",
        stream_id__in=case_ids,
        visibility=Visibility.PUBLIC,
        kind__in=kinds,
    ).order_by("id"):
        timelines[event.stream_id].append(event)
    return timelines


def public_updates_between(
    *,
    start: dt.datetime,
    end: dt.datetime,
    council_ids: frozenset[int] | None = None,
    limit: int = 10_000,
) -> list[tuple[Event, Case]]:
    """Public changes to public cases made in [start, end), oldest first, with their case."""
    events = Event.objects.filter(
        stream="case",
        visibility=Visibility.PUBLIC,
        created_at__gte=start,
        created_at__lt=end,
        kind__in=PUBLIC_TIMELINE_KINDS[1:],
    )
    if council_ids is not None:
        events = events.filter(council_id__in=council_ids)
    found = list(events.order_by("id")[:limit])
    cases = _public_cases().select_related("service_version").in_bulk({e.stream_id for e in found})
    return [(e, cases[e.stream_id]) for e in found if e.stream_id in cases]


def public_attachment(*, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.filter(id=attachment_id, is_public=True, case__in=_public_cases())
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise NotFound("No such photo")
    return attachment


OpenDataRow = tuple


def open_data_cases(*, council_ids: frozenset[int] | None = None) -> QuerySet[Case]:
    """What open data publishes: public cases of public services, not test cases, of councils
    still served (all of them, or those in `council_ids`)."""
    # The public services' ids, not a join: with a join, PostgreSQL's planner (when the
    # catalogue's statistics are stale) sorts every case of those services for each chunk.
    public = list(ServiceTemplate.objects.filter(privacy="public").values_list("id", flat=True))
    qs = _public_cases().filter(service_id__in=public)
    if council_ids is not None:
        qs = qs.filter(council_id__in=council_ids)
    return qs


@dataclass(frozen=True)
class OpenDataNames:
    """The names open data rows refer to by id: services (code, name), councils (slug), areas
    (name)."""

    services: dict[int, tuple[str, str]]
    councils: dict[int, str]
    areas: dict[int, str]


def open_data_names() -> OpenDataNames:
    return OpenDataNames(
        services={
            s.id: (s.code, s.name) for s in ServiceTemplate.objects.only("id", "code", "name")
        },
        councils=dict(Council.objects.values_list("id", "slug")),
        areas=dict(Area.objects.values_list("id", "name")),
    )


def open_data_rows(
    *, council_ids: frozenset[int] | None = None, chunk: int = 5000
) -> Iterator[OpenDataRow]:
    """Every public case of a public service, oldest first, as plain tuples of public facts
    (see opendata.exports.COLUMNS), read in chunks by id so memory stays flat.

    The database formats the times (see UtcIsoText).
    """
    qs = open_data_cases(council_ids=council_ids).annotate(
        status=models.Case(
            When(is_open=True, then=Value("open")),
            default=Value("closed"),
            output_field=CharField(),
        ),
        created_iso=UtcIsoText("created_at"),
        updated_iso=UtcIsoText("updated_at"),
        closed_iso=UtcIsoText("closed_at"),
        # As the database gives it (0/1 from SQLite), with no Django converter per value: as
        # a field of text, which has none; `as_bool` below makes it True/False.
        approximate=Func(
            F("location_approximate"), template="%(expressions)s", output_field=CharField()
        ),
    )
    names = open_data_names()
    services, councils, areas = names.services, names.councils, names.areas
    as_bool = (False, True)
    last_id = 0
    while True:
        rows = list(
            qs.filter(id__gt=last_id)
            .order_by("id")
            .values_list(
                "id",
                "reference",
                "council_id",
                "service_id",
                "status",
                "state",
                "created_iso",
                "updated_iso",
                "closed_iso",
                "lat",
                "lng",
                "approximate",
                "area_id",
                "channel",
                "support_count",
            )[:chunk]
        )
        if not rows:
            return
        for (
            _id,
            reference,
            council_id,
            service_id,
            status,
            state,
            created,
            updated,
            closed,
            lat,
            lng,
            approximate,
            area_id,
            channel,
            support,
        ) in rows:
            code, name = services[service_id]
            yield (
                reference,
                councils[council_id],
                code,
                name,
                status,
                state,
                created,
                updated,
                closed,
                round(lat, 6) if lat is not None else None,
                round(lng, 6) if lng is not None else None,
                as_bool[approximate],
                areas.get(area_id, ""),
                channel,
                support,
            )
        last_id = rows[-1][0]


def public_reports_nearby(
    *, council_id: int, service_code: str, center: Point, radius_m: float = 250, limit: int = 5
) -> PublicListing:
    """Open public reports of one kind near a point, nearest first: what a resident about to
    report the same problem may support instead."""
    qs = _public_cases().filter(
        council_id=council_id,
        service__code=service_code,
        is_open=True,
        kind="report",
        duplicate_of__isnull=True,
    )
    ids = case_ids_within_radius(center=center, radius_m=radius_m, queryset=qs)[:limit]
    rows = {row["id"]: row for row in Case.objects.filter(id__in=ids).values(*PUBLIC_COLUMNS)}
    return _listing([rows[i] for i in ids if i in rows])


def public_report_for_support(*, reference: str) -> Case:
    """An open public report that may be supported; NotFound otherwise."""
    case = (
        _public_cases()
        .filter(reference=reference, is_open=True, kind="report")
        .only("id", "reference", "council_id", "is_public", "is_open", "kind")
        .first()
    )
    if case is None:
        raise NotFound(f"No open public report {reference!r}")
    return case


# The public map (ADR 51): counts per H3 cell when zoomed out, points when zoomed in.

MAP_MAX_FEATURES = 5000
# At most this many single reports are drawn in one response; a view holding more is counted
# per cell (ADR 118), so a dense city centre at street zoom costs no more than a quiet street.
MAP_MAX_POINTS = 500
# Counting per resolution-9 cell reads one index entry per report in view; a view whose
# resolution-7 cells hold more (MapCellCount's upper bound) is counted per resolution-7 cell
# from MapCellCount instead (ADR 118).
MAP_MAX_COUNTED = 50_000
# Above this many cells in view, count over every cell and drop those outside in Python: one
# scan of the index beats a query with thousands of parameters.
_MAP_MAX_CELL_FILTER = 2000
# Single reports are drawn for boxes of at most this many resolution-9 cells (a street or a
# district, at the zooms that draw them); wider boxes are counted.
_MAP_MAX_POINT_CELLS = 200


@dataclass(frozen=True)
class MapFilter:
    """Filters of the public map and list; bbox is (min_lat, min_lng, max_lat, max_lng)."""

    bbox: tuple[float, float, float, float]
    council_ids: frozenset[int] | None = None
    service_ids: frozenset[int] | None = None
    is_open: bool | None = None
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None


def _map_cases(search: MapFilter) -> QuerySet[Case]:
    qs = _public_cases().filter(kind="report")
    if search.council_ids is not None:
        qs = qs.filter(council_id__in=search.council_ids)
    if search.service_ids is not None:
        qs = qs.filter(service_id__in=search.service_ids)
    if search.is_open is not None:
        qs = qs.filter(is_open=search.is_open)
    if search.created_from is not None:
        qs = qs.filter(created_at__gte=search.created_from)
    if search.created_before is not None:
        qs = qs.filter(created_at__lt=search.created_before)
    return qs


@dataclass(frozen=True)
class MapCells:
    """Counts per cell in view: `cells` are (cell centre, count, cell) at the resolution asked,
    largest first; `sources` the stored cells they were counted from (column `h3_r<column>`),
    so that the reports themselves can be fetched from those cells alone."""

    cells: list[tuple[Point, int, int]]
    column: int
    sources: frozenset[int]

    @property
    def reports(self) -> int:
        return sum(count for _center, count, _cell in self.cells)


def map_resolution_for_box(search: MapFilter, resolution: int | None) -> int | None:
    """The resolution to count at (None: draw single reports), coarsened when the box is too
    wide for the one the zoom asks: bbox and zoom both come from the client and need not match,
    and every box must cost a bounded amount of work (ADR 115)."""
    estimate = h3_cells_in_bbox_estimate(*search.bbox, 9)
    if resolution is None and estimate > _MAP_MAX_POINT_CELLS:
        resolution = 9
    if resolution is not None and resolution >= 9 and estimate > _MAP_MAX_CELL_FILTER:
        resolution = 7
    if resolution is not None and resolution >= 9 and map_reports_at_most(search) > MAP_MAX_COUNTED:
        resolution = 7
    return resolution


def _stored_cell_counts(search: MapFilter) -> QuerySet[MapCellCount]:
    """MapCellCount's rows for the search's council, service and state (not its dates)."""
    qs = MapCellCount.objects.filter(n__gt=0)
    retired = retired_council_ids()
    if retired:
        qs = qs.exclude(council_id__in=retired)
    if search.council_ids is not None:
        qs = qs.filter(council_id__in=search.council_ids)
    if search.service_ids is not None:
        qs = qs.filter(service_id__in=search.service_ids)
    if search.is_open is not None:
        qs = qs.filter(is_open=search.is_open)
    return qs


def map_reports_at_most(search: MapFilter) -> int:
    """No fewer public reports than the box holds: the stored counts of the resolution-7 cells
    covering it (whole cells, any date), read from a few MapCellCount rows however many reports
    there are. For boxes small enough to count at resolution 9 (a few dozen such cells)."""
    cells = h3_cells_covering_bbox(*search.bbox, 7)
    total = _stored_cell_counts(search).filter(h3_r7__in=cells).aggregate(total=Sum("n"))
    return int(total["total"] or 0)


def public_map_cells(*, search: MapFilter, resolution: int) -> MapCells:
    """Public reports per H3 cell overlapping the box, at most MAP_MAX_FEATURES cells.

    Up to resolution 7 without a date filter, the counts come from MapCellCount (kept by
    triggers: a few hundred rows for a city, whatever the number of reports); otherwise they
    are counted from the covering index case_h3_map_idx (resolution 7) or h3_r9. Coarser
    resolutions are rolled up from resolution 7 (ADR 51). The box's cells are listed only when
    there are few (ADR 115): a continent at resolution 7 is millions of cells, so wider boxes
    read every counted cell and keep those whose centre is inside."""
    column_resolution = 9 if resolution >= 9 else 7
    column = f"h3_r{column_resolution}"
    min_lat, min_lng, max_lat, max_lng = search.bbox
    filtered = h3_cells_in_bbox_estimate(*search.bbox, column_resolution) <= _MAP_MAX_CELL_FILTER
    dated = search.created_from is not None or search.created_before is not None
    if column_resolution == 7 and not dated:
        counted: QuerySet[Any, Any] = (
            _stored_cell_counts(search).values_list("h3_r7").annotate(total=Sum("n"))
        )
    else:
        counted = _map_cases(search).values_list(column).annotate(total=Count("id"))
    if filtered:
        cells = h3_cells_covering_bbox(min_lat, min_lng, max_lat, max_lng, column_resolution)
        counted = counted.filter(**{f"{column}__in": cells})
    else:
        counted = counted.filter(**{f"{column}__isnull": False})
    counts: dict[int, int] = {}
    sources: dict[int, list[int]] = {}
    for cell, count in counted.order_by().values_list(column, "total"):
        key = cell if resolution >= column_resolution else h3_parent(cell, resolution)
        counts[key] = counts.get(key, 0) + count
        sources.setdefault(key, []).append(cell)
    found = []
    for cell, count in counts.items():
        center = h3_cell_center(cell)
        if filtered or (min_lat <= center.lat <= max_lat and min_lng <= center.lng <= max_lng):
            found.append((center, count, cell))
    found.sort(key=lambda item: -item[1])
    found = found[:MAP_MAX_FEATURES]
    return MapCells(
        cells=found,
        column=column_resolution,
        sources=frozenset(source for _c, _n, cell in found for source in sources[cell]),
    )


def public_map_points(
    *, search: MapFilter, limit: int = MAP_MAX_POINTS + 1, within: MapCells | None = None
) -> list[dict]:
    """Public reports in the box, newest first: reference, service, state, open, position.
    At most `limit`, and which ones is unspecified when the box holds more: the map then counts
    instead (ADR 118), and not sorting in SQL lets the query stop after `limit` rows rather
    than read every report in view. `within`: the cells counted for the same view, whose
    reports are the only candidates (for a box too wide to list its cells)."""
    min_lat, min_lng, max_lat, max_lng = search.bbox
    qs = _map_cases(search).filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
    # Through the cells, so the planner starts from an H3 index rather than scanning by date.
    if within is not None:
        qs = qs.filter(**{f"h3_r{within.column}__in": sorted(within.sources)})
    elif h3_cells_in_bbox_estimate(*search.bbox, 9) <= _MAP_MAX_POINT_CELLS:
        qs = qs.filter(h3_r9__in=h3_cells_covering_bbox(min_lat, min_lng, max_lat, max_lng, 9))
    elif h3_cells_in_bbox_estimate(*search.bbox, 7) <= _MAP_MAX_CELL_FILTER:
        qs = qs.filter(h3_r7__in=h3_cells_covering_bbox(min_lat, min_lng, max_lat, max_lng, 7))
    rows = qs.order_by().values(
        "id",
        "reference",
        "service_id",
        "state",
        "is_open",
        "lat",
        "lng",
        "council_id",
        "location_approximate",
        "created_at",
    )[:limit]
    return sorted(
        (dict(row) for row in rows), key=lambda r: (r["created_at"], r["id"]), reverse=True
    )


def case_for_confirmation(*, case_id: int) -> Case:
    """The case a reporter's confirmation link names (holding the link is the permission)."""
    case = (
        Case.objects.filter(id=case_id, kind="report")
        .only(
            "id",
            "reference",
            "council_id",
            "reporter_email",
            "title",
            "is_public",
            "awaiting_confirmation",
            "is_open",
        )
        .first()
    )
    if case is None:
        raise NotFound(f"No report {case_id}")
    return case


# A citizen's own requests (the citizen web's "My requests" and tracking applications).


def citizen_case_by_reference(
    *, reference: str, user_id: int | None = None, references: frozenset[str] = frozenset()
) -> PublicListing:
    """A listing of one case its citizen may follow: any public case, or a private one (an
    application) when it was made by `user_id` or its reference is among `references` (those
    this browser submitted). Only public columns are read, so a private case shows its status
    and public updates, never its answers. NotFound otherwise, never "forbidden"."""
    rows = list(
        Case.objects.filter(reference=reference, is_test=False).values(
            *PUBLIC_COLUMNS, "is_public", "reporter_id"
        )[:1]
    )
    if not rows:
        raise NotFound(f"No request {reference!r}")
    row = rows[0]
    mine = (user_id is not None and row["reporter_id"] == user_id) or reference in references
    if (row.pop("is_public") is False and not mine) or row["council_id"] in retired_council_ids():
        raise NotFound(f"No request {reference!r}")
    row["is_mine"] = mine
    del row["reporter_id"]
    return _listing(rows)


def applicant_document_names(*, listing: PublicListing) -> list[str]:
    """The names of the documents sent with the application in `listing` (from
    citizen_case_by_reference), for its applicant only: [] for anyone else."""
    row = listing.rows[0]
    if not row.get("is_mine"):
        return []
    names = Attachment.objects.filter(case_id=row["id"], is_public=False, url="").values_list(
        "original_name", flat=True
    )
    return [name for name in names.order_by("id") if name]


def citizen_cases(
    *,
    user_id: int,
    case_ids: frozenset[int] = frozenset(),
    kind: str = "",
    only_followed: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> tuple[PublicListing, int]:
    """A citizen's reports and applications, plus the public cases they follow or supported
    (`case_ids`), newest first: one page and the total."""
    followed = Q(id__in=case_ids, is_public=True) if case_ids else Q(pk__in=[])
    mine = followed if only_followed else Q(reporter_id=user_id) | followed
    qs = Case.objects.filter(mine, is_test=False)
    if kind:
        qs = qs.filter(kind=kind)
    total = qs.count()
    rows = list(
        qs.order_by("-created_at", "-id").values(*PUBLIC_COLUMNS, "kind", "reporter_id")[
            offset : offset + limit
        ]
    )
    for row in rows:
        row["is_mine"] = row.pop("reporter_id") == user_id
    return _listing(rows), total


# The case as one person may see it (ADR 24, ADR 85).


@dataclass(frozen=True)
class ReporterView:
    """Who reported a case. `email` and `phone` are None when withheld from the viewer (not
    the same as "" for not given)."""

    name: str
    name_public: bool
    email: str | None
    phone: str | None

    @property
    def contact_shown(self) -> bool:
        return self.email is not None


@dataclass(frozen=True)
class AnswerView:
    """One answer to the service's questions, in the template's order. `value` is as people
    read it (choice names, not keys); None when the answer is private and withheld."""

    code: str
    label: str
    value: str | None
    private: bool

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class AttachmentView:
    id: int
    content_type: str
    is_public: bool
    url: str
    # The sender's own file name (cleaned), "" when not known.
    name: str = ""
    created_at: dt.datetime | None = None
    # Whether a file is stored (a link's media is held elsewhere, at `url`).
    stored: bool = False

    @property
    def is_photo(self) -> bool:
        return self.content_type.startswith("image/") or bool(self.url)

    @property
    def is_document(self) -> bool:
        return self.content_type == "application/pdf"


def attachment_view(attachment: Attachment) -> AttachmentView:
    """One attachment as a case's views list it (pass one the viewer may see)."""
    return AttachmentView(
        id=attachment.id,
        content_type=attachment.content_type,
        is_public=attachment.is_public,
        url=attachment.url,
        name=attachment.original_name,
        created_at=attachment.created_at,
        stored=bool(attachment.file),
    )


@dataclass(frozen=True)
class CaseView:
    """A case as one member of staff may see it: everything they may read and nothing else.

    Built only by case_view_for, which applies the case policies (cases.policies): the
    reporter's name for every member of the council's staff; email, phone, private answers
    and an application's documents only for those handling the case. Interfaces show this,
    never the model, so no page, export or API can show what the rule withholds.
    """

    id: int
    reference: str
    council_id: int
    kind: str
    service_code: str
    service_name: str
    state: str
    state_name: str
    is_open: bool
    is_public: bool
    title: str
    description: str
    status_notes: str
    channel: str
    channel_label: str
    created_at: dt.datetime
    updated_at: dt.datetime
    responded_at: dt.datetime | None
    closed_at: dt.datetime | None
    response_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    priority: int
    team_id: int | None
    team_name: str
    assignee_id: int | None
    lat: float | None
    lng: float | None
    address: str
    # Where it is in words, from the gazetteer (ADR 58), "" when not known.
    place_in_words: str
    postcode: str
    location_approximate: bool
    area_id: int | None
    area_name: str
    support_count: int
    duplicate_of_reference: str
    revision: int
    anonymised_at: dt.datetime | None
    # None: the viewer's role does not show who reported, or the retention period removed it.
    reporter: ReporterView | None
    answers: tuple[AnswerView, ...]
    # Photos (stored or linked) and the documents the viewer may open, in the order added.
    photos: tuple[AttachmentView, ...]
    documents: tuple[AttachmentView, ...]
    # The case has documents the viewer may not open (so a page can say who can).
    documents_withheld: bool
    sees_reporter_contact: bool
    # How sure the council is who applied (accounts.levels: none, authenticated, P2), as
    # reached at sign-in when the application was sent (ADR 91).
    identity_level: str = levels.NONE

    @property
    def identity_level_label(self) -> str:
        return levels.LABELS.get(self.identity_level, self.identity_level)


def _answers(
    case: Case, *, sees_private: bool, language: str | None = None
) -> tuple[AnswerView, ...]:
    """`language`: the questions' and choices' names in that language where the template has
    them (ADR 63); the template's own otherwise, as staff read them."""
    answers = []
    document = (
        document_in_language(case.service_version, language)
        if language
        else case.service_version.document
    )
    fields = document.get("fields", [])
    for field in sorted(fields, key=lambda f: f.get("order", 0)):
        if field["code"] not in case.values:
            continue
        private = bool(field.get("private", False))
        value: str | None = None
        if sees_private or not private:
            value = answer_in_words(field, case.values[field["code"]], language or "en")
        answers.append(
            AnswerView(code=field["code"], label=field["label"], value=value, private=private)
        )
    return tuple(answers)


def case_view_for(*, case: Case, principal: Principal) -> CaseView:
    """`case` as `principal` may see it (ADR 24); NotFound when they may not see it at all.

    Pass a case read with case_get_for_user (its service, version, team and area come along).
    Queries: the attachments, and the original's reference when the case is a duplicate.
    """
    if not policies.can_view_case(principal, case.council_id):
        raise NotFound(f"No case {case.reference!r}")
    sees_contact = case_policies.can_see_reporter_contact(principal, case)
    reporter = None
    if case.anonymised_at is None and case_policies.can_see_reporter(principal, case):
        reporter = ReporterView(
            name=case.reporter_name,
            name_public=case.reporter_name_public,
            email=case.reporter_email if sees_contact else None,
            phone=case.reporter_phone if sees_contact else None,
        )
    return _case_view(
        case,
        reporter=reporter,
        sees_contact=sees_contact,
        sees_papers=case_policies.can_see_case_papers(principal, case),
        sees_handling=True,
        # What can_see_attachment decides of one file, for all of the case's files at once.
        sees_internal_files=principal.sees_personal_data,
    )


def applicant_case_get(*, reference: str, principal: Principal, holds_reference: bool) -> Case:
    """The application `reference` for its own applicant (cases.policies.can_act_as_applicant),
    with what case_view_for and the case services need; NotFound for anyone else, never
    "forbidden", so a reference tells a stranger nothing."""
    case = (
        Case.objects.select_related("service", "service_version", "council", "area")
        .filter(reference=reference, is_test=False)
        .first()
    )
    if (
        case is None
        or case.council_id in retired_council_ids()
        or not case_policies.can_act_as_applicant(principal, case, holds_reference=holds_reference)
    ):
        raise NotFound(f"No application {reference!r}")
    return case


def applicant_view_for(*, case: Case, language: str | None = None) -> CaseView:
    """The application as its applicant sees it (pass a case from applicant_case_get): their
    own answers and documents, contact details included; nothing of how the council handles
    it (team, assignee, priority). `language`: the questions' names in the page's language."""
    reporter = ReporterView(
        name=case.reporter_name,
        name_public=case.reporter_name_public,
        email=case.reporter_email,
        phone=case.reporter_phone,
    )
    return _case_view(
        case,
        reporter=reporter,
        sees_contact=True,
        sees_papers=True,
        sees_handling=False,
        language=language,
    )


def _case_view(
    case: Case,
    *,
    reporter: ReporterView | None,
    sees_contact: bool,
    sees_papers: bool,
    sees_handling: bool,
    sees_internal_files: bool = True,
    language: str | None = None,
) -> CaseView:
    attachments = [
        attachment_view(a)
        for a in Attachment.objects.filter(case=case).order_by("id")
        if a.is_public or sees_internal_files
    ]
    states = workflow_for_version(case.service_version).states
    return CaseView(
        id=case.id,
        reference=case.reference,
        council_id=case.council_id,
        kind=case.kind,
        service_code=case.service.code,
        service_name=case.service.name,
        state=case.state,
        state_name=states[case.state].name if case.state in states else case.state,
        is_open=case.is_open,
        is_public=case.is_public,
        title=case.title,
        description=case.description,
        status_notes=case.status_notes,
        channel=case.channel,
        channel_label=str(case.get_channel_display()),
        created_at=case.created_at,
        updated_at=case.updated_at,
        responded_at=case.responded_at,
        closed_at=case.closed_at,
        response_due_at=case.response_due_at,
        resolve_due_at=case.resolve_due_at,
        priority=case.priority if sees_handling else 0,
        team_id=case.team_id if sees_handling else None,
        team_name=case.team.name if sees_handling and case.team else "",
        assignee_id=case.assignee_id if sees_handling else None,
        lat=case.lat,
        lng=case.lng,
        address=case.address,
        place_in_words=case.place_in_words,
        identity_level=case.identity_level or levels.NONE,
        postcode=case.postcode,
        location_approximate=case.location_approximate,
        area_id=case.area_id,
        area_name=case.area.name if case.area else "",
        support_count=case.support_count,
        duplicate_of_reference=case.duplicate_of.reference if case.duplicate_of else "",
        revision=case.revision,
        anonymised_at=case.anonymised_at,
        reporter=reporter,
        answers=_answers(case, sees_private=sees_contact, language=language),
        photos=tuple(a for a in attachments if a.is_photo),
        documents=tuple(a for a in attachments if a.is_document and sees_papers),
        documents_withheld=not sees_papers and any(a.is_document for a in attachments),
        sees_reporter_contact=sees_contact,
    )
