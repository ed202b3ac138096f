"""REST API v1 (ADR 121): the key's council, its teams and areas, its open data, its dashboard
figures and its webhooks' delivery log. Registered on the v1 API by townsquare/api/v1.py;
each route calls the selectors the staff web and the open data pages use (ADR 156)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import h3
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Path, Query, Schema

from townsquare.api.http import key_of
from townsquare.api.paging import id_cursor_decode, id_cursor_encode
from townsquare.api.v1 import ADMIN, ENDPOINT_ID, ERRORS, READ, Time, api
from townsquare.catalogue.selectors import services_of_council
from townsquare.core import clock
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.councils.public_pages import public_pages_of
from townsquare.councils.selectors import (
    areas_of_council,
    council_get_by_id,
    team_of_council,
    teams_of_council,
)
from townsquare.insights.selectors import (
    Totals,
    dashboard_filters,
    dashboard_get,
    default_filters,
)
from townsquare.messaging.selectors import attempts_for, endpoint_deliveries, endpoint_get
from townsquare.opendata.exports import COLUMNS, FORMATS, Export, stream

TEAM_ID = Path(..., ge=1, le=2**53, description="The team's id")
AREA_ID = Path(..., ge=1, le=2**53, description="The area's id")


# -- the council ------------------------------------------------------------------------------


class PublicPagesOut(Schema):
    contact_email: str
    contact_phone: str
    contact_address: str
    emergency_phone: str
    accessibility_contact: str
    accessibility_tested_on: str
    accessibility_compliance: str
    dpo_contact: str
    processors: str
    feedback_url: str
    phase: str


class CouncilOut(Schema):
    id: int
    name: str
    slug: str
    jurisdiction_id: str = Field(description="Its Open311 jurisdiction_id")
    reference_prefix: str = Field(description="Its cases' references start with it")
    gss_code: str
    colour: str = Field(description="Its brand colour, #rrggbb; empty when not set")
    website: str
    public_pages: PublicPagesOut = Field(
        description="What residents read on its public pages: contacts, the accessibility "
        "statement's facts, the data protection officer, the phase"
    )


@api.get(
    "/council",
    auth=READ,
    response={200: CouncilOut, **ERRORS},
    summary="The key's council",
    tags=["council"],
    operation_id="council_get",
)
def council_read(request: HttpRequest) -> Any:
    """The council the key belongs to, with the settings its public pages show (nothing
    else of its settings: sign-in providers and keys stay in the staff web)."""
    council = council_get_by_id(council_id=key_of(request).council_id)
    branding = council.branding or {}
    pages = public_pages_of(council)
    return {
        "id": council.id,
        "name": council.name,
        "slug": council.slug,
        "jurisdiction_id": council.jurisdiction_id,
        "reference_prefix": council.reference_prefix,
        "gss_code": council.gss_code,
        "colour": str(branding.get("colour", "")),
        "website": str(branding.get("website", "")),
        "public_pages": {name: getattr(pages, name) for name in PublicPagesOut.model_fields},
    }


class TeamOut(Schema):
    id: int
    code: str
    name: str


@api.get(
    "/teams",
    auth=READ,
    response={200: list[TeamOut], **ERRORS},
    summary="The council's teams",
    tags=["council"],
    operation_id="teams_list",
)
def teams_list(request: HttpRequest) -> Any:
    """By name. A case's `team_id` is one of these."""
    return [
        {"id": t.id, "code": t.code, "name": t.name}
        for t in teams_of_council(council_id=key_of(request).council_id)
    ]


@api.get(
    "/teams/{team_id}",
    auth=READ,
    response={200: TeamOut, **ERRORS},
    summary="One team",
    tags=["council"],
    operation_id="team_get",
)
def team_read(request: HttpRequest, team_id: int = TEAM_ID) -> Any:
    team = team_of_council(council_id=key_of(request).council_id, team_id=team_id)
    if team is None:
        raise NotFound(f"No team {team_id} in this council")
    return {"id": team.id, "code": team.code, "name": team.name}


class AreaOut(Schema):
    id: int
    code: str
    name: str
    kind: str = Field(description="ward, or another kind of area the council imported")


class AreaWithBoundaryOut(AreaOut):
    boundary: dict[str, Any] = Field(
        description="GeoJSON geometry (RFC 7946, WGS84), a Polygon or MultiPolygon"
    )


def _areas(request: HttpRequest) -> list:
    return areas_of_council(council_id=key_of(request).council_id)


@api.get(
    "/areas",
    auth=READ,
    response={200: list[AreaOut], **ERRORS},
    summary="The council's areas (wards)",
    tags=["council"],
    operation_id="areas_list",
)
def areas_list(request: HttpRequest) -> Any:
    """By name, without boundaries (read one area for its boundary). A case's `area_id`
    is one of these, and the `ward` filter of the case search takes one."""
    return [{"id": a.id, "code": a.code, "name": a.name, "kind": a.kind} for a in _areas(request)]


