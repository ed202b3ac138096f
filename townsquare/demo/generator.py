"""Realistic synthetic cases: real Boston 2015 timings and outcomes, placed inside our councils.

Each generated case copies one real Boston record's category mapping, time of year, day of week,
hour, time to close and outcome, shifted by whole weeks into the recent past and placed at a
random point inside a council (weighted by population), in the ward that holds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3
import numpy as np
import shapely
from shapely.geometry import shape

from townsquare.cases.bulk import CaseSpec
from townsquare.cases.sla import due_times
from townsquare.catalogue import dates
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.workflow import Workflow
from townsquare.councils.models import Area, Council, Team

DATA_DIR = Path(__file__).resolve().parent / "data"
BOSTON_SAMPLE = DATA_DIR / "boston311_2015_sample.csv"
BOSTON_TZ = ZoneInfo("America/New_York")

DESCRIPTIONS = [
    "Reported by a resident walking past.",
    "This has been here for over a week now.",
    "Please can someone look at this as soon as possible.",
    "It is getting worse and is a danger to people walking by.",
    "Outside the shops, near the bus stop.",
    "Second time I have reported this.",
    "",
]


@dataclass(frozen=True)
class BostonRecord:
    service_code: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    channel: str


def load_boston_sample(path: Path = BOSTON_SAMPLE) -> list[BostonRecord]:
    records = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            opened = dt.datetime.fromisoformat(row["opened_at"]).replace(tzinfo=BOSTON_TZ)
            closed = (
                dt.datetime.fromisoformat(row["closed_at"]).replace(tzinfo=BOSTON_TZ)
                if row["closed_at"] and row["status"] == "closed"
                else None
            )
            if closed is not None and closed < opened:
                closed = None
            records.append(
                BostonRecord(
                    row["service_code"],
                    opened.astimezone(dt.UTC),
                    closed.astimezone(dt.UTC) if closed else None,
                    row["channel"] or "web",
                )
            )
    return records


@dataclass
class _ServiceInfo:
    service: ServiceTemplate
    workflow: Workflow
    document: dict[str, Any]
    closed_state: str
    open_states: list[str]
    team_id: int | None


def _service_info(service: ServiceTemplate, teams: dict[str, int]) -> _ServiceInfo:
    document = service.current_version.document
    workflow = Workflow(document["workflow"])
    closed = next(
        (c for c, s in workflow.states.items() if s.fms == "fixed"),
        next(iter(sorted(workflow.closed_states))),
    )
    open_states = [c for c, s in workflow.states.items() if not s.is_closed] or [workflow.initial]
    return _ServiceInfo(
        service, workflow, document, closed, open_states, teams.get(document["routing"]["team"])
    )


def _sample_values(
    fields: list[dict[str, Any]], rng: random.Random, when: dt.datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        if field.get("show_if") or field.get("automated"):
            continue
        if not field.get("required") and rng.random() < 0.5:
            continue
        datatype = field["datatype"]
        if datatype == "singlevaluelist":
            values[field["code"]] = rng.choice(field["values"])["key"]
        elif datatype == "multivaluelist":
            values[field["code"]] = [rng.choice(field["values"])["key"]]
        elif datatype == "number":
            low = field.get("min", 1)
            values[field["code"]] = int(min(max(low, 1), field.get("max", 10)))
        elif datatype == "datetime":
            values[field["code"]] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif datatype == "date":
            # Inside the question's own bounds as they stood on the day of the case.
            earliest, latest = dates.bounds_of(field, when.date())
            low = earliest or when.date() - dt.timedelta(days=3650)
            high = latest or when.date()
            day = low + dt.timedelta(days=rng.randint(0, max(0, (high - low).days)))
            values[field["code"]] = day.isoformat()
        elif datatype == "postcode":
            values[field["code"]] = "BS1 5TR"
        else:
            values[field["code"]] = "Not given"
    return values


class _CouncilPlacer:
    """Random points inside a council, with the ward of each, drawn in vectorised blocks."""

    def __init__(self, council: Council, rng: np.random.Generator) -> None:
        self.geometry = shape(council.boundary)
        shapely.prepare(self.geometry)
        self.bounds = (council.min_lng, council.min_lat, council.max_lng, council.max_lat)
        self.areas = [(a.id, shape(a.boundary)) for a in Area.objects.filter(council=council)]
        for _, geometry in self.areas:
            shapely.prepare(geometry)
        self.rng = rng
        self._buffer: list[tuple[float, float, int | None]] = []

    def _refill(self, wanted: int) -> None:
        min_x, min_y, max_x, max_y = self.bounds
        while len(self._buffer) < wanted:
            n = max(4096, int((wanted - len(self._buffer)) * 1.8))
            xs = self.rng.uniform(min_x, max_x, n)
            ys = self.rng.uniform(min_y, max_y, n)
            inside = shapely.contains_xy(self.geometry, xs, ys)
            xs, ys = xs[inside], ys[inside]
            area_ids = np.full(len(xs), -1, dtype=np.int64)
            for area_id, geometry in self.areas:
                hit = (area_ids == -1) & shapely.contains_xy(geometry, xs, ys)
                area_ids[hit] = area_id
            self._buffer.extend(
                (float(y), float(x), int(a) if a >= 0 else None)
                for x, y, a in zip(np.round(xs, 6), np.round(ys, 6), area_ids, strict=True)
            )

    def take(self) -> tuple[float, float, int | None]:
        if not self._buffer:
            self._refill(20_000)
        return self._buffer.pop()


def generate_case_specs(
    *,
    count: int,
    councils: list[Council],
    seed: int = 2015,
    years: int = 1,
    now: dt.datetime | None = None,
    records: list[BostonRecord] | None = None,
) -> Iterator[CaseSpec]:
    """Yield `count` cases spread over `councils` (weighted by their `population` setting)."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    now = now or dt.datetime.now(dt.UTC)
    records = records if records is not None else load_boston_sample()
    weights = [float(c.settings.get("population", 100_000)) for c in councils]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    placers = {c.id: _CouncilPlacer(c, np_rng) for c in councils}
    infos: dict[int, dict[str, _ServiceInfo]] = {}
    for council in councils:
        teams = dict(Team.objects.filter(council=council).values_list("code", "id"))
        infos[council.id] = {
            s.code: _service_info(s, teams)
            for s in ServiceTemplate.objects.select_related("current_version").filter(
                council=council, kind="report", current_version__isnull=False
            )
        }
    usable = [r for r in records if all(r.service_code in infos[c.id] for c in councils)]
    if not usable:
        raise ValueError("None of the sample's categories is a service of every council")
    latest = max(r.opened_at for r in usable)
    # Whole weeks keep each record's weekday and hour; the newest record lands in the last week.
    base_shift = dt.timedelta(weeks=max(0, (now - latest).days // 7))
    for _ in range(count):
        record = rng.choice(usable)
        council = rng.choices(councils, cum_weights=cumulative)[0]
        info = infos[council.id][record.service_code]
        shift = base_shift - dt.timedelta(weeks=52 * rng.randrange(years))
        created = record.opened_at + shift
        closed = record.closed_at + shift if record.closed_at else None
        if closed is not None and closed > now:
            closed = None
        if closed is not None:
            state, updated = info.closed_state, closed
        else:
            state = (
                info.workflow.initial if (now - created).days < 2 else rng.choice(info.open_states)
            )
            updated = (
                created
                if state == info.workflow.initial
                else min(now, created + dt.timedelta(hours=rng.uniform(1, 72)))
            )
        lat, lng, area_id = placers[council.id].take()
        response_due, resolve_due = due_times(info.document["sla"], created)
        yield CaseSpec(
            council_id=council.id,
            reference_prefix=council.reference_prefix,
            service_id=info.service.id,
            service_version_id=info.service.current_version_id,
            service_code=info.service.code,
            kind="report",
            initial_state=info.workflow.initial,
            state=state,
            is_open=closed is None,
            is_public=info.document["privacy"] == "public",
            created_at=created,
            updated_at=updated,
            closed_at=closed,
            responded_at=updated if state != info.workflow.initial else None,
            response_due_at=response_due,
            resolve_due_at=resolve_due,
            values=_sample_values(info.document["fields"], rng, created),
            title=info.service.name,
            description=rng.choice(DESCRIPTIONS),
            lat=lat,
            lng=lng,
            h3=(
                h3.latlng_to_cell(lat, lng, 7),
                h3.latlng_to_cell(lat, lng, 9),
                h3.latlng_to_cell(lat, lng, 11),
            ),
            area_id=area_id,
            team_id=info.team_id,
            channel=record.channel,
            reporter_email=f"resident{rng.randrange(1, 50_000)}@example.org"
            if rng.random() < 0.6
            else "",
        )
