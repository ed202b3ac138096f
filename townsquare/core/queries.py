"""Compiling a hot read once per process.

Building SQL from a queryset costs Django more than SQLite or PostgreSQL take to answer a lookup
by a unique key. `PreparedLookup` compiles a `values()` queryset once, with a marker where the
looked-up value goes, and afterwards only executes the SQL and applies Django's own converters
to the rows, so results are exactly what the queryset would give.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

_MARKER = "\x00prepared-lookup-marker\x00"


class PreparedLookup:
    """`build(value)` returns a values() queryset filtering on `value`; `key()` names anything
    else the SQL depends on (it is compiled again when the key changes)."""

    def __init__(self, build: Callable[[Any], QuerySet], key: Callable[[], object] = lambda: None
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
        names = [*queryset.query.extra_select, *queryset.query.values_select,
                 *queryset.query.annotation_select]
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
