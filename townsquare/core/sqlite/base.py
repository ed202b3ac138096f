"""Django's SQLite backend, with writers queued on an operating-system lock.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps and retries
(1, 2, 5 ... up to 100 ms between tries), so under load the lock sits free while writers sleep,
and the slowest requests wait a tenth of a second for nothing. Here every write transaction
first takes an exclusive `flock` on a file beside the database, which wakes the next writer the
moment the previous one commits. Reads take no lock; SQLite still guards everything itself, so a
writer that does not use this backend (the sqlite3 shell) is merely slower, never unsafe.

A write outside a transaction (an UPDATE in autocommit mode: the rate limiter's token spend, an
API key's last-used time) queues on the same lock for the one statement. Left to SQLite's busy
handler it lost to the queue every time under load: at 16 concurrent Open311 creates, half of
each request's time was the rate limiter's UPDATE sleeping in the busy handler while the queued
writers passed it by (bench/open311-profile.md, ADR 222).
"""

from __future__ import annotations

import fcntl
import os
import re

from django.db.backends.sqlite3 import base

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class _QueuedWritesCursor(base.SQLiteCursorWrapper):
    database: DatabaseWrapper

    def _alone(self, query: str) -> bool:
        """A write statement outside any transaction (its own implicit one)."""
        database = self.database
        return (
            not database._holds_write_lock
            and not database.in_atomic_block
            and _WRITE.match(query) is not None
        )

    def execute(self, query, params=None):
        if not self._alone(query):
            return super().execute(query, params)
        self.database._acquire_write_lock()
        try:
            return super().execute(query, params)
        finally:
            self.database._release_write_lock()

    def executemany(self, query, param_list):
        if not self._alone(query):
            return super().executemany(query, param_list)
        self.database._acquire_write_lock()
        try:
            return super().executemany(query, param_list)
        finally:
            self.database._release_write_lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock_fd: int | None = None
    _holds_write_lock = False

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=_QueuedWritesCursor)
        cursor.database = self
        return cursor

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        return f"{name}-writelock"

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._holds_write_lock:
            return
        if self._write_lock_fd is None:
            self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX)
        self._holds_write_lock = True

    def _release_write_lock(self) -> None:
        if self._holds_write_lock and self._write_lock_fd is not None:
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
        self._holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # Django private API
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
