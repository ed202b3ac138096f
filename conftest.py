from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests import factories, network_guard


def pytest_addoption(parser):
    parser.addoption(
        "--slow-requests",
        action="store_true",
        help="pause 1.5 s before every other test-client request, as a loaded "
        "machine would (tests/slow_requests.py)",
    )
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database (CI's second run, on PostgreSQL)",
    )


# The fixtures through which a test reaches the database (pytest-django's, and the live server).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _uses_database(item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & _DATABASE_FIXTURES)


def pytest_collection_modifyitems(config, items):
    """Browser journeys run last in each process: Playwright's sync API keeps an asyncio loop
    running in the main thread once started, and Django's test client cannot then call an async
    view (a live stream) from that thread, so a later test of one would fail."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    if config.getoption("--database-tests-only"):
        # A test that never touches the database proves nothing more on a second engine.
        kept = [item for item in items if _uses_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if not _uses_database(item)])
        items[:] = kept


def pytest_configure(config):
    """Remove a previous run's SQLite test database with its WAL files.

    Django deletes the old test database file but not its -wal and -shm companions, and a new
    database beside a stale WAL fails with "disk I/O error".
    """
    # No dispatcher thread in tests, not even for data loaded outside a test function (module
    # fixtures): it would send from other tests' committed events in the background. Tests
    # that test messaging switch dispatch on ("inline") themselves.
    settings.MESSAGING_DISPATCH = "off"
    # Emailed links are built from PUBLIC_URL (ADR 130); in tests, the test client's own host.
    settings.PUBLIC_URL = "http://testserver"
    network_guard.install()
    if config.getoption("--slow-requests"):
        from tests import slow_requests

        config.pluginmanager.register(slow_requests, "slow_requests")
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
def interval_clock():
    """The per-process caches' and throttles' clock, held still for the test: they re-check
    only when a write invalidates them or the test moves the clock (`interval_clock.advance`),
    never because the machine was slow between two requests. Caches start empty, as test
    rollbacks undo rows without telling them."""
    from townsquare.core.caching import invalidate_all
    from townsquare.core.clock import hold_monotonic

    invalidate_all()
    with hold_monotonic() as held:
        yield held
    invalidate_all()


@pytest.fixture(autouse=True)
def _rate_limits_out_of_the_way(settings):
    # The clock that refills the rate buckets is held still in tests (interval_clock), so a
    # long journey from one address would run dry where a person, over minutes, would not.
    # tests/test_rate_limits.py sets the limits low and tests them.
    settings.PUBLIC_WRITES_PER_MINUTE = 100_000
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 100_000
    settings.SIGNIN_LINKS_PER_REQUESTER_PER_HOUR = 100_000
    settings.SIGNIN_LINKS_PER_ADDRESS_PER_HOUR = 100_000
    settings.STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR = 100_000
    settings.OPEN311_WRITES_PER_MINUTE = 100_000
    # Each API call's log row is written as the call is answered, so a test sees it at once
    # (tests/test_api_rate_lease.py tests the batches).
    settings.API_CALL_LOG_BATCH = 1


@pytest.fixture(autouse=True)
def _english_afterwards():
    # A Welsh request leaves Welsh active in the test's thread (LocaleMiddleware activates a
    # language and nothing deactivates it), and code that reads the active language, such as
    # messaging choosing a reporter's language, would then write in Welsh in a later test.
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture(autouse=True)
def _messaging_quiet(settings):
    # Tests that do not test messaging send nothing; messaging's tests switch dispatch on.
    settings.MESSAGING_DISPATCH = "off"


@pytest.fixture(autouse=True)
def _live_broker_stopped_after_each_test():
    # A test that opened a live stream starts the watcher thread, which keeps reading the event
    # table. Left running, its reads can deadlock with the next transactional test's flush
    # (TRUNCATE) on PostgreSQL. This fixture is set up after pytest-django's database fixture,
    # so it is torn down before the flush.
    yield
    from townsquare.live.broker import broker

    if broker.running:
        broker.stop()


@pytest.fixture(scope="session", autouse=True)
def _background_threads_stopped_before_the_database_goes(django_db_setup):
    # Live streams start a watcher thread per process; stop it while the test database still
    # exists, so it never logs "lost the database" into a closed capture at the end of a run.
    yield
    from townsquare.live.broker import broker

    broker.stop()
