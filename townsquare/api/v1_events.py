"""REST API v1: the council's audit trail as a feed for data warehouses (ADR 155). The same
events the staff audit page shows its council admins (cases.audit), oldest first by id, with
a cursor that is never null: keep it and ask again for what happened since."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Schema
from pydantic import AfterValidator

from townsquare.api.http import key_of, principal
from townsquare.api.paging import id_cursor_decode, id_cursor_encode
from townsquare.api.v1 import ADMIN, ERRORS, Rfc3339, Time, api
from townsquare.cases.audit import AuditFilter, audit_events_after


def _in_utc(value: dt.datetime | None) -> dt.datetime | None:
    # 0001-01-01T00:00:00+14:00 is RFC 3339 but before the first day in UTC, which the
    # database compares in: refused as a wrong time, not a failure.
    if value is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("Give a time between the years 1 and 9999 in UTC") from None
    return value


Since = Annotated[Rfc3339, AfterValidator(_in_utc)]

# Actors whose name is a resident's: shown only to keys that read personal data.
_RESIDENTS = ("citizen", "anonymous")


class EventQuery(Schema):
    after: str | None = Field(
        None, max_length=200, description="The `next_cursor` of your last page; none to start"
    )
    limit: int = Field(100, ge=1, le=1000)
    type: str | None = Field(
        None,
        max_length=40,
        pattern=r"^[a-z0-9_.]+$",
        description="Only events whose kind starts with this: case.transitioned, or case. "
        "for every case event (as the staff audit page filters)",
    )
    since: Since | None = Field(None, description="Only events from this time on (RFC 3339)")


class EventOut(Schema):
    id: int = Field(description="Increasing in the order events were committed")
    kind: str
    at: Time
    stream: str = Field(description="What it is about: case, council, user, service...")
    stream_id: int
    reference: str | None = Field(description="The case's reference, for events about a case")
    visibility: str = Field(description="public or internal")
    actor_kind: str
    actor: str
    actor_user_id: int | None = Field(description="null when withheld from this key")
    payload: dict[str, Any]


class EventPageOut(Schema):
    items: list[EventOut]
    next_cursor: str = Field(
        description="Pass as `after` next time: after the last event here, or the cursor you "
        "sent when there was nothing new. Never null: a feed has no last page"
    )
    has_more: bool = Field(description="true when more events are there already")


@api.get(
    "/events",
    auth=ADMIN,
    response={200: EventPageOut, **ERRORS},
    summary="The audit trail, as a feed",
    tags=["events"],
    operation_id="events_list",
)
def events_list(request: HttpRequest, query: Query[EventQuery]) -> Any:
    """Every event of the council's audit trail (what the staff audit page shows), oldest
    first by id. Keep `next_cursor` and pass it as `after` to get only what happened since;
    ids commit in order, so nothing is skipped. Keys without `read_personal` get the public
    events only, and residents' names as "Member of the public"."""
    who = principal(request)
    after = id_cursor_decode(query.after) if query.after else 0
    found, references = audit_events_after(
        principal=who,
        council_id=key_of(request).council_id,
        audit=AuditFilter(start=query.since, kind=query.type or ""),
        after_id=after,
        limit=query.limit + 1,
    )
    events = found[: query.limit]
    personal = who.sees_personal_data
    items = [
        {
            "id": e.id,
            "kind": e.kind,
            "at": e.created_at,
            "stream": e.stream,
            "stream_id": e.stream_id,
            "reference": references.get(e.stream_id) if e.stream == "case" else None,
            "visibility": e.visibility,
            "actor_kind": e.actor_kind,
            "actor": e.actor_label
            if personal or e.actor_kind not in _RESIDENTS
            else "Member of the public",
            "actor_user_id": e.actor_user_id if personal else None,
            "payload": e.payload or {},
        }
        for e in events
    ]
    return {
        "items": items,
        "next_cursor": id_cursor_encode(events[-1].id if events else after),
        "has_more": len(found) > query.limit,
    }
