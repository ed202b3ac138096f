"""Service level due times from a template's SLA, counted in working time (pure, no ORM).

A template's `sla.calendar` says which hours count:

- `working_days` (the default): the clock runs all day on working days and stops on weekends and
  bank holidays, so `close_hours: 48` is two working days;
- `office_hours`: only 09:00 to 17:00 on working days (an 8-hour day);
- `elapsed`: every hour counts (emergencies: a dangerous tree is not left for the weekend).

Bank holidays come from the `holidays` package (shipped with it, no network), for the UK nation
the council is in: England, Wales, Scotland or Northern Ireland differ. Times are counted in the
council's local time (Europe/London), so a working day is a calendar day there.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from townsquare.core.dates import date_in_words

LOCAL = ZoneInfo("Europe/London")
CALENDARS = ("working_days", "office_hours", "elapsed")
DEFAULT_CALENDAR = "working_days"
REGIONS = ("ENG", "WLS", "SCT", "NIR")
OFFICE_OPENS, OFFICE_CLOSES = dt.time(9), dt.time(17)
# A case is "due soon" when less than this remains before it is due.
DUE_SOON = dt.timedelta(hours=24)
# Long SLAs in office hours would loop for ever on a bad template; templates allow at most
# 87,600 hours anyway (ten years of elapsed time).
_MAX_DAYS = 40_000


def region_for_gss(gss_code: str) -> str:
    """The UK nation of a GSS code (E06000023 is England, W06 Wales, S12 Scotland, N09 NI)."""
    return {"E": "ENG", "W": "WLS", "S": "SCT", "N": "NIR"}.get((gss_code or "E")[:1], "ENG")


@lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=year))


def is_working_day(day: dt.date, region: str = "ENG") -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(region, day.year)


def add_working_time(
    start: dt.datetime, hours: float, *, calendar: str = DEFAULT_CALENDAR, region: str = "ENG"
) -> dt.datetime:
    """`start` plus `hours` of working time in the calendar, as an aware datetime."""
    if calendar == "elapsed":
        return start + dt.timedelta(hours=hours)
    if calendar == "office_hours":
        opens, closes = OFFICE_OPENS, OFFICE_CLOSES
    else:
        opens, closes = dt.time(0), None  # None: the end of the day
    remaining = dt.timedelta(hours=hours)
    local = start.astimezone(LOCAL).replace(tzinfo=None)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if is_working_day(day, region):
            day_start = dt.datetime.combine(day, opens)
            day_end = (
                dt.datetime.combine(day, closes)
                if closes
                else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0))
            )
            begin = max(local, day_start)
            if begin < day_end:
                available = day_end - begin
                if remaining <= available:
                    return _aware(begin + remaining)
                remaining -= available
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0))
    raise ValueError("SLA too long to count in working time")


def _aware(local: dt.datetime) -> dt.datetime:
    return local.replace(tzinfo=LOCAL).astimezone(dt.UTC)


def due_times(
    sla: dict[str, Any], created_at: dt.datetime, *, region: str = "ENG"
) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, close due) for a case created at `created_at`."""
    calendar = sla.get("calendar", DEFAULT_CALENDAR)
    return (
        add_working_time(created_at, sla["first_response_hours"], calendar=calendar, region=region),
        add_working_time(created_at, sla["close_hours"], calendar=calendar, region=region),
    )


def sla_state(*, is_open: bool, due_at: dt.datetime | None, now: dt.datetime) -> str:
    """ "overdue", "due_soon", "on_track", or "" (closed, or no target)."""
    if not is_open or due_at is None:
        return ""
    if due_at <= now:
        return "overdue"
    if due_at - now <= DUE_SOON:
        return "due_soon"
    return "on_track"


def expected_by(
    due_at: dt.datetime, *, calendar: str = DEFAULT_CALENDAR, region: str = "ENG"
) -> dt.date:
    """The day a resident is told a case is expected by: the last working day its target
    falls on. The one rule for the track page, emails and the staff queue.

    A target at 00:00 is the end of the day before (a working-days target that uses all of
    Friday is stored as 00:00 on Saturday, and means Friday). In working time a target can
    only fall on a non-working day at such a midnight, so stepping back over weekends and
    bank holidays changes nothing else; an `elapsed` target (every hour counts) keeps its
    own day, as a report made on Saturday morning with a 4-hour target is due on Saturday.
    """
    local = due_at.astimezone(LOCAL)
    day = local.date()
    if local.time() == dt.time(0):
        day -= dt.timedelta(days=1)
    if calendar != "elapsed":
        # A case created on a non-working day under an old rule, or a target moved by hand:
        # at most a long bank-holiday weekend to step over, never a loop.
        for _ in range(14):
            if is_working_day(day, region):
                break
            day -= dt.timedelta(days=1)
    return day


def expected_by_in_words(
    due_at: dt.datetime | None, *, sla: dict[str, Any], region: str, language: str = "en"
) -> str:
    """`expected_by` as "5 December 2026" (Welsh month names in Welsh); "" with no target."""
    if due_at is None:
        return ""
    day = expected_by(due_at, calendar=sla.get("calendar", DEFAULT_CALENDAR), region=region)
    return date_in_words(day, language)
