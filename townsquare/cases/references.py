"""Public case references: BRS-26-000123 (council prefix, two-digit year, number in that year).

Numbers come from one counter row per council and year, bumped in the transaction that creates
the case: the row stays locked until commit, so a number is never handed out twice, and a
rollback gives it back.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from townsquare.cases.models import Case, ReferenceCounter

_COUNTER = ReferenceCounter._meta.db_table
_BUMP_SQL = (
    f"UPDATE {_COUNTER} SET last_number = last_number + 1 "  # noqa: S608 - our table name
    "WHERE council_id = %s AND year = %s RETURNING last_number"
)


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year % 100:02d}-{number:06d}"


def _ensure_counter(council_id: int, year: int) -> None:
    ReferenceCounter.objects.get_or_create(council_id=council_id, year=year)


def _bump(council_id: int, year: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_BUMP_SQL, [council_id, year])
        row = cursor.fetchone()
        if row is None:
            _ensure_counter(council_id, year)
            cursor.execute(_BUMP_SQL, [council_id, year])
            row = cursor.fetchone()
    return row[0]


def _pg_insert(case: Case, prefix: str, year: int) -> bool:
    """Bump the counter and insert the case in one statement (one round trip fewer on every
    case created). Returns False when the year's counter row does not exist yet."""
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key and f.name != "reference"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    params = [f.get_db_prep_save(getattr(case, f.attname), connection) for f in fields]
    marks = ", ".join(["%s"] * len(fields))
    # Names come from our model's fields; values are all parameters.
    sql = (
        f"WITH bumped AS ({_BUMP_SQL}) "  # noqa: S608
        f"INSERT INTO {Case._meta.db_table} (reference, {columns}) "
        f"SELECT %s || '-' || %s || '-' || lpad(bumped.last_number::text, 6, '0'), {marks} "
        "FROM bumped RETURNING id, reference"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [case.council_id, year, prefix, f"{year:02d}", *params])
        row = cursor.fetchone()
    if row is None:
        return False
    case.id, case.reference = row
    case._state.adding = False
    case._state.db = connection.alias
    return True


def case_insert_with_reference(case: Case, *, prefix: str, created_at: dt.datetime) -> None:
    """Give an unsaved case the next reference of its council and year, and insert it.

    Call inside transaction.atomic().
    """
    year = created_at.year % 100
    if connection.vendor == "postgresql":
        if _pg_insert(case, prefix, year):
            return
        _ensure_counter(case.council_id, year)
        if _pg_insert(case, prefix, year):
            return
        raise RuntimeError("reference counter row vanished")
    case.reference = format_reference(prefix, year, _bump(case.council_id, year))
    case.save(force_insert=True)
