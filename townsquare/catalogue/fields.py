"""Validating a case's field values against its template's field definitions (pure)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from townsquare.core.errors import InvalidInput

DEFAULT_MAX_LENGTH = {"string": 500, "text": 4000}


def _parse_datetime(raw: str) -> str:
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date and time such as 2026-03-01T09:30:00Z") from None
    if value.tzinfo is None:
        raise ValueError("must include a time zone, such as Z or +01:00")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_shown(field: dict[str, Any], values: dict[str, Any]) -> bool:
    condition = field.get("show_if")
    if not condition:
        return True
    shown = values.get(condition["field"])
    if isinstance(shown, list):
        return condition["equals"] in shown
    return shown == condition["equals"]


def clean_field_values(fields: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Check raw values against the field definitions and return normalised values.

    Unknown keys are dropped (clients send extras, and Open311 says to ignore them). Fields hidden
    by `show_if` are dropped too. Raises InvalidInput naming each bad field.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    ordered = sorted(fields, key=lambda f: f.get("order", 0))
    for field in ordered:
        code = field["code"]
        if field.get("automated") == "server_set":
            continue
        value = raw.get(code)
        if not _is_shown(field, {**raw, **cleaned}):
            continue
        empty = value is None or value == "" or value == []
        if empty:
            if field.get("required"):
                errors[code] = [f"{code} required"]
            continue
        try:
            cleaned[code] = _clean_one(field, value)
        except ValueError as exc:
            errors[code] = [str(exc)]
    if errors:
        raise InvalidInput(errors, code="invalid_fields")
    return cleaned


def _clean_one(field: dict[str, Any], value: Any) -> Any:
    datatype = field["datatype"]
    if datatype in ("string", "text"):
        if not isinstance(value, str):
            value = str(value)
        limit = field.get("max_length", DEFAULT_MAX_LENGTH[datatype])
        if len(value) > limit:
            raise ValueError(f"must be {limit} characters or fewer (it is {len(value)})")
        if "\x00" in value:
            raise ValueError("contains a null character")
        return value.strip()
    if datatype == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, not {str(value)[:40]!r}") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        if "min" in field and number < field["min"]:
            raise ValueError(f"must be at least {field['min']:g}")
        if "max" in field and number > field["max"]:
            raise ValueError(f"must be at most {field['max']:g}")
        return int(number) if number.is_integer() else number
    if datatype == "datetime":
        return _parse_datetime(str(value))
    keys = {v["key"] for v in field.get("values", [])}
    if datatype == "singlevaluelist":
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError("takes exactly one value")
            value = value[0]
        if str(value) not in keys:
            raise ValueError(f"{str(value)[:40]!r} is not one of the allowed values")
        return str(value)
    # multivaluelist
    items = value if isinstance(value, list) else [value]
    bad = [str(v)[:40] for v in items if str(v) not in keys]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))} not among the allowed values")
    return sorted({str(v) for v in items}, key=[v["key"] for v in field["values"]].index)
