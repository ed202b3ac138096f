"""Parsing Open311 parameters strictly, with a clear 400 for anything malformed.

Each rule here is a bound the OpenAPI document (docs/api/open311.openapi.yaml) states exactly,
so that schemathesis can hold the server to it both ways: what the document allows is
accepted, what it does not is refused (ADR 72). Hence: texts lose surrounding ASCII
whitespace only (the one set every regular-expression engine agrees on); numbers, whole numbers,
booleans and dates are taken exactly as written, spaces included; and an empty value is
absent.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from townsquare.core.errors import InvalidInput

MAX_WINDOW = dt.timedelta(days=90)
FIRST_YEAR, LAST_YEAR = 1970, 9000
WHITESPACE = " \t\n\r\f\v"
_W3C = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})"
)
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}


class BadParameter(InvalidInput):
    """A parameter that cannot be used: becomes a 400 naming it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__({name: [reason]}, code="bad_parameter")
        self.message = f"{name}: {reason}"


def value(params: Mapping[str, str], name: str) -> str:
    """The parameter's value without surrounding (ASCII) whitespace; an empty one counts as
    absent."""
    raw = params.get(name)
    return raw.strip(WHITESPACE) if isinstance(raw, str) else ""


def identifier(params: Mapping[str, str], name: str) -> str:
    """`value` for an id, code or key that is looked up: a NUL, which no stored text holds and
    PostgreSQL refuses even in a query, reads as U+FFFD, so the id matches nothing."""
    return value(params, name).replace("\x00", "\ufffd")


def exact(params: Mapping[str, str], name: str) -> str:
    """The parameter's value as sent (for numbers, booleans, dates and lists of words)."""
    raw = params.get(name)
    return raw if isinstance(raw, str) else ""


def parse_datetime(name: str, raw: str) -> dt.datetime:
    if not _W3C.fullmatch(raw):
        raise BadParameter(
            name,
            f"{raw[:40]!r} is not a W3C date and time with a time zone, "
            "such as 2026-01-31T09:00:00Z",
        )
    text = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    if "." in text:  # Python accepts at most 6 fractional digits
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest).group()
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    # The year as written, not in UTC: the document can state that bound as a pattern.
    if not FIRST_YEAR <= int(raw[:4]) <= LAST_YEAR:
        raise BadParameter(name, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise BadParameter(name, f"{raw[:40]!r} is not a valid date and time") from None


def optional_datetime(params: Mapping[str, str], name: str) -> dt.datetime | None:
    raw = exact(params, name)
    return parse_datetime(name, raw) if raw else None


def date_window(params: Mapping[str, str], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """start_date inclusive, end_date exclusive; one given: 90 days from it; none: the last 90
    days. A window over 90 days is refused (page with narrower windows, or use open data)."""
    start = optional_datetime(params, "start_date")
    end = optional_datetime(params, "end_date")
    if start and end:
        if start > end:
            raise BadParameter("start_date", "is after end_date")
        if end - start > MAX_WINDOW:
            raise BadParameter(
                "end_date",
                "the window between start_date and end_date is over 90 days: "
                "ask for narrower windows one after another (and page through each), or "
                "download the bulk open data export (/open-data/) for long periods",
            )
        return start, end
    if start:
        return start, start + MAX_WINDOW
    if end:
        return end - MAX_WINDOW, end
    return now - MAX_WINDOW, now + dt.timedelta(seconds=1)


def comma_list(params: Mapping[str, str], name: str, *, limit: int = 1000) -> tuple[str, ...]:
    """The distinct non-empty values of a comma-separated list of at most `limit` values."""
    parts = value(params, name).split(",")
    if len(parts) > limit:
        raise BadParameter(name, f"at most {limit} values")
    items = (v.strip(WHITESPACE).replace("\x00", "\ufffd") for v in parts)
    return tuple(dict.fromkeys(item for item in items if item))


def boolean(params: Mapping[str, str], name: str) -> bool:
    """`true` or `false` (or `True`, `TRUE`...); absent or empty is false."""
    raw = exact(params, name)
    if not raw:
        return False
    found = _BOOLEANS.get(raw.lower())
    if found is None:
        raise BadParameter(name, f"{raw[:20]!r} is not true or false")
    return found


def number(params: Mapping[str, str], name: str, *, low: float, high: float) -> float | None:
    raw = exact(params, name)
    if not raw:
        return None
    # float() alone would also take "1_000", "nan", "Infinity" and digits of other scripts.
    if not _NUMBER.fullmatch(raw):
        raise BadParameter(name, f"{raw[:40]!r} is not a number")
    parsed = float(raw)
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise BadParameter(name, f"must be between {low:g} and {high:g}")
    return parsed


def page(params: Mapping[str, str]) -> tuple[int, int, bool]:
    """(offset, limit, paged). Without page or page_size, GeoReport's classic "up to 1000"."""
    raw_page, raw_size = exact(params, "page"), exact(params, "page_size")
    if not raw_page and not raw_size:
        return 0, 1000, False
    number_ = _whole_number("page", raw_page, default=1, high=1_000_000)
    size = _whole_number("page_size", raw_size, default=100, high=1000)
    return (number_ - 1) * size, size, True


def _whole_number(name: str, raw: str, *, default: int, high: int) -> int:
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise BadParameter(name, "must be a whole number")
    # Python refuses to read integers of thousands of digits; anything that long is too big.
    digits = raw.lstrip("+-").lstrip("0") or "0"
    found = (-1 if raw[0] == "-" else 1) * int(digits) if len(digits) <= 20 else high + 1
    if not 1 <= found <= high:
        raise BadParameter(name, f"must be between 1 and {high}")
    return found


def bbox(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    raw = exact(params, "bbox")
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4 or not all(_NUMBER.fullmatch(p) for p in parts):
        raise BadParameter("bbox", "must be min_long,min_lat,max_long,max_lat in degrees")
    min_lng, min_lat, max_lng, max_lat = (float(p) for p in parts)
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise BadParameter("bbox", "must be min_long,min_lat,max_long,max_lat with min <= max")
    return min_lng, min_lat, max_lng, max_lat
