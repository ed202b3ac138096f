"""Creating many cases at once, for demo data, scale tests and historical imports.

`case_create` is the path for anything a person or client submits; this one skips per-case
checks that the caller has already made (routing, field validation) and writes rows and their
events in large batches of raw inserts, which is what makes a million cases take seconds, not
hours. Ids and reference numbers are reserved up front, so the events can point at their cases.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max

from townsquare.cases.events import CasesBulkLoaded
from townsquare.cases.map_counts import (
    map_count_triggers_create,
    map_count_triggers_drop,
    map_counts_rebuild,
)
from townsquare.cases.models import Case, ReferenceCounter
from townsquare.core.actors import Actor
from townsquare.core.eventlog import append_event, newest_event_id
from townsquare.core.models import Event
from townsquare.core.queries import rows_insert


@dataclass
class CaseSpec:
    council_id: int
    reference_prefix: str
    service_id: int
    service_version_id: int
    service_code: str
    kind: str
    initial_state: str
    state: str
    is_open: bool
    is_public: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None
    response_due_at: dt.datetime | None = None
    resolve_due_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None
    values: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    description: str = ""
    lat: float | None = None
    lng: float | None = None
    h3: tuple[int | None, int | None, int | None] = (None, None, None)
    area_id: int | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_email: str = ""
    team_id: int | None = None
    priority: int = 3
    channel: str = "web"
    is_test: bool = False


_CASE_COLUMNS = (
    "id",
    "reference",
    "council_id",
    "service_id",
    "service_version_id",
    "kind",
    "state",
    "is_open",
    "is_public",
    "values",
    "title",
    "description",
    "status_notes",
    "lat",
    "lng",
    "address",
    "postcode",
    "location_approximate",
    "h3_r7",
    "h3_r9",
    "h3_r11",
    "area_id",
    "reporter_id",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "reporter_name_public",
    "team_id",
    "assignee_id",
    "priority",
    "channel",
    "created_at",
    "updated_at",
    "responded_at",
    "closed_at",
    "response_due_at",
    "resolve_due_at",
    "duplicate_of_id",
    "support_count",
    "media_count",
    "is_test",
    "anonymised_at",
    "revision",
)
_EVENT_COLUMNS = (
    "id",
    "kind",
    "council_id",
    "stream",
    "stream_id",
    "actor_kind",
    "actor_label",
    "actor_user_id",
    "visibility",
    "payload",
    "created_at",
)


def _batches(items: Iterable[CaseSpec], size: int) -> Iterator[list[CaseSpec]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _reserve_references(batch: list[CaseSpec]) -> list[str]:
    """Take a block of reference numbers per (council, year) and hand them out in order."""
    wanted = Counter((s.council_id, s.created_at.year % 100) for s in batch)
    next_number: dict[tuple[int, int], int] = {}
    for (council_id, year), count in wanted.items():
        ReferenceCounter.objects.get_or_create(council_id=council_id, year=year)
        ReferenceCounter.objects.filter(council_id=council_id, year=year).update(
            last_number=F("last_number") + count
        )
        last = ReferenceCounter.objects.values_list("last_number", flat=True).get(
            council_id=council_id, year=year
        )
        next_number[(council_id, year)] = last - count + 1
    references = []
    for spec in batch:
        key = (spec.council_id, spec.created_at.year % 100)
        references.append(f"{spec.reference_prefix}-{key[1]:02d}-{next_number[key]:06d}")
        next_number[key] += 1
    return references


def _reset_sequences() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (Case._meta.db_table, Event._meta.db_table):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


_INDEXED_MODELS = (Case, Event)
# Below this many new rows, keeping indexes up to date as rows arrive is cheaper than rebuilding.
DEFER_INDEXES_FROM = 100_000


def _missing_indexes() -> list[tuple[type, Any]]:
    with connection.cursor() as cursor:
        missing: list[tuple[type, Any]] = []
        for model in _INDEXED_MODELS:
            existing = connection.introspection.get_constraints(cursor, model._meta.db_table)
            missing += [(model, i) for i in model._meta.indexes if i.name not in existing]
        return missing


def restore_secondary_indexes() -> int:
    """Recreate any secondary index a bulk load dropped (after a crash, say). Idempotent."""
    missing = _missing_indexes()
    with connection.schema_editor() as editor:
        for model, index in missing:
            editor.add_index(model, index)
    return len(missing)


@contextmanager
def _secondary_indexes_deferred(enabled: bool) -> Iterator[None]:
    """Drop the secondary indexes of cases and events for a large load, rebuild them after.

    Building an index once from sorted rows is several times cheaper than updating it with a
    million random keys. The rebuild runs even when the load fails; a load killed outright leaves
    them missing until the next bulk load or `restore_secondary_indexes()` puts them back.
    """
    if not enabled:
        yield
        return
    restore_secondary_indexes()
    with connection.schema_editor() as editor:
        for model in _INDEXED_MODELS:
            for index in model._meta.indexes:
                editor.remove_index(model, index)
    # The map's counts per cell too: one GROUP BY after the load beats a trigger per row.
    map_count_triggers_drop()
    try:
        yield
    finally:
        restore_secondary_indexes()
        map_count_triggers_create()
        map_counts_rebuild()
        # Fresh statistics, so the planner knows the new shape of the tables.
        with connection.cursor() as cursor:
            for model in _INDEXED_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _datetime_adapter():
    """Fast database form of aware datetimes: what Django would write, without its per-value
    checks, which cost more than the insert itself at a million rows."""
    if connection.vendor == "sqlite":
        utc = dt.UTC

        def adapt(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is utc:  # already UTC (imports): drop the "+00:00"
                return value.isoformat(" ")[:-6]
            return value.astimezone(utc).replace(tzinfo=None).isoformat(" ")

        return adapt
    return lambda value: value


def cases_bulk_create(
    specs: Iterable[CaseSpec],
    *,
    batch_size: int = 20_000,
    actor_label: str = "Import",
    progress=None,
    expected_count: int | None = None,
) -> int:
    """Insert cases with their `case.created` (and, when moved on, `case.transitioned`) events.

    Returns the number of cases written. Each batch is one transaction, or part of the caller's
    when called inside one (no savepoint: an error fails it whole); `progress(n)` is called
    after each with the running total. When `expected_count` is large (and at least the number
    of cases already stored), secondary indexes are rebuilt after the load instead of updated.
    """
    defer = bool(
        expected_count
        and expected_count >= DEFER_INDEXES_FROM
        and expected_count >= Case.objects.count()
    )
    first_event_id = newest_event_id() + 1
    with _secondary_indexes_deferred(defer):
        written = _insert_all(
            specs, batch_size=batch_size, actor_label=actor_label, progress=progress
        )
    if written:
        # One event for the whole load, after it: its subscribers (figures, outbox) take the
        # loaded range in one bulk step here, not in small steps under later requests.
        with transaction.atomic(savepoint=False):
            append_event(
                CasesBulkLoaded(
                    first_event_id=first_event_id,
                    last_event_id=newest_event_id(),
                    cases=written,
                ),
                council_id=None,
                stream="bulk",
                stream_id=0,
                actor=Actor.system(actor_label),
            )
    return written


def _insert_all(specs: Iterable[CaseSpec], *, batch_size: int, actor_label: str, progress) -> int:
    dt_value = _datetime_adapter()
    total = 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Random keys (H3 cells, times) land all over the indexes; a page cache that holds
            # them (1 GB at most, this connection only) keeps a million inserts off the disk.
            cursor.execute("PRAGMA cache_size=-1000000")
    for batch in _batches(specs, batch_size):
        # No savepoint when the caller holds a transaction already (the import writes its
        # records in the same one): on SQLite, inserts that fire a trigger (the map's counts)
        # inside a savepoint slow down with the size of the database, 20x for 40,000 cases.
        # An error still rolls back the caller's whole transaction.
        with transaction.atomic(savepoint=False):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Explicit ids below: keep concurrent writers out until this batch commits.
                    cursor.execute("LOCK TABLE cases_case, core_event IN EXCLUSIVE MODE")
            case_id = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            event_id = (Event.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            references = _reserve_references(batch)
            case_rows, event_rows = [], []
            for spec, reference in zip(batch, references, strict=True):
                created = dt_value(spec.created_at)
                updated = dt_value(spec.updated_at)
                case_rows.append(
                    (
                        case_id,
                        reference,
                        spec.council_id,
                        spec.service_id,
                        spec.service_version_id,
                        spec.kind,
                        spec.state,
                        spec.is_open,
                        spec.is_public,
                        json.dumps(spec.values) if spec.values else "{}",
                        spec.title,
                        spec.description,
                        "",
                        spec.lat,
                        spec.lng,
                        spec.address,
                        "",
                        False,
                        spec.h3[0],
                        spec.h3[1],
                        spec.h3[2],
                        spec.area_id,
                        None,
                        spec.reporter_name,
                        spec.reporter_email,
                        "",
                        False,
                        spec.team_id,
                        None,
                        spec.priority,
                        spec.channel,
                        created,
                        updated,
                        dt_value(spec.responded_at),
                        dt_value(spec.closed_at),
                        dt_value(spec.response_due_at),
                        dt_value(spec.resolve_due_at),
                        None,
                        0,
                        0,
                        spec.is_test,
                        None,
                        1,
                    )
                )
                event_rows.append(
                    (
                        event_id,
                        "case.created",
                        spec.council_id,
                        "case",
                        case_id,
                        "system",
                        actor_label,
                        None,
                        "public",
                        # Ids, references, codes and states are [A-Za-z0-9_-]: no escaping needed.
                        f'{{"case_id": {case_id}, "reference": "{reference}", '
                        f'"service_code": "{spec.service_code}", "state": "{spec.initial_state}"}}',
                        created,
                    )
                )
                event_id += 1
                if spec.state != spec.initial_state:
                    event_rows.append(
                        (
                            event_id,
                            "case.transitioned",
                            spec.council_id,
                            "case",
                            case_id,
                            "system",
                            actor_label,
                            None,
                            "public",
                            f'{{"case_id": {case_id}, "reference": "{reference}", '
                            f'"from_state": "{spec.initial_state}", "to_state": "{spec.state}", '
                            f'"message": ""}}',
                            updated,
                        )
                    )
                    event_id += 1
                case_id += 1
            rows_insert(Case._meta.db_table, _CASE_COLUMNS, case_rows)
            rows_insert(Event._meta.db_table, _EVENT_COLUMNS, event_rows)
            # Within the batch's transaction, while the tables are still locked: ordinary
            # inserts that follow must not be handed ids this batch has used.
            _reset_sequences()
        total += len(batch)
        if progress:
            progress(total)
    return total
