from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests import factories


def pytest_configure(config):
    """Remove a previous run's SQLite test database with its WAL files.

    Django deletes the old test database file but not its -wal and -shm companions, and a new
    database beside a stale WAL fails with "disk I/O error".
    """
    database = settings.DATABASES["default"]
    if "sqlite" not in database["ENGINE"]:
        return
    name = Path(database["TEST"]["NAME"])
    worker = getattr(config, "workerinput", {}).get("workerid")
    stem = f"{name.name}_{worker}" if worker else name.name
    for suffix in ("", "-wal", "-shm", "-journal"):
        (name.parent / f"{stem}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage needs `collectstatic`; tests render pages without running it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Test rollbacks undo rows without telling the per-process caches.
    from townsquare.core.caching import invalidate_all

    invalidate_all()
    yield
    invalidate_all()


@pytest.fixture
def council(db):
    return factories.make_council("testshire", prefix="TST", bounds=(-2.0, 51.0, -1.0, 52.0))


@pytest.fixture
def other_council(db):
    return factories.make_council("otherton", prefix="OTH", bounds=(0.0, 51.0, 1.0, 52.0))


@pytest.fixture
def agent(council):
    return factories.make_staff(council, "agent")[1]


@pytest.fixture
def supervisor(council):
    return factories.make_staff(council, "supervisor")[1]
