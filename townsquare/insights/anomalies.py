"""Anomaly alerts: per service and area (an H3 cell of the hotspot map), the reports of the last
hour against what is expected for that service, hour of the week, season and area.

The expectation multiplies three things learned from history (rules.Expectation): the service's
daily level over the last eight weeks (which follows the season), the share of a week's reports
that fall in this hour of the week, and the area's share of the service's reports over the last
year. An alert is raised when the count is at least rules.MIN_COUNT and would happen by chance
less than once in rules.RARITY such hours (Poisson). Each alert is stored once per service and
area while it lasts, and announced with an AnomalyDetected event for messaging to tell the team.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import h3.api.basic_int as h3
from django.db import transaction
from django.db.models import Sum

from townsquare.cases.models import Case
from townsquare.catalogue.models import ServiceTemplate
from townsquare.core.actors import Actor
from townsquare.core.eventlog import append_event
from townsquare.councils.models import Council
from townsquare.insights import rules
from townsquare.insights.events import AnomalyDetected
from townsquare.insights.figures import HOTSPOT_RESOLUTION, council_zone
from townsquare.insights.models import Anomaly, CellFigure, DailyFigure

WINDOW = dt.timedelta(hours=1)
# Staff logging their own work (a crew entering a morning's jobs) is not a spike of reports.
STAFF_CHANNEL = "staff"
LEVEL_DAYS = 56


@dataclass(frozen=True)
class Finding:
    service_id: int
    cell: int
    count: int
    expectation: rules.Expectation
    probability: float


def _expectation(
    council: Council, service_id: int, cell: int, start: dt.datetime
) -> rules.Expectation:
    zone = council_zone(council)
    today = start.astimezone(zone).date()
    level_from = today - dt.timedelta(days=LEVEL_DAYS)
    daily = DailyFigure.objects.filter(
        council_id=council.id, service_id=service_id, day__gte=level_from, day__lt=today
    )
    first = daily.order_by("day").values_list("day", flat=True).first()
    days = (today - first).days if first else 0
    level = (daily.aggregate(n=Sum("opened"))["n"] or 0) / days if days else 0.0

    year_ago = start - dt.timedelta(days=365)
    # The hour-of-week profile is of public reports only, like the counts it explains.
    hours = Counter()
    for created in (
        Case.objects.filter(
            council_id=council.id,
            service_id=service_id,
            created_at__gte=year_ago,
            created_at__lt=start,
            is_test=False,
        )
        .exclude(channel=STAFF_CHANNEL)
        .values_list("created_at", flat=True)
    ):
        local = created.astimezone(zone)
        hours[(local.weekday(), local.hour)] += 1
    local_start = start.astimezone(zone)
    hour_share = rules.hour_share(
        hours[(local_start.weekday(), local_start.hour)], sum(hours.values())
    )

    month_from = (today - dt.timedelta(days=365)).replace(day=1)
    cells = CellFigure.objects.filter(
        council_id=council.id, month__gte=month_from, month__lte=today
    )
    by_cell = Counter(
        dict(
            cells.filter(service_id=service_id)
            .values_list("cell")
            .annotate(n=Sum("opened"))
            .values_list("cell", "n")
        )
    )
    areas = cells.values("cell").distinct().count()
    share = rules.area_share(by_cell.get(cell, 0), sum(by_cell.values()), areas)
    return rules.Expectation(
        daily_level=level,
        hour_of_week_share=hour_share,
        area_share=share,
        window_hours=WINDOW.total_seconds() / 3600,
    )


def anomalies_find(*, council: Council, at: dt.datetime) -> list[Finding]:
    """Services and areas with unusually many reports in the hour up to `at` (reads only)."""
    start = at - WINDOW
    counts = Counter(
        (service_id, h3.cell_to_parent(r9, HOTSPOT_RESOLUTION))
        for service_id, r9 in Case.objects.filter(
            council_id=council.id,
            created_at__gt=start,
            created_at__lte=at,
            is_test=False,
            h3_r9__isnull=False,
        )
        .exclude(channel=STAFF_CHANNEL)
        .values_list("service_id", "h3_r9")
    )
    findings = []
    for (service_id, cell), count in counts.items():
        if count < rules.MIN_COUNT:
            continue  # cheap: most hours end here without reading any history
        expectation = _expectation(council, service_id, cell, start)
        if rules.is_anomaly(count, expectation.expected):
            findings.append(
                Finding(
                    service_id,
                    cell,
                    count,
                    expectation,
                    rules.unusualness(count, expectation.expected),
                )
            )
    return findings


def explanation(
    *, count: int, expected: float, probability: float, service_name: str, window_end: dt.datetime
) -> str:
    return (
        f"{count} {service_name} reports in one area in the hour to "
        f"{window_end:%H:%M on %d %b %Y}; about {expected:.2f} expected for this area, "
        f"service, hour of the week and season. That many would happen by chance "
        f"{rules.rarity_text(probability)}."
    )


def anomalies_detect(*, council: Council, at: dt.datetime) -> list[Anomaly]:
    """Find anomalies at `at`, store the new ones and announce each with an event. An alert
    still running (same service and area within the hour) is updated, not repeated."""
    stored = []
    zone = council_zone(council)
    for finding in anomalies_find(council=council, at=at):
        service = ServiceTemplate.objects.get(id=finding.service_id)
        expected = finding.expectation.expected
        with transaction.atomic():
            running = (
                Anomaly.objects.select_for_update()
                .filter(
                    council_id=council.id,
                    service_id=finding.service_id,
                    cell=finding.cell,
                    window_end__gte=at - WINDOW,
                )
                .first()
            )
            if running is not None:
                if finding.count > running.count:
                    running.count, running.window_end = finding.count, at
                    running.probability = min(running.probability, finding.probability)
                    running.save(update_fields=["count", "window_end", "probability"])
                continue
            team_id = (
                Case.objects.filter(council_id=council.id, service_id=service.id)
                .exclude(team_id=None)
                .values_list("team_id", flat=True)
                .first()
            )
            anomaly = Anomaly.objects.create(
                council_id=council.id,
                service_id=service.id,
                team_id=team_id,
                cell=finding.cell,
                window_start=at - WINDOW,
                window_end=at,
                count=finding.count,
                expected=expected,
                probability=finding.probability,
                detected_at=dt.datetime.now(dt.UTC),
            )
            append_event(
                AnomalyDetected(
                    anomaly_id=anomaly.id,
                    service_id=service.id,
                    service_code=service.code,
                    team_id=team_id,
                    cell=h3.int_to_str(finding.cell),
                    window_start=anomaly.window_start.isoformat(),
                    window_end=anomaly.window_end.isoformat(),
                    count=finding.count,
                    expected=round(expected, 4),
                    probability=finding.probability,
                    explanation=explanation(
                        count=finding.count,
                        expected=expected,
                        probability=finding.probability,
                        service_name=service.name.lower(),
                        window_end=at.astimezone(zone),
                    ),
                ),
                council_id=council.id,
                stream="anomaly",
                stream_id=anomaly.id,
                actor=Actor.system("Anomaly alerts"),
            )
            stored.append(anomaly)
    return stored


def councils_with_recent_cases(*, now: dt.datetime) -> list[Council]:
    ids = set(
        Case.objects.filter(created_at__gt=now - WINDOW, created_at__lte=now)
        .values_list("council_id", flat=True)
        .distinct()
    )
    return list(Council.objects.filter(id__in=ids))
