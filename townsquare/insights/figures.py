"""Keeping the dashboard figures up to date from the event log.

Each case contributes a `CaseFact`; its contribution to the daily and cell figures is a pure
function of the fact. When events arrive about a case, its fact is recomputed from the case row
and the difference applied, so replaying an event changes nothing, and the figures equal what
a full recount would give (tests check that). One consumer at a time advances the cursor: the
cursor moves first, conditionally, so a second process that read the same position backs off.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from townsquare.cases.models import Case
from townsquare.core.models import Event
from townsquare.councils.models import Council
from townsquare.insights.models import (
    CaseFact,
    CellFigure,
    CouncilCellFigure,
    Cursor,
    DailyFigure,
)

CURSOR = "figures"
HOTSPOT_RESOLUTION = 8
_CASE_FIELDS = (
    "id",
    "council_id",
    "service_id",
    "team_id",
    "created_at",
    "closed_at",
    "resolve_due_at",
    "h3_r9",
    "is_open",
    "is_test",
)


def council_zone(council: Council) -> ZoneInfo:
    return ZoneInfo((council.settings or {}).get("timezone") or settings.TIME_ZONE)


def _zones() -> dict[int, ZoneInfo]:
    """Each council's time zone, read afresh for each batch (a council's settings can change,
    and ids are reused in test databases)."""
    return {c.id: council_zone(c) for c in Council.objects.only("id", "settings")}


@dataclass(frozen=True)
class Fact:
    case_id: int
    council_id: int
    service_id: int
    team_id: int
    opened_on: dt.date
    closed_on: dt.date | None
    close_hours: int | None
    on_time: bool | None
    cell: int | None


def fact_from_case(row: tuple, zone: ZoneInfo) -> Fact | None:
    """What one case (a row of _CASE_FIELDS) adds to the figures; None for test cases."""
    case_id, council_id, service_id, team_id, created, closed, due, r9, is_open, is_test = row
    if is_test:
        return None
    if is_open:
        closed = None
    return Fact(
        case_id=case_id,
        council_id=council_id,
        service_id=service_id,
        team_id=team_id or 0,
        opened_on=created.astimezone(zone).date(),
        closed_on=closed.astimezone(zone).date() if closed else None,
        close_hours=max(0, int((closed - created).total_seconds() // 3600)) if closed else None,
        on_time=(closed <= due) if closed and due else None,
        cell=h3.cell_to_parent(r9, HOTSPOT_RESOLUTION) if r9 else None,
    )


def _fact_from_model(f: CaseFact) -> Fact:
    return Fact(
        f.case_id,
        f.council_id,
        f.service_id,
        f.team_id,
        f.opened_on,
        f.closed_on,
        f.close_hours,
        f.on_time,
        f.cell,
    )


DailyKey = tuple[int, dt.date, int, int]
CellKey = tuple[int, dt.date, int, int, int]


class Deltas:
    """Changes to figures, added up before they are written."""

    def __init__(self) -> None:
        self.daily: dict[DailyKey, list] = defaultdict(lambda: [0, 0, 0, 0, Counter()])
        self.cells: Counter[CellKey] = Counter()
        self.council_cells: Counter[tuple[int, dt.date, int]] = Counter()

    def add(self, fact: Fact, sign: int) -> None:
        key = (fact.council_id, fact.opened_on, fact.service_id, fact.team_id)
        self.daily[key][0] += sign
        if fact.closed_on is not None:
            closed = self.daily[(fact.council_id, fact.closed_on, fact.service_id, fact.team_id)]
            closed[1] += sign
            closed[2] += sign if fact.on_time else 0
            closed[3] += sign if fact.on_time is not None else 0
            closed[4][str(fact.close_hours)] += sign
        if fact.cell is not None:
            month = fact.opened_on.replace(day=1)
            self.cells[(fact.council_id, month, fact.service_id, fact.team_id, fact.cell)] += sign
            self.council_cells[(fact.council_id, month, fact.cell)] += sign


def _apply(deltas: Deltas) -> None:
    if deltas.daily:
        councils = {k[0] for k in deltas.daily}
        days = {k[1] for k in deltas.daily}
        existing = {
            (f.council_id, f.day, f.service_id, f.team_id): f
            for f in DailyFigure.objects.filter(council_id__in=councils, day__in=days)
        }
        new, changed = [], []
        for key, (opened, closed, on_time, with_target, hours) in deltas.daily.items():
            figure = existing.get(key)
            if figure is None:
                figure = DailyFigure(
                    council_id=key[0], day=key[1], service_id=key[2], team_id=key[3], close_hours={}
                )
                new.append(figure)
            else:
                changed.append(figure)
            figure.opened += opened
            figure.closed += closed
            figure.closed_on_time += on_time
            figure.closed_with_target += with_target
            merged = Counter(figure.close_hours)
            merged.update(hours)
            figure.close_hours = {h: n for h, n in merged.items() if n}
        DailyFigure.objects.bulk_create(new, batch_size=2000)
        DailyFigure.objects.bulk_update(
            changed,
            ["opened", "closed", "closed_on_time", "closed_with_target", "close_hours"],
            batch_size=500,
        )
    _apply_counts(
        CellFigure, ("council_id", "month", "service_id", "team_id", "cell"), deltas.cells
    )
    _apply_counts(CouncilCellFigure, ("council_id", "month", "cell"), deltas.council_cells)


def _apply_counts(model, key_fields: tuple[str, ...], deltas: Counter) -> None:
    """Add `deltas` (key tuple -> change in `opened`) to the rows of `model`."""
    deltas = Counter({k: v for k, v in deltas.items() if v})
    if not deltas:
        return
    councils = {k[0] for k in deltas}
    months = {k[1] for k in deltas}
    existing = {
        tuple(getattr(row, f) for f in key_fields): row
        for row in model.objects.filter(council_id__in=councils, month__in=months)
    }
    new, changed = [], []
    for key, count in deltas.items():
        row = existing.get(key)
        if row is None:
            new.append(model(opened=count, **dict(zip(key_fields, key, strict=True))))
        else:
            row.opened += count
            changed.append(row)
    model.objects.bulk_create(new, batch_size=2000)
    model.objects.bulk_update(changed, ["opened"], batch_size=500)


def _facts_for_cases(case_ids: Iterable[int]) -> dict[int, Fact | None]:
    facts: dict[int, Fact | None] = {}
    zones = _zones()
    ids = list(case_ids)
    for start in range(0, len(ids), 5000):
        for row in Case.objects.filter(id__in=ids[start : start + 5000]).values_list(*_CASE_FIELDS):
            facts[row[0]] = fact_from_case(row, zones[row[1]])
    return facts


def facts_refresh(case_ids: set[int]) -> None:
    """Bring the facts (and so the figures) of these cases up to date. Call in a transaction
    that holds the figures cursor."""
    new = _facts_for_cases(case_ids)
    old = {f.case_id: _fact_from_model(f) for f in CaseFact.objects.filter(case_id__in=case_ids)}
    deltas = Deltas()
    gone, added = [], []
    for case_id in case_ids:
        before, after = old.get(case_id), new.get(case_id)
        if before == after:
            continue
        if before is not None:
            deltas.add(before, -1)
            gone.append(case_id)
        if after is not None:
            deltas.add(after, +1)
            added.append(after)
    CaseFact.objects.filter(case_id__in=gone).delete()
    CaseFact.objects.bulk_create([CaseFact(**f.__dict__) for f in added], batch_size=5000)
    _apply(deltas)


def figures_position() -> int:
    return Cursor.objects.filter(name=CURSOR).values_list("last_event_id", flat=True).first() or 0


def figures_catch_up(*, batch: int = 5000, rounds: int = 1000) -> int:
    """Handle case events the figures have not seen yet; returns how many were handled."""
    handled = 0
    for _ in range(rounds):
        position = figures_position()
        events = list(
            Event.objects.filter(id__gt=position)
            .order_by("id")
            .values_list("id", "stream", "stream_id")[:batch]
        )
        if not events:
            break
        last = events[-1][0]
        with transaction.atomic():
            Cursor.objects.get_or_create(name=CURSOR)
            moved = Cursor.objects.filter(name=CURSOR, last_event_id=position).update(
                last_event_id=last
            )
            if not moved:
                break  # another process is handling these
            facts_refresh({stream_id for _, stream, stream_id in events if stream == "case"})
        handled += len(events)
        if len(events) < batch:
            break
    return handled


def figures_bulk_catch_up(*, cases: int) -> int:
    """After a bulk load of `cases` cases: every event counted, by the loading process, outside
    any request. A load as large as what is counted already is recounted in one pass (adding it
    event by event updates the same daily rows again and again: at 100,000 generated cases on a
    loaded machine that took over ten minutes); a smaller one is caught up in large batches."""
    if cases >= CaseFact.objects.count():
        return figures_rebuild()
    return figures_catch_up(batch=50_000, rounds=1_000_000)


def figures_rebuild() -> int:
    """Recount every figure from the cases (after a bulk load, or to check). Returns the number
    of cases counted."""
    with transaction.atomic():
        Cursor.objects.get_or_create(name=CURSOR)
        # Events up to here are covered by the recount; later ones are replayed (harmlessly).
        last = Event.objects.aggregate(m=Max("id"))["m"] or 0
        Cursor.objects.filter(name=CURSOR).update(last_event_id=last)
        CaseFact.objects.all().delete()
        DailyFigure.objects.all().delete()
        CellFigure.objects.all().delete()
        CouncilCellFigure.objects.all().delete()
        counted = 0
        zones = _zones()
        deltas = Deltas()
        batch: list[CaseFact] = []
        for row in Case.objects.values_list(*_CASE_FIELDS).iterator(chunk_size=10_000):
            fact = fact_from_case(row, zones[row[1]])
            if fact is None:
                continue
            deltas.add(fact, +1)
            batch.append(CaseFact(**fact.__dict__))
            counted += 1
            if len(batch) >= 10_000:
                CaseFact.objects.bulk_create(batch)
                batch = []
        CaseFact.objects.bulk_create(batch)
        _apply(deltas)
    return counted