@api.get(
    "/areas/{area_id}",
    auth=READ,
    response={200: AreaWithBoundaryOut, **ERRORS},
    summary="One area with its boundary",
    tags=["council"],
    operation_id="area_get",
)
def area_read(request: HttpRequest, area_id: int = AREA_ID) -> Any:
    area = next((a for a in _areas(request) if a.id == area_id), None)
    if area is None:
        raise NotFound(f"No area {area_id} in this council")
    return {
        "id": area.id,
        "code": area.code,
        "name": area.name,
        "kind": area.kind,
        "boundary": area.boundary,
    }


# -- open data --------------------------------------------------------------------------------


class OpenDataColumnOut(Schema):
    name: str
    meaning: str


class OpenDataSetOut(Schema):
    name: str
    formats: list[str]
    columns: list[OpenDataColumnOut]
    download: str = Field(description="Where to download it; add ?format=<one of formats>")


@api.get(
    "/open-data",
    auth=READ,
    response={200: list[OpenDataSetOut], **ERRORS},
    summary="The open data sets",
    tags=["open data"],
    operation_id="open_data_list",
)
def open_data_list(request: HttpRequest) -> Any:
    """The data sets the open data pages offer, with their data dictionary."""
    return [
        {
            "name": "cases",
            "formats": list(FORMATS),
            "columns": [{"name": n, "meaning": m} for n, m in COLUMNS],
            "download": "/api/v1/open-data/cases",
        }
    ]


_DOWNLOADS: dict[str, Any] = {
    "text/csv": {"schema": {"type": "string"}},
    "application/geo+json": {"schema": {"type": "object"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
}


@api.get(
    "/open-data/cases",
    auth=READ,
    response=ERRORS,  # the 200 is described below: a stream in one of three types
    summary="Download the council's open data",
    tags=["open data"],
    operation_id="open_data_cases",
    openapi_extra={
        "responses": {"200": {"description": "The data set, streamed", "content": _DOWNLOADS}}
    },
)
def open_data_cases(
    request: HttpRequest, format: Literal["csv", "geojson", "jsonl"] = "csv"
) -> StreamingHttpResponse:
    """The council's public cases as the open data page publishes them, byte for byte: the
    same columns, the same cases (public services, no test cases), no free text and nothing
    about who reported them, whatever the key's scopes. Streamed, so no ETag."""
    council_id = key_of(request).council_id
    response = StreamingHttpResponse(
        stream(Export(council_ids=frozenset({council_id}), fmt=format)),
        content_type=FORMATS[format],
    )
    slug = council_get_by_id(council_id=council_id).slug
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="townsquare-{slug}-{stamp}.{format}"'
    return response


# -- insights ---------------------------------------------------------------------------------


class DashboardQuery(Schema):
    start: dt.date | None = Field(None, description="First day (YYYY-MM-DD)")
    end: dt.date | None = Field(None, description="Last day, included (YYYY-MM-DD)")
    service: str | None = Field(None, max_length=50, description="A service code")
    team: int | None = Field(None, ge=1, le=2**53, description="A team id")


class TotalsOut(Schema):
    received: int
    closed: int
    closed_within_target_percent: float | None
    median_hours_to_close: int | None
    p90_hours_to_close: int | None


class DayOut(Schema):
    day: dt.date
    received: int
    closed: int


class WeekOut(Schema):
    week_starting: dt.date
    received: int


class BacklogOut(Schema):
    day: dt.date
    open_at_end_of_day: int


class CategoryOut(Schema):
    service_code: str
    service: str
    received: int
    received_same_period_last_year: int
    closed: int
    median_hours_to_close: int | None
    p90_hours_to_close: int | None
    closed_within_target_percent: float | None


class HotspotOut(Schema):
    h3_cell: str = Field(description="An H3 cell (resolution 8)")
    received: int


class AnomalyOut(Schema):
    service_code: str
    h3_cell: str
    window_start: Time
    window_end: Time
    count: int
    expected: float


class DashboardOut(Schema):
    start: dt.date
    end: dt.date
    service: str | None
    team: int | None
    data_start: dt.date | None = Field(description="The first day with any figures")
    data_end: dt.date | None
    totals: TotalsOut
    same_period_last_year: TotalsOut
    open_at_end: int
    daily: list[DayOut]
    weekly: list[WeekOut]
    backlog: list[BacklogOut]
    categories: list[CategoryOut]
    hotspots: list[HotspotOut]
    anomalies: list[AnomalyOut] = Field(description="The latest spikes, newest first")


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "received": t.opened,
        "closed": t.closed,
        "closed_within_target_percent": t.sla_percent,
        "median_hours_to_close": t.median_hours,
        "p90_hours_to_close": t.p90_hours,
    }


@api.get(
    "/insights/dashboard",
    auth=READ,
    response={200: DashboardOut, **ERRORS},
    summary="The staff dashboard's figures",
    tags=["insights"],
    operation_id="insights_dashboard",
)
def insights_dashboard(request: HttpRequest, filters: Query[DashboardQuery]) -> Any:
    """The figures the staff dashboard shows, for a period (the last 12 months of data unless
    given, at most three years), the whole council or one service or team: totals against
    the same period last year, cases received and closed each day and week, the backlog,
    each service's times to close, hotspots and spikes. Counts only: no case, no person."""
    council = council_get_by_id(council_id=key_of(request).council_id)
    defaults = default_filters(council=council)
    probe = dashboard_get(council=council, filters=defaults)
    codes = {s.id: s.code for s in services_of_council(council_id=council.id)}
    service_id = None
    if filters.service is not None:
        # An unknown code is no service's (-1 never is an id): refused as the web refuses it.
        service_id = next((i for i, code in codes.items() if code == filters.service), -1)
    chosen, errors = dashboard_filters(
        defaults=defaults,
        services={s for s, _ in probe.services},
        teams={t for t, _ in probe.teams},
        start=filters.start,
        end=filters.end,
        service_id=service_id,
        team_id=filters.team,
    )
    if errors:
        raise InvalidInput({k: [v] for k, v in errors.items()}, code="bad_filters")
    board = dashboard_get(council=council, filters=chosen)
    return {
        "start": chosen.start,
        "end": chosen.end,
        "service": filters.service,
        "team": chosen.team_id,
        "data_start": board.data_start,
        "data_end": board.data_end,
        "totals": _totals(board.totals),
        "same_period_last_year": _totals(board.last_year),
        "open_at_end": board.backlog[-1][1] if board.backlog else 0,
        "daily": [{"day": d, "received": o, "closed": c} for d, o, c in board.daily],
        "weekly": [{"week_starting": d, "received": o} for d, o in board.weekly],
        "backlog": [{"day": d, "open_at_end_of_day": n} for d, n in board.backlog],
        "categories": [
            {
                "service_code": codes.get(c.service_id, ""),
                "service": c.name,
                "received": c.opened,
                "received_same_period_last_year": c.opened_last_year,
                "closed": c.closed,
                "median_hours_to_close": c.median_hours,
                "p90_hours_to_close": c.p90_hours,
                "closed_within_target_percent": c.sla_percent,
            }
            for c in board.categories
        ],
        "hotspots": [{"h3_cell": cell, "received": n} for cell, n in board.cells],
        "anomalies": [
            {
                "service_code": codes.get(a.service_id, ""),
                "h3_cell": h3.int_to_str(a.cell),
                "window_start": a.window_start,
                "window_end": a.window_end,
                "count": a.count,
                "expected": a.expected,
            }
            for a in board.anomalies
        ],
    }


# -- webhook deliveries -----------------------------------------------------------------------


class AttemptOut(Schema):
    at: Time
    outcome: str = Field(description="sent, retry, failed, bounced or dead")
    response_code: int | None = Field(description="The HTTP status your receiver answered")
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    event_id: int | None = Field(description="The event it tells of (see /events)")
    kind: str = Field(description="The event's kind, e.g. case.transitioned")
    status: str = Field(description="queued, sending, sent, failed, dead...")
    attempts: int
    response_code: int | None = Field(description="The last attempt's HTTP status")
    last_error: str
    created_at: Time
    sent_at: Time | None
    log: list[AttemptOut] = Field(description="Every attempt, oldest first")


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for older deliveries; null on the last page"
    )


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


