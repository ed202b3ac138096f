"""Pure timing rules: retry back-off with jitter, SMS quiet hours, digest times, distances."""

from __future__ import annotations

import datetime as dt
import math
import random
from zoneinfo import ZoneInfo


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait after the `attempt`-th failure: exponential, capped, with "equal jitter"
    (half fixed, half random) so many failing messages do not retry in lockstep."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def after_quiet_hours(
    moment: dt.datetime, *, start: dt.time | None, end: dt.time | None, zone: str
) -> dt.datetime:
    """`moment`, or the end of the quiet hours when it falls inside them (local time)."""
    if start is None or end is None or start == end:
        return moment
    local = moment.astimezone(ZoneInfo(zone))
    clock_time = local.time()
    wraps = start > end  # e.g. 21:00 to 08:00
    inside = (clock_time >= start or clock_time < end) if wraps else start <= clock_time < end
    if not inside:
        return moment
    day = local.date()
    if wraps and clock_time >= start:
        day += dt.timedelta(days=1)
    resume = dt.datetime.combine(day, end, tzinfo=ZoneInfo(zone))
    return resume.astimezone(dt.UTC)


def next_digest_time(moment: dt.datetime, *, hour: int, zone: str) -> dt.datetime:
    """The next `hour` o'clock local time after `moment`."""
    local = moment.astimezone(ZoneInfo(zone))
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), dt.time(hour), tzinfo=ZoneInfo(zone)
        )
    return target.astimezone(dt.UTC)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def box_around(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a box holding the circle."""
    dlat = radius_m / 111_320
    dlng = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng
