"""The event log: append typed events inside a transaction, publish them after it commits.

Usage from a domain service::

    with transaction.atomic():
        ...change rows...
        append_event(CaseCreated(...), council_id=..., stream="case", stream_id=case.id,
                     actor=actor)

Subscribers are registered at start-up (in an AppConfig.ready) with `subscribe`; they receive the
typed event and the stored row, only after the transaction commits, and never for a rollback.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import connection, transaction

from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.models import Event, Visibility

log = logging.getLogger(__name__)

# Any constant will do: it names the one lock that serialises event appends on PostgreSQL.
_EVENT_APPEND_LOCK = 731_100_001


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base for typed events. Subclasses are frozen dataclasses with JSON-friendly fields."""

    kind: ClassVar[str] = "event"
    visibility: ClassVar[str] = Visibility.PUBLIC

    def payload(self) -> dict[str, Any]:
        # Shallow on purpose: fields hold JSON values, and asdict's deep copy is slow on the
        # hot path of every change.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


Handler = Callable[[DomainEvent, Event], None]


class EventBus:
    """In-process publish/subscribe keyed by event class."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
        self._in_transaction: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe_in_transaction(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler not in self._in_transaction[event_type]:
            self._in_transaction[event_type].append(handler)

    def handle_in_transaction(self, event: DomainEvent, record: Event) -> None:
        for event_type in type(event).__mro__:
            for handler in self._in_transaction.get(event_type, ()):
                handler(event, record)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler in self._handlers[event_type]:
            self._handlers[event_type].remove(handler)

    def publish(self, event: DomainEvent, record: Event) -> None:
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, ()):
                try:
                    handler(event, record)
                except Exception:
                    # A failing reactor must not undo a committed change nor starve the others;
                    # reactors that must not miss anything resume from the log by event id.
                    log.exception("Event handler %r failed for event %s", handler, record.id)


bus = EventBus()


def subscribe(event_type: type[DomainEvent], handler: Handler) -> None:
    bus.subscribe(event_type, handler)


def subscribe_in_transaction(event_type: type[DomainEvent], handler: Handler) -> None:
    """Run `handler` inside the appending transaction, as the event is appended: for a few rows
    that belong with the change itself (the reporter's subscription to their new case), which
    would otherwise cost a second write transaction, and a second wait for SQLite's one
    writer, on every change (ADR 222). It must be quick and only write; what it raises undoes
    the change."""
    bus.subscribe_in_transaction(event_type, handler)


# Ids must commit in order. A sequence hands out ids at insert time, so with concurrent
# transactions id 11 can commit before id 10, and a consumer that resumed after 11 would never
# see 10. On PostgreSQL each append first takes one transaction-scoped advisory lock, held until
# commit, so appends (and so their ids) commit in order; taking it inside the INSERT saves a round
# trip on every change. SQLite already serialises writers.
_PG_APPEND_SQL = (
    "INSERT INTO core_event (kind, council_id, stream, stream_id, actor_kind, actor_label, "
    "actor_user_id, visibility, payload, created_at) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, clock_timestamp() "
    "FROM (SELECT pg_advisory_xact_lock(%s)) AS serialised RETURNING id, created_at"
)


def _insert(record: Event) -> None:
    if connection.vendor != "postgresql":
        record.save(force_insert=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _PG_APPEND_SQL,
            [
                record.kind,
                record.council_id,
                record.stream,
                record.stream_id,
                record.actor_kind,
                record.actor_label,
                record.actor_user_id,
                record.visibility,
                json.dumps(record.payload),
                _EVENT_APPEND_LOCK,
            ],
        )
        # The time is read after the lock is granted, so times follow commit order as ids do.
        record.id, record.created_at = cursor.fetchone()


def append_event(
    event: DomainEvent,
    *,
    council_id: int | None,
    stream: str,
    stream_id: int,
    actor: Actor,
    visibility: str | None = None,
) -> Event:
    """Append `event` to the log. Call inside transaction.atomic(); publishes after commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("append_event must be called inside transaction.atomic()")
    record = Event(
        kind=event.kind,
        council_id=council_id,
        stream=stream,
        stream_id=stream_id,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        actor_user_id=actor.user_id,
        visibility=visibility or event.visibility,
        payload=event.payload(),
        created_at=clock.now(),
    )
    _insert(record)
    bus.handle_in_transaction(event, record)
    transaction.on_commit(lambda: bus.publish(event, record), robust=False)
    return record


def events_after(last_id: int, *, limit: int = 1000, council_id: int | None = None) -> list[Event]:
    """Events with an id above `last_id`, oldest first: how a consumer resumes."""
    qs = Event.objects.filter(id__gt=last_id)
    if council_id is not None:
        qs = qs.filter(council_id=council_id)
    return list(qs.order_by("id")[:limit])


def event_rows_after(
    last_id: int,
    *,
    fields: tuple[str, ...],
    limit: int = 1000,
    stream: str | None = None,
    stream_id: int | None = None,
    visibility: str | None = None,
    council_id: int | None = None,
) -> list[tuple]:
    """Events with an id above `last_id`, oldest first, as tuples of `fields` (no model
    instances): for readers that poll the log many times a second, such as live streams."""
    wanted = {
        "stream": stream,
        "stream_id": stream_id,
        "visibility": visibility,
        "council_id": council_id,
    }
    qs = Event.objects.filter(id__gt=last_id, **{k: v for k, v in wanted.items() if v is not None})
    return list(qs.order_by("id").values_list(*fields)[:limit])


def newest_event_id() -> int:
    """The id of the newest event in the log (0 when it is empty)."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
