"""A back-test of the anomaly alerts (ADR 43) on a real year, in memory (issue 19).

Replays City of Boston's 2015 hour by hour with the same rules as anomalies.anomalies_find
(insights.rules: the service's daily level over the last 56 days, the hour-of-week share over
the past year, the area's share, the quasi-Poisson test) but from lists instead of the
database, so a year takes seconds. Two figures:
- false alerts: every alert raised on the real year (none of them planted), per council-week;
- detection: bursts of N reports of one service in one area planted in a random hour (after
  the first two months, so there is history), and whether the alert at the end of that hour
  fires for that service and area.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

import h3.api.basic_int as h3

from townsquare.insights import rules
from townsquare.insights.anomalies import LEVEL_DAYS
from townsquare.insights.figures import HOTSPOT_RESOLUTION


@dataclass(frozen=True)
class Reported:
    at: dt.datetime  # local time, whole council in one zone
    service: str
    cell: int


class Replay:
    def __init__(self, reports: list[Reported]) -> None:
        self.reports = sorted(reports, key=lambda r: r.at)
        self.first = self.reports[0].at if self.reports else dt.datetime(2015, 1, 1)
        self.times: dict[str, list[dt.datetime]] = defaultdict(list)
        self.cell_times: dict[tuple[str, int], list[dt.datetime]] = defaultdict(list)
        self.cells_seen: list[tuple[dt.datetime, int]] = []
        seen: set[int] = set()
        for r in self.reports:
            self.times[r.service].append(r.at)
            self.cell_times[(r.service, r.cell)].append(r.at)
            if r.cell not in seen:
                seen.add(r.cell)
                self.cells_seen.append((r.at, r.cell))
        self.hourly: Counter[tuple[dt.datetime, str, int]] = Counter(
            (r.at.replace(minute=0, second=0, microsecond=0), r.service, r.cell)
            for r in self.reports
        )

    def expected(self, service: str, cell: int, start: dt.datetime) -> float:
        times = self.times[service]
        today = start.replace(hour=0, minute=0, second=0, microsecond=0)
        level_from = today - dt.timedelta(days=LEVEL_DAYS)
        lo = bisect.bisect_left(times, max(level_from, self.first))
        hi = bisect.bisect_left(times, today)
        days = (today - max(level_from, self.first.replace(hour=0, minute=0, second=0))).days
        level = (hi - lo) / days if days > 0 else 0.0
        before = times[: bisect.bisect_left(times, start)]
        same_hour = sum(
            1 for t in before if t.weekday() == start.weekday() and t.hour == start.hour
        )
        hour_share = rules.hour_share(same_hour, len(before))
        cell_before = bisect.bisect_left(self.cell_times[(service, cell)], start)
        areas = sum(1 for at, _ in self.cells_seen if at < start)
        share = rules.area_share(cell_before, len(before), areas)
        return rules.Expectation(level, hour_share, share, 1.0).expected

    def alert(self, service: str, cell: int, hour: dt.datetime, extra: int = 0) -> bool:
        count = self.hourly[(hour, service, cell)] + extra
        if count < rules.MIN_COUNT:
            return False
        return rules.is_anomaly(count, self.expected(service, cell, hour))

    def false_alerts(self) -> int:
        return sum(
            1
            for (hour, service, cell), count in self.hourly.items()
            if count >= rules.MIN_COUNT and self.alert(service, cell, hour)
        )


def cell_of(lat: float, lng: float) -> int:
    return h3.latlng_to_cell(lat, lng, HOTSPOT_RESOLUTION)


def backtest(
    reports: list[Reported],
    *,
    sizes: tuple[int, ...] = (6, 10, 20),
    bursts: int = 300,
    seed: int = 19,
) -> dict:
    replay = Replay(reports)
    weeks = max(1.0, (replay.reports[-1].at - replay.first).days / 7) if reports else 1.0
    rng = random.Random(seed)
    start = replay.first + dt.timedelta(days=60)
    eligible = [r for r in replay.reports if r.at >= start]
    planted = []
    for _ in range(bursts):
        where = rng.choice(eligible)
        # A random hour in the rest of the year, for a service and area that have reports.
        hour = start + dt.timedelta(
            hours=rng.randrange(int((eligible[-1].at - start).total_seconds() // 3600))
        )
        planted.append((where.service, where.cell, hour.replace(minute=0, second=0, microsecond=0)))
    detection = {
        str(size): round(
            sum(1 for service, cell, hour in planted if replay.alert(service, cell, hour, size))
            / len(planted),
            4,
        )
        for size in sizes
    }
    alerts = replay.false_alerts()
    return {
        "reports": len(replay.reports),
        "weeks": round(weeks, 1),
        "bursts": len(planted),
        "detected_within_hour_by_burst_size": detection,
        "alerts_on_the_real_year": alerts,
        "false_alerts_per_week": round(alerts / weeks, 3),
    }


def reports_from_csv(
    paths,
    *,
    service_map: dict[str, str],
    channel_map: dict[str, str],
    no_location=(42.3594, -71.0587),
) -> list[Reported]:
    """Boston-shaped CSV rows (TYPE, OPEN_DT, LATITUDE, LONGITUDE, Source) as the alerts see
    them: only types imported as a service, not staff logging their own work, located."""
    import csv

    reports = []
    for path in paths:
        with open(path, newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                service = service_map.get(row.get("TYPE", ""))
                if not service or channel_map.get(row.get("Source", "")) == "staff":
                    continue
                try:
                    lat, lng = float(row["LATITUDE"]), float(row["LONGITUDE"])
                    at = dt.datetime.strptime(row["OPEN_DT"], "%m/%d/%Y %I:%M:%S %p")
                except (KeyError, ValueError):
                    continue
                if (round(lat, 4), round(lng, 4)) == no_location:
                    continue
                reports.append(Reported(at=at, service=service, cell=cell_of(lat, lng)))
    return reports
