"""Reads that may lag go to a PostgreSQL streaming replica (issue #22, ADR 231).

Only reads that say so leave the primary: a view or selector whose answer may be a moment old
(dashboards, open data, Open311 and API searches, browse maps) runs inside `reads_may_lag()`.
Everything else, and every read in a transaction, stays on the primary, so a service that reads
then writes never acts on a stale row.

A replica is used while it answers and its replay lag is under
DATABASE_REPLICA_MAX_LAG_SECONDS, checked at most once a second per process (core.clock's
interval clock, which tests hold); a replica that is down or behind is left alone until the
next check, and reads fall back to the primary. A person who has just written reads from the
primary for READ_YOUR_WRITES_SECONDS (`primary_only()`, set by ui.middleware.ReadYourWrites
from a cookie). Live streams' LISTEN/NOTIFY never comes here: it opens its own connection to
the primary (live.broker's thread uses the `default` connection).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

from townsquare.core import caching
from townsquare.core.clock import monotonic

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA_PREFIX = "replica"

_may_lag: ContextVar[bool] = ContextVar("townsquare_reads_may_lag", default=False)
_primary_only: ContextVar[bool] = ContextVar("townsquare_primary_only", default=False)


@contextmanager
def reads_may_lag() -> Iterator[None]:
    """Reads inside may come from a replica. Also a decorator (`@reads_may_lag()`): each call
    then enters afresh, so calls in several threads at once never share a token."""
    token = _may_lag.set(True)
    try:
        yield
    finally:
        _may_lag.reset(token)


@contextmanager
def primary_only() -> Iterator[None]:
    """Every read inside goes to the primary, `reads_may_lag` or not (read-your-writes)."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@dataclass(frozen=True)
class ReplicaState:
    alias: str
    # Seconds the replica's replay is behind; None when it did not answer.
    lag_seconds: float | None

    @property
    def usable(self) -> bool:
        return (
            self.lag_seconds is not None
            and self.lag_seconds <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        )


# On a standby: 0 when it has replayed all it received (an idle primary sends nothing new, so
# the last replayed transaction's age would read as lag), else the age of what it last replayed.
_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


def _measure(alias: str) -> ReplicaState:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            (lag,) = cursor.fetchone()
        return ReplicaState(alias, float(lag))
    except DatabaseError as error:
        log.warning("replica %s did not answer: %s", alias, error)
        connection.close()
        return ReplicaState(alias, None)


class _Health:
    """Each replica's state, measured at most once a second in this process."""

    CHECK_EVERY = 1.0

    def __init__(self) -> None:
        self._states: dict[str, tuple[float, ReplicaState]] = {}
        self._lock = threading.Lock()
        self._turns = itertools.count()

    def state(self, alias: str) -> ReplicaState:
        now = monotonic()
        held = self._states.get(alias)
        if held is not None and 0 <= now - held[0] < self.CHECK_EVERY:
            return held[1]
        state = _measure(alias)
        with self._lock:
            self._states[alias] = (now, state)
        return state

    def pick(self) -> str | None:
        """A usable replica, in turns; None when there is none."""
        aliases = replica_aliases()
        if not aliases:
            return None
        start = next(self._turns)
        for i in range(len(aliases)):
            alias = aliases[(start + i) % len(aliases)]
            if self.state(alias).usable:
                return alias
        return None

    def invalidate(self) -> None:
        with self._lock:
            self._states = {}


health = _Health()
caching.register(health)


def replica_states() -> list[ReplicaState]:
    """Every configured replica as it is now (for the health endpoint)."""
    return [health.state(alias) for alias in replica_aliases()]


class ReplicaRouter:
    """Django's database router (DATABASE_ROUTERS) when replicas are configured."""

    def db_for_read(self, model: type, **hints: object) -> str:
        if not _may_lag.get() or _primary_only.get():
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # a transaction reads what it is about to change
        return health.pick() or PRIMARY

    def db_for_write(self, model: type, **hints: object) -> str:
        return PRIMARY

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == PRIMARY
