"""Compiling a hot read once per process; text the database formats for bulk reads.

Building SQL from a queryset costs Django more than SQLite or PostgreSQL take to answer a lookup
by a unique key. `PreparedLookup` compiles a `values()` queryset once, with a marker where the
looked-up value goes, and afterwards only executes the SQL and applies Django's own converters
to the rows, so results are exactly what the queryset would give.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections
from django.db.models import CharField, Func, QuerySet

_MARKER = "\x00prepared-lookup-marker\x00"


class PreparedLookup:
    """`build(value)` returns a values() queryset filtering on `value`; `key()` names anything
    else the SQL depends on (it is compiled again when the key changes)."""

    def __init__(
        self, build: Callable[[Any], QuerySet], key: Callable[[], object] = lambda: None
    ) -> None:
        self._build = build
        self._key = key
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, key: object) -> tuple:
        queryset = self._build(_MARKER)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        position = list(params).index(_MARKER)
        names = [
            *queryset.query.extra_select,
            *queryset.query.values_select,
            *queryset.query.annotation_select,
        ]
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return sql, list(params), position, names, compiler, converters

    def rows(self, value: Any, *, using: str = "default") -> list[dict[str, Any]]:
        cache_key = (using, self._key())
        compiled = self._compiled.get(cache_key)
        if compiled is None:
            with self._lock:
                compiled = self._compile(using, cache_key[1])
                self._compiled = {cache_key: compiled}
        sql, params, position, names, compiler, converters = compiled
        params = params.copy()
        params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=True)) for row in rows]


class UtcIsoText(Func):
    """A timestamp as "YYYY-MM-DDTHH:MM:SSZ" text (NULL stays NULL), formatted by the database:
    at a million rows, a datetime per value only to print it again would take most of the time.
    """

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps UTC times in SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]" text: cut it to
        # shape, several times cheaper than strftime per row.
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"(substr({sql}, 1, 10) || 'T' || substr({sql}, 12, 8) || 'Z')", [*params, *params]

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            function="to_char",
            template="%(function)s(%(expressions)s AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\')',
            **extra,
        )


def rows_insert(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows at once, values already in database form: COPY on PostgreSQL (several
    times faster than a statement per row), executemany elsewhere. Table and column names must
    be ours, never input. Triggers fire as for INSERT."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's error classes (IntegrityError...), as for any other statement.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})",  # noqa: S608
            rows,
        )