@api.get(
    "/webhooks/{endpoint_id}/deliveries",
    auth=ADMIN,
    response={200: DeliveryPageOut, **ERRORS},
    summary="A webhook's delivery log",
    tags=["webhooks"],
    operation_id="webhook_deliveries",
)
def webhook_deliveries(
    request: HttpRequest, page: Query[PageQuery], endpoint_id: int = ENDPOINT_ID
) -> Any:
    """What was posted to the webhook, newest first, with each attempt and what your
    receiver answered, as the staff web's webhook page shows it."""
    endpoint = endpoint_get(
        endpoint_id=endpoint_id, council_ids=frozenset({key_of(request).council_id})
    )
    before = id_cursor_decode(page.cursor) if page.cursor else None
    found = endpoint_deliveries(endpoint=endpoint, limit=page.limit + 1, before_id=before)
    shown = found[: page.limit]
    log = attempts_for(message_ids=[m.pk for m in shown])
    items = []
    for message in shown:
        attempts = log.get(message.pk, [])
        items.append(
            {
                "id": message.pk,
                "event_id": message.event_id,
                "kind": message.template,
                "status": message.status,
                "attempts": message.attempts,
                "response_code": attempts[-1].status_code if attempts else None,
                "last_error": message.last_error,
                "created_at": message.created_at,
                "sent_at": message.sent_at,
                "log": [
                    {
                        "at": a.at,
                        "outcome": a.outcome,
                        "response_code": a.status_code,
                        "duration_ms": a.duration_ms,
                    }
                    for a in attempts
                ],
            }
        )
    more = len(found) > page.limit
    return {"items": items, "next_cursor": id_cursor_encode(shown[-1].pk) if more else None}
