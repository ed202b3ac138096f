"""Validating a case's field values against its template's field definitions (pure).

The one place that decides what an answer to a template question may be, for every channel:
case_create checks with it, and the citizen web's question pages call `clean_field_value`
and `is_shown` instead of keeping copies. Problems carry codes and parameters (core.errors)
so each interface words them in its own language:

- `required` {field}; `max_length` {limit, length}; `null_character`
- `invalid_number` {value}; `min_value` {min}; `max_value` {max} (as the template writes them)
- `invalid_datetime`; `datetime_without_zone`
- dates (catalogue.dates): `invalid_date`, `date_incomplete`, `date_not_real`,
  `date_year_digits` and the bounds' codes, each with the `parts` to correct
- `invalid_postcode`: not a full UK postcode
- `invalid_choice` {value} (one of a list); `invalid_choices` {values}; `one_value`
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from townsquare.catalogue import dates
from townsquare.core.dates import iso_date_in_words
from townsquare.core.errors import InvalidInput, Problem

DEFAULT_MAX_LENGTH = {"string": 500, "text": 4000}
# "1,250" or "12,500.5": commas only between groups of three digits, so "1,5" (a decimal
# comma) is refused rather than read as fifteen.
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
# A UK postcode unit (outward code, inward code), the space optional as people type it.
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})")


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _refuse(template: str, code: str, **params: Any) -> _Refused:
    return _Refused(Problem(template, code=code, params=params))


def _datetime(raw: str, local_zone: dt.tzinfo | None) -> dt.datetime:
    """An ISO 8601 date and time ("2026-03-01T09:30:00Z", "2026-03-02 07:30+01:00"), in UTC.

    The one reading of a date and time for every channel. Without a zone it is read in
    `local_zone` when one is given (a person typing in a form means the local time), and
    refused otherwise (a client system must say which zone it means).
    """
    text = str(raw).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _refuse(
            "must be a date and time such as 2026-03-01T09:30:00Z", "invalid_datetime"
        ) from None
    if value.tzinfo is None:
        if local_zone is None:
            raise _refuse("must include a time zone, such as Z or +01:00", "datetime_without_zone")
        # A time the clocks skip or repeat (March and October) is read as the first one.
        value = value.replace(tzinfo=local_zone)
    return value.astimezone(dt.UTC)


def _datetime_text(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_shown(field: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a question is asked, given the answers so far (its `show_if`)."""
    condition = field.get("show_if")
    if not condition:
        return True
    shown = values.get(condition["field"])
    if isinstance(shown, list):
        return condition["equals"] in shown
    return shown == condition["equals"]


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or value == []
        or (isinstance(value, str) and not value.strip())
        or dates.is_empty(value)
    )


