"""Dates in service templates: reading a date typed as day, month and year, and the template's
`earliest` / `latest` rules (pure; docs/adr/0105-date-questions.md).

A date answer arrives either as its parts, `{"day": "31", "month": "3", "year": "2015"}` (the
GOV.UK date input, as the citizen web posts it), or as an ISO date "2015-03-31" (the APIs,
Open311, imports). It is stored as the ISO date.

Problems name the parts to correct (`parts`, "day,month"), so a page highlights only those, as
the GOV.UK pattern asks:

- `date_incomplete` {missing, parts}: some parts typed, others not ("day_month" is missing);
- `date_not_real` {parts}: not a calendar date (31/02/2015, month 13, letters);
- `date_year_digits` {parts}: the year is not 4 numbers;
- `invalid_date` {parts}: a client sent something that is neither parts nor an ISO date;
- against the template's bounds (each with `earliest` and/or `latest` as ISO dates):
  `date_not_past`, `date_not_past_or_today`, `date_not_future`, `date_not_future_or_today`,
  `date_too_early`, `date_too_late`, `date_out_of_range`.

A bound is an ISO date ("2010-09-01") or relative to today in the council's time zone:
`today`, `yesterday`, `tomorrow`, `<n> days|weeks|months|years ago`, `in <n> days|weeks|months|
years` (n up to 200 years). "16 years ago" as `earliest` means "16 or younger today".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from townsquare.core import clock
from townsquare.core.errors import Problem

PARTS = ("day", "month", "year")
LOCAL = ZoneInfo("Europe/London")
_RELATIVE = re.compile(
    r"(?:(?P<n>[0-9]{1,5}) (?P<unit>day|week|month|year)s? ago"
    r"|in (?P<n2>[0-9]{1,5}) (?P<unit2>day|week|month|year)s?)"
)
_KEYWORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}
# Longest span a relative bound may reach, so a typo cannot make dates before year 1.
_MAX_DAYS = 200 * 366
# ASCII digits only: `\d` also takes Arabic-Indic and full-width digits.
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
# A year is 4 numbers (GOV.UK); longer runs of digits are refused before any arithmetic.
_DIGITS = re.compile(r"[0-9]{1,12}")


class DateRefused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _refuse(template: str, code: str, **params: Any) -> DateRefused:
    return DateRefused(Problem(template, code=code, params=params))


def today() -> dt.date:
    """Today where the councils are (Europe/London), which relative bounds count from."""
    return clock.now().astimezone(LOCAL).date()


# Bounds.


def bound_problem(text: Any) -> str | None:
    """Why `text` is not a bound a template may use, or None when it is."""
    if not isinstance(text, str):
        return "must be a date such as 2015-03-31, or today, 4 years ago, in 2 weeks"
    try:
        resolve_bound(text, dt.date(2000, 1, 1))
    except ValueError as exc:
        return str(exc)
    return None


def is_fixed(text: str) -> bool:
    """Whether a bound is a date rather than relative to today."""
    return bool(_ISO.fullmatch(text.strip()))


def resolve_bound(text: str, on: dt.date) -> dt.date:
    """The date a bound means when today is `on`. ValueError with a reason when it means none."""
    spoken = " ".join(text.lower().split())
    if spoken in _KEYWORDS:
        return on + dt.timedelta(days=_KEYWORDS[spoken])
    match = _RELATIVE.fullmatch(spoken)
    if match:
        count = int(match["n"] or match["n2"])
        unit = match["unit"] or match["unit2"]
        sign = -1 if match["n"] else 1
        try:
            result = _shift(on, sign * count, unit)
        except (ValueError, OverflowError):
            result = dt.date.min  # beyond the calendar: refused just below
        if abs((result - on).days) > _MAX_DAYS:
            raise ValueError(f"{text!r} reaches more than 200 years from today")
        return result
    if _ISO.fullmatch(spoken):
        try:
            return dt.date.fromisoformat(spoken)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None
    raise ValueError(
        f"{text!r} must be a date such as 2015-03-31, or today, yesterday, tomorrow, "
        "'4 years ago' or 'in 2 weeks'"
    )


def _shift(on: dt.date, count: int, unit: str) -> dt.date:
    if unit in ("day", "week"):
        return on + dt.timedelta(days=count * (7 if unit == "week" else 1))
    months = on.year * 12 + (on.month - 1) + count * (12 if unit == "year" else 1)
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise ValueError("reaches beyond the calendar")
    # 29 February a year on is 28 February: the last day of a shorter month.
    day = min(on.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def bounds_of(field: dict[str, Any], on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    earliest, latest = field.get("earliest"), field.get("latest")
    return (
        resolve_bound(earliest, on) if earliest else None,
        resolve_bound(latest, on) if latest else None,
    )


# Reading an answer.


def read_date(value: Any) -> dt.date:
    """A date from its parts or an ISO date. DateRefused says what is wrong and which parts."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise _refuse("must be a date such as 2015-03-31", "invalid_date", parts="day,month,year")
    if not isinstance(value, dict):
        raise _refuse("must be a date such as 2015-03-31", "invalid_date", parts="day,month,year")
    typed = {part: _part_text(value.get(part)) for part in PARTS}
    missing = [part for part in PARTS if not typed[part]]
    if missing:
        names = " and ".join(missing)
        raise _refuse(
            f"must include a {names}",
            "date_incomplete",
            missing="_".join(missing),
            parts=",".join(missing),
        )
    wrong = []
    if not _DAY_OR_MONTH.fullmatch(typed["day"]) or not 1 <= int(typed["day"]) <= 31:
        wrong.append("day")
    if not _DAY_OR_MONTH.fullmatch(typed["month"]) or not 1 <= int(typed["month"]) <= 12:
        wrong.append("month")
    if not _DIGITS.fullmatch(typed["year"]):
        wrong.append("year")
    if wrong:
        raise _refuse("must be a real date", "date_not_real", parts=",".join(wrong))
    if len(typed["year"]) != 4 or typed["year"].startswith("0"):
        raise _refuse("year must include 4 numbers", "date_year_digits", parts="year")
    year, month, day = int(typed["year"]), int(typed["month"]), int(typed["day"])
    if day > calendar.monthrange(year, month)[1]:
        raise _refuse("must be a real date", "date_not_real", parts="day")
    return dt.date(year, month, day)


