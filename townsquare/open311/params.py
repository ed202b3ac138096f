"""Parsing Open311 parameters strictly, with a clear 400 for anything malformed."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from townsquare.core.errors import InvalidInput

MAX_WINDOW = dt.timedelta(days=90)
_W3C = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
)


class BadParameter(InvalidInput):
    """A parameter that cannot be used: becomes a 400 naming it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__({name: [reason]}, code="bad_parameter")
        self.message = f"{name}: {reason}"


def value(params: Mapping[str, str], name: str) -> str:
    """The parameter's value; an empty one counts as absent."""
    raw = params.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def parse_datetime(name: str, raw: str) -> dt.datetime:
    if not _W3C.match(raw):
        raise BadParameter(name, f"{raw[:40]!r} is not a W3C date and time with a time zone, "
                                 "such as 2026-01-31T09:00:00Z")
    text = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    if "." in text:  # Python accepts at most 6 fractional digits
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest).group()
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        parsed = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise BadParameter(name, f"{raw[:40]!r} is not a valid date and time") from None
    if not 1970 <= parsed.year <= 9000:
        raise BadParameter(name, "must be between the years 1970 and 9000")
    return parsed


def optional_datetime(params: Mapping[str, str], name: str) -> dt.datetime | None:
    raw = value(params, name)
    return parse_datetime(name, raw) if raw else None


def date_window(params: Mapping[str, str], now: dt.datetime
                ) -> tuple[dt.datetime, dt.datetime]:
    """start_date inclusive, end_date exclusive; one given: 90 days from it; none: the last 90
    days. A window over 90 days is refused (page with narrower windows, or use open data)."""
    start = optional_datetime(params, "start_date")
    end = optional_datetime(params, "end_date")
    if start and end:
        if start > end:
            raise BadParameter("start_date", "is after end_date")
        if end - start > MAX_WINDOW:
            raise BadParameter(
                "end_date", "the window between start_date and end_date is over 90 days: "
                "ask for narrower windows one after another (and page through each), or "
                "download the bulk open data export (/open-data/) for long periods")
        return start, end
    if start:
        return start, start + MAX_WINDOW
    if end:
        return end - MAX_WINDOW, end
    return now - MAX_WINDOW, now + dt.timedelta(seconds=1)


def comma_list(params: Mapping[str, str], name: str, *, limit: int = 1000) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip() for v in value(params, name).split(",") if v.strip()))
    if len(items) > limit:
        raise BadParameter(name, f"at most {limit} values")
    return items


def number(params: Mapping[str, str], name: str, *, low: float, high: float
           ) -> float | None:
    raw = value(params, name)
    if not raw:
        return None
    try:
        parsed = float(raw)
    except ValueError:
        raise BadParameter(name, f"{raw[:40]!r} is not a number") from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise BadParameter(name, f"must be between {low:g} and {high:g}")
    return parsed


def page(params: Mapping[str, str]) -> tuple[int, int, bool]:
    """(offset, limit, paged). Without page or page_size, GeoReport's classic "up to 1000"."""
    raw_page, raw_size = value(params, "page"), value(params, "page_size")
    if not raw_page and not raw_size:
        return 0, 1000, False
    try:
        number_ = int(raw_page) if raw_page else 1
        size = int(raw_size) if raw_size else 100
    except ValueError:
        raise BadParameter("page" if raw_page and not raw_page.isdigit() else "page_size",
                           "must be a whole number") from None
    if number_ < 1 or number_ > 1_000_000:
        raise BadParameter("page", "must be between 1 and 1000000")
    if not 1 <= size <= 1000:
        raise BadParameter("page_size", "must be between 1 and 1000")
    return (number_ - 1) * size, size, True


def bbox(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    raw = value(params, "bbox")
    if not raw:
        return None
    parts = raw.split(",")
    try:
        min_lng, min_lat, max_lng, max_lat = (float(p) for p in parts)
    except ValueError:
        raise BadParameter("bbox", "must be min_long,min_lat,max_long,max_lat in degrees"
                           ) from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise BadParameter("bbox", "must be min_long,min_lat,max_long,max_lat with min <= max")
    return min_lng, min_lat, max_lng, max_lat
