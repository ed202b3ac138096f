"""Writes outside a transaction queue on the SQLite writer lock like transactions do (ADR 222):
left to SQLite's busy handler, they slept while the queued writers passed them by."""

from __future__ import annotations

import fcntl

import pytest

from townsquare.core.sqlite import base


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A connection of this backend to a file of its own (the test database has no lock file)."""
    with django_db_blocker.unblock():
        database = _connect(tmp_path)
        yield database
        database.close()


def _connect(tmp_path):
    settings = {
        "NAME": str(tmp_path / "queue.sqlite3"),
        "ENGINE": "townsquare.core.sqlite",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return base.DatabaseWrapper(settings, alias="queue-test")


def test_a_write_outside_a_transaction_takes_the_lock_for_itself_alone(database, monkeypatch):
    calls: list[int] = []
    real_flock = fcntl.flock
    monkeypatch.setattr(
        base.fcntl, "flock", lambda fd, op: (calls.append(op), real_flock(fd, op))[1]
    )
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n integer)")
        calls.clear()
        cursor.execute("SELECT count(*) FROM t")
        assert calls == []  # reads take no lock
        cursor.execute("INSERT INTO t (n) VALUES (%s)", [1])
        cursor.execute("  update t SET n = 2")
        assert calls == [fcntl.LOCK_EX, fcntl.LOCK_UN] * 2
        calls.clear()
        cursor.executemany("INSERT INTO t (n) VALUES (%s)", [[3], [4]])
        assert calls == [fcntl.LOCK_EX, fcntl.LOCK_UN]


def test_writes_inside_a_transaction_share_its_one_lock(database, monkeypatch):
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n integer)")
    calls: list[int] = []
    real_flock = fcntl.flock
    monkeypatch.setattr(
        base.fcntl, "flock", lambda fd, op: (calls.append(op), real_flock(fd, op))[1]
    )
    with _atomic(database), database.cursor() as cursor:
        cursor.execute("INSERT INTO t (n) VALUES (1)")
        cursor.execute("UPDATE t SET n = 2")
    assert calls == [fcntl.LOCK_EX, fcntl.LOCK_UN]


class _atomic:
    """A transaction on a connection that is not in settings.DATABASES, as atomic() begins it."""

    def __init__(self, database):
        self.database = database

    def __enter__(self):
        self.database.ensure_connection()
        self.database._start_transaction_under_autocommit()
        self.database.in_atomic_block = True

    def __exit__(self, *exc):
        self.database.in_atomic_block = False
        self.database.commit()