def clean_field_values(
    fields: list[dict[str, Any]],
    raw: dict[str, Any],
    *,
    local_zone: dt.tzinfo | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Check raw values against the field definitions and return normalised values.

    Unknown keys are dropped (clients send extras, and Open311 says to ignore them). Fields hidden
    by `show_if` are dropped too. Raises InvalidInput naming each bad field. `today` is the
    day relative date bounds count from (default: today in the councils' time zone).
    """
    errors: dict[str, list[Problem]] = {}
    cleaned: dict[str, Any] = {}
    ordered = sorted(fields, key=lambda f: f.get("order", 0))
    for field in ordered:
        code = field["code"]
        if field.get("automated") == "server_set":
            continue
        if not is_shown(field, {**raw, **cleaned}):
            continue
        try:
            value = _clean(field, raw.get(code), local_zone, today)
        except _Refused as exc:
            errors[code] = [exc.problem]
            continue
        if value is not None:
            cleaned[code] = value
    if errors:
        raise InvalidInput(errors, code="invalid_fields")
    return cleaned


def clean_field_value(
    field: dict[str, Any],
    value: Any,
    *,
    local_zone: dt.tzinfo | None = None,
    today: dt.date | None = None,
) -> Any:
    """One answer, normalised as clean_field_values would store it (None when left empty and
    not required). Raises InvalidInput on the field's code."""
    try:
        return _clean(field, value, local_zone, today)
    except _Refused as exc:
        raise InvalidInput({field["code"]: [exc.problem]}, code="invalid_fields") from None


def _clean(
    field: dict[str, Any], value: Any, local_zone: dt.tzinfo | None, today: dt.date | None
) -> Any:
    if _is_empty(value):
        if field.get("required"):
            raise _refuse("%(field)s required", "required", field=field["code"])
        return None
    if field["datatype"] == "date":
        try:
            day = dates.read_date(value)
            dates.check_bounds(field, day, today or dates.today())
        except dates.DateRefused as exc:
            raise _Refused(exc.problem) from None
        return day.isoformat()
    return _clean_one(field, value, local_zone)


def _number(value: Any) -> float:
    text = str(value).strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise _refuse(
            "must be a number, not %(value)r", "invalid_number", value=str(value)[:40]
        ) from None
    if not math.isfinite(number):
        raise _refuse("must be a finite number", "invalid_number", value=str(value)[:40])
    return number


def _postcode(value: Any) -> str:
    """A full UK postcode as Royal Mail writes it ("bs15tr" is "BS1 5TR")."""
    text = " ".join(str(value)[:40].upper().split())
    match = _POSTCODE.fullmatch(text)
    if match is None:
        raise _refuse("must be a full UK postcode, such as BS1 5TR", "invalid_postcode")
    return f"{match[1]} {match[2]}"


def _clean_one(field: dict[str, Any], value: Any, local_zone: dt.tzinfo | None) -> Any:
    datatype = field["datatype"]
    if datatype in ("string", "text"):
        text = (value if isinstance(value, str) else str(value)).strip()
        limit = field.get("max_length", DEFAULT_MAX_LENGTH[datatype])
        if len(text) > limit:
            raise _refuse(
                "must be %(limit)s characters or fewer (it is %(length)s)",
                "max_length",
                limit=limit,
                length=len(text),
            )
        if "\x00" in text:
            raise _refuse("contains a null character", "null_character")
        return text
    if datatype == "number":
        number = _number(value)
        if "min" in field and number < field["min"]:
            raise _refuse("must be at least %(min)s", "min_value", min=f"{field['min']:g}")
        if "max" in field and number > field["max"]:
            raise _refuse("must be at most %(max)s", "max_value", max=f"{field['max']:g}")
        return int(number) if number.is_integer() else number
    if datatype == "datetime":
        return _datetime_text(_datetime(str(value), local_zone))
    if datatype == "postcode":
        return _postcode(value)
    keys = [v["key"] for v in field.get("values", [])]
    if datatype == "singlevaluelist":
        if isinstance(value, list):
            if len(value) != 1:
                raise _refuse("takes exactly one value", "one_value")
            value = value[0]
        if str(value) not in keys:
            raise _refuse(
                "%(value)r is not one of the allowed values",
                "invalid_choice",
                value=str(value)[:40],
            )
        return str(value)
    # multivaluelist
    items = value if isinstance(value, list) else [value]
    bad = [str(v)[:40] for v in items if str(v) not in keys]
    if bad:
        raise _refuse(
            "%(values)s not among the allowed values",
            "invalid_choices",
            values=", ".join(map(repr, bad)),
        )
    return [key for key in keys if key in {str(v) for v in items}]


def answer_in_words(field: dict[str, Any], value: Any, language: str = "en") -> str:
    """A stored answer as people read it: the names of the chosen values, a date in words
    ("31 March 2015", in Welsh "31 Mawrth 2015"). The one reading for check-your-answers,
    the staff case page and messages; pass a localised field for translated value names."""
    names = {v["key"]: v["name"] for v in field.get("values", [])}
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    if field.get("datatype") == "date" and isinstance(value, str):
        return iso_date_in_words(value, language)
    return names.get(str(value), str(value))
