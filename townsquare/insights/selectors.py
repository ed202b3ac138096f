"""Dashboard figures for a council, read from the maintained figures (never from every case).

`dashboard_get` first catches the figures up with the event log (usually nothing to do: one
indexed query), then reads the period's daily rows. Results are memoised per filter and figures
position, so a dashboard read again before anything changes costs one query.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import h3.api.basic_int as h3
from django.db.models import Max, Min, Q, Sum

from townsquare.catalogue.models import ServiceTemplate
from townsquare.core.caching import MemoCache
from townsquare.councils.models import Council, Team
from townsquare.insights.figures import council_zone, figures_catch_up, figures_position
from townsquare.insights.models import Anomaly, CellFigure, CouncilCellFigure, DailyFigure


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    service_id: int | None = None
    team_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def last_year(self) -> Filters:
        return Filters(
            _year_before(self.start), _year_before(self.end), self.service_id, self.team_id
        )


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Totals:
    opened: int = 0
    closed: int = 0
    closed_on_time: int = 0
    closed_with_target: int = 0
    hours: Counter = field(default_factory=Counter)

    @property
    def sla_percent(self) -> float | None:
        if not self.closed_with_target:
            return None
        return 100.0 * self.closed_on_time / self.closed_with_target

    def percentile_hours(self, p: float) -> int | None:
        """Nearest-rank percentile of whole hours to close: the smallest value that at least
        p% of closed cases are at or under."""
        # Keys are hours as text, as stored: summing histograms stays in C (Counter.update).
        total = sum(self.hours.values())
        if not total:
            return None
        rank = max(1, math.ceil(p / 100 * total))
        seen = 0
        for hours in sorted(self.hours, key=int):
            seen += self.hours[hours]
            if seen >= rank:
                return int(hours)
        return None

    @property
    def median_hours(self) -> int | None:
        return self.percentile_hours(50)

    @property
    def p90_hours(self) -> int | None:
        return self.percentile_hours(90)


@dataclass
class CategoryRow:
    service_id: int
    name: str
    opened: int
    closed: int
    median_hours: int | None
    p90_hours: int | None
    sla_percent: float | None
    opened_last_year: int


@dataclass
class Dashboard:
    council: Council
    filters: Filters
    data_start: dt.date | None
    data_end: dt.date | None
    totals: Totals
    last_year: Totals
    daily: list[tuple[dt.date, int, int]]  # day, opened, closed
    weekly: list[tuple[dt.date, int]]  # Monday, opened
    backlog: list[tuple[dt.date, int]]  # end of day, open cases
    categories: list[CategoryRow]
    cells: list[tuple[str, int]]  # H3 cell (hex string), opened
    cell_months: tuple[dt.date, dt.date] | None
    anomalies: list[Anomaly]
    services: list[tuple[int, str]]
    teams: list[tuple[int, str]]
    # Whatever pages derive from these figures (rendered charts), kept with them: a dashboard
    # is memoised until its figures change, and so is everything drawn from it.
    derived: dict = field(default_factory=dict)


def data_range(*, council: Council) -> tuple[dt.date | None, dt.date | None]:
    bounds = DailyFigure.objects.filter(council_id=council.id, opened__gt=0).aggregate(
        first=Min("day"), last=Max("day")
    )
    return bounds["first"], bounds["last"]


def default_filters(*, council: Council, today: dt.date | None = None) -> Filters:
    """The last 12 months up to today, or up to the newest data when that is older (an
    imported year, say)."""
    today = today or dt.datetime.now(council_zone(council)).date()
    _first, last = data_range(council=council)
    end = min(today, last) if last else today
    return Filters(start=end - dt.timedelta(days=364), end=end)


# The longest period a dashboard covers, and the earliest day it can start.
MAX_DAYS = 3 * 366
EARLIEST_DAY = dt.date(1900, 1, 1)


def dashboard_filters(
    *,
    defaults: Filters,
    services: set[int],
    teams: set[int],
    start: dt.date | None = None,
    end: dt.date | None = None,
    service_id: int | None = None,
    team_id: int | None = None,
) -> tuple[Filters, dict[str, str]]:
    """The filters asked for, checked as every view of the dashboard checks them (the staff
    page and the REST API): a period of at most three years, the start not after the end, one
    of the council's services and teams, no day before 1900. What fails is left at its
    default, with the reason by field (start, end, service, team)."""
    errors: dict[str, str] = {}
    first, last = start or defaults.start, end or defaults.end
    for name, day in (("start", first), ("end", last)):
        # Every figure is compared with the year before: year 1 has none (date.replace fails).
        if day < EARLIEST_DAY:
            errors[name] = f"Enter a date from {EARLIEST_DAY.year} on"
    if errors:
        first, last = defaults.start, defaults.end
    if first > last:
        errors["start"] = "The start date must be on or before the end date"
    elif (last - first).days >= MAX_DAYS:
        errors["start"] = "Choose a period of at most three years"
    if errors:
        first, last = defaults.start, defaults.end
    if service_id is not None and service_id not in services:
        errors["service"] = "Choose a service from the list"
        service_id = None
    if team_id is not None and team_id not in teams:
        errors["team"] = "Choose a team from the list"
        team_id = None
    return Filters(first, last, service_id, team_id), errors


def _scope(qs, filters: Filters):
    if filters.service_id:
        qs = qs.filter(service_id=filters.service_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    return qs


# Dashboards by (council, filters, figures position): a new event moves the position, so an
# entry is never stale; bounded, and forgotten between tests (core.caching.invalidate_all).
_memo: MemoCache[Dashboard] = MemoCache(
    load=lambda keys: {key: _dashboard_build(key[0], key[1]) for key in keys}, size=64
)


# What a dashboard view may catch up itself: the few events since the background refresh ran
# (one batch, bounded); a bulk load is caught up by the loading process (ADR 223), and anything
# more by the refresh task, never by a request.
REQUEST_CATCH_UP_EVENTS = 2_000


def dashboard_get(*, council: Council, filters: Filters) -> Dashboard:
    figures_catch_up(batch=REQUEST_CATCH_UP_EVENTS, rounds=1)
    key = (council, filters, figures_position())
    return _memo.get_many({key})[key]


def _dashboard_build(council: Council, filters: Filters) -> Dashboard:
    last_year = filters.last_year()
    rows = _scope(DailyFigure.objects.filter(council_id=council.id), filters)
    names = dict(ServiceTemplate.objects.filter(council=council).values_list("id", "name"))
    in_period = rows.filter(
        Q(day__gte=last_year.start, day__lte=last_year.end)
        | Q(day__gte=filters.start, day__lte=filters.end)
    )
    totals, previous = Totals(), Totals()
    by_service: dict[int, Totals] = {}
    by_service_last_year: Counter = Counter()
    daily: dict[dt.date, list[int]] = {}
    for day, service_id, opened, closed, on_time, with_target, hours in in_period.values_list(
        "day",
        "service_id",
        "opened",
        "closed",
        "closed_on_time",
        "closed_with_target",
        "close_hours",
    ):
        if day >= filters.start:
            t = by_service.get(service_id)
            if t is None:
                t = by_service[service_id] = Totals()
            counts = daily.setdefault(day, [0, 0])
            counts[0] += opened
            counts[1] += closed
        else:
            t = previous
            by_service_last_year[service_id] += opened
        t.opened += opened
        t.closed += closed
        t.closed_on_time += on_time
        t.closed_with_target += with_target
        if hours:
            t.hours.update(hours)
    for t in by_service.values():
        totals.opened += t.opened
        totals.closed += t.closed
        totals.closed_on_time += t.closed_on_time
        totals.closed_with_target += t.closed_with_target
        totals.hours.update(t.hours)
    days = [filters.start + dt.timedelta(days=i) for i in range(filters.days)]
    daily_series = [(d, *daily.get(d, (0, 0))) for d in days]
    weekly: dict[dt.date, int] = {}
    for d, opened, _closed in daily_series:
        monday = d - dt.timedelta(days=d.weekday())
        weekly[monday] = weekly.get(monday, 0) + opened
    before = rows.filter(day__lt=filters.start).aggregate(o=Sum("opened"), c=Sum("closed"))
    open_now = (before["o"] or 0) - (before["c"] or 0)
    backlog = []
    for d, opened, closed in daily_series:
        open_now += opened - closed
        backlog.append((d, open_now))
    categories = sorted(
        (
            CategoryRow(
                service_id=sid,
                name=names.get(sid, "?"),
                opened=t.opened,
                closed=t.closed,
                median_hours=t.median_hours,
                p90_hours=t.p90_hours,
                sla_percent=t.sla_percent,
                opened_last_year=by_service_last_year[sid],
            )
            for sid, t in by_service.items()
        ),
        key=lambda c: (-c.opened, c.name),
    )
    month_from, month_to = filters.start.replace(day=1), filters.end.replace(day=1)
    if filters.service_id or filters.team_id is not None:
        cell_rows = _scope(
            CellFigure.objects.filter(
                council_id=council.id, month__gte=month_from, month__lte=month_to
            ),
            filters,
        )
    else:
        cell_rows = CouncilCellFigure.objects.filter(
            council_id=council.id, month__gte=month_from, month__lte=month_to
        )
    cells = cell_rows.values_list("cell").annotate(n=Sum("opened")).order_by("-n")
    first, last = data_range(council=council)
    anomalies = list(
        _scope(Anomaly.objects.filter(council_id=council.id), filters).order_by("-window_end")[:10]
    )
    for anomaly in anomalies:
        anomaly.service_name = names.get(anomaly.service_id, "")
        lat, lng = h3.cell_to_latlng(anomaly.cell)
        anomaly.centre = f"{lat:.4f}, {lng:.4f}"
    services = sorted(names.items(), key=lambda item: item[1])
    teams = list(Team.objects.filter(council=council).values_list("id", "name"))
    return Dashboard(
        council=council,
        filters=filters,
        data_start=first,
        data_end=last,
        totals=totals,
        last_year=previous,
        daily=daily_series,
        weekly=sorted(weekly.items()),
        backlog=backlog,
        categories=categories,
        cells=[(h3.int_to_str(cell), n) for cell, n in cells if n],
        cell_months=(month_from, month_to),
        anomalies=anomalies,
        services=services,
        teams=teams,
    )


@dataclass(frozen=True)
class PublicCategory:
    name: str
    opened: int
    closed: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class Performance:
    start: dt.date
    end: dt.date
    categories: list[PublicCategory]
    opened: int
    closed: int
    median_days: float | None
    p90_days: float | None


def _days(hours: int | None) -> float | None:
    return None if hours is None else round(hours / 24, 1)


def performance_get(*, council: Council) -> Performance:
    """The public performance page: each public service's volume and typical time to fix over
    the last 12 months of data. Private services are left out of every figure."""
    filters = default_filters(council=council)
    dashboard = dashboard_get(council=council, filters=filters)
    public = set(
        ServiceTemplate.objects.filter(council=council, privacy="public").values_list(
            "id", flat=True
        )
    )
    totals = Totals()
    for sid in public:
        # Totals over public services only, from the same daily figures.
        row = next((c for c in dashboard.categories if c.service_id == sid), None)
        if row is not None:
            totals.opened += row.opened
            totals.closed += row.closed
    hours = Counter()
    for day_row in _scope(
        DailyFigure.objects.filter(
            council_id=council.id,
            service_id__in=public,
            day__gte=filters.start,
            day__lte=filters.end,
        ),
        filters,
    ).values_list("close_hours", flat=True):
        hours.update(day_row)
    totals.hours = hours
    return Performance(
        start=filters.start,
        end=filters.end,
        categories=[
            PublicCategory(c.name, c.opened, c.closed, _days(c.median_hours), _days(c.p90_hours))
            for c in dashboard.categories
            if c.service_id in public
        ],
        opened=totals.opened,
        closed=totals.closed,
        median_days=_days(totals.median_hours),
        p90_days=_days(totals.p90_hours),
    )