def _part_text(raw: Any) -> str:
    if raw is None:
        return ""
    # A part longer than any date part is wrong whatever it holds; cut before any regex.
    return str(raw)[:40].strip()


def is_empty(value: Any) -> bool:
    """A date input left blank: every part empty."""
    if isinstance(value, dict):
        return not any(_part_text(value.get(part)) for part in PARTS)
    return False


def check_bounds(field: dict[str, Any], day: dt.date, on: dt.date) -> None:
    """DateRefused when `day` is outside the field's `earliest` / `latest` (both included)."""
    earliest, latest = bounds_of(field, on)
    params = {
        "earliest": earliest.isoformat() if earliest else "",
        "latest": latest.isoformat() if latest else "",
        "parts": "day,month,year",
    }
    spoken_latest = " ".join(str(field.get("latest", "")).lower().split())
    spoken_earliest = " ".join(str(field.get("earliest", "")).lower().split())
    if latest is not None and day > latest:
        if spoken_latest == "yesterday":
            raise _refuse("must be in the past", "date_not_past", **params)
        if spoken_latest == "today":
            raise _refuse("must be today or in the past", "date_not_past_or_today", **params)
        if earliest is not None:
            raise _refuse(
                "must be between %(earliest)s and %(latest)s", "date_out_of_range", **params
            )
        raise _refuse("must be the same as or before %(latest)s", "date_too_late", **params)
    if earliest is not None and day < earliest:
        if spoken_earliest == "tomorrow":
            raise _refuse("must be in the future", "date_not_future", **params)
        if spoken_earliest == "today":
            raise _refuse("must be today or in the future", "date_not_future_or_today", **params)
        if latest is not None:
            raise _refuse(
                "must be between %(earliest)s and %(latest)s", "date_out_of_range", **params
            )
        raise _refuse("must be the same as or after %(earliest)s", "date_too_early", **params)


def parts_of(value: Any) -> dict[str, str]:
    """What to show in the day, month and year inputs for a stored or typed answer."""
    if isinstance(value, dict):
        return {part: _part_text(value.get(part))[:10] for part in PARTS}
    if isinstance(value, str) and _ISO.fullmatch(value.strip()):
        year, month, day = value.strip().split("-")
        return {"day": str(int(day)), "month": str(int(month)), "year": year}
    return dict.fromkeys(PARTS, "")
