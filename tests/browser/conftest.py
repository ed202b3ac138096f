"""Browser journeys: Playwright (sync API) driving the system's Chromium against a live server.

Playwright's own browser download is never used: the tests launch the Chromium at
$TOWNSQUARE_CHROMIUM (default /usr/bin/chromium) and are skipped, with the reason, when it or the
`playwright` package is missing. One browser is started per test process and shared; every test
gets a fresh context (cookies, JavaScript on or off) and page.

`support.assert_accessible(page)` runs the vendored axe-core (vendor/axe.min.js) on the page as
it is and fails with the list of WCAG 2.0/2.1/2.2 A and AA violations.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser.support import NO_JS_PAGES, TIMEOUT_MS, VIEWPORT
from tests.citizen_mailbox import smtp_mailbox  # noqa: F401 (a real SMTP server, a fixture)
from tests.identity_provider import (  # noqa: F401 (the local OpenID Provider, fixtures)
    live_identity_provider,
    live_one_login,
)

CHROMIUM = os.environ.get("TOWNSQUARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_missing() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        return (
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set "
            "TOWNSQUARE_CHROMIUM); browser tests skipped"
        )
    return ""


# CI sets TOWNSQUARE_BROWSER_TESTS=required: there a missing browser fails the run instead of
# skipping the journeys (a green CI must mean they ran).
REQUIRED = os.environ.get("TOWNSQUARE_BROWSER_TESTS", "") == "required"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TOWNSQUARE_BROWSER_TESTS=required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _chromium_missing()
    if reason:
        _unavailable(reason)
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        _unavailable(
            "the playwright package is not installed (pip install -e '.[dev]'); "
            "browser tests skipped"
        )
    # Playwright's sync API keeps an asyncio loop in this thread for as long as it runs, which
    # Django takes for async code: it would refuse database access from every later test in this
    # process (fixtures, flushes) unless told otherwise.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    try:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except Exception as exc:
            _unavailable(f"Chromium at {CHROMIUM} could not be started: {exc}")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context: new_page(javascript=False) for a no-JS visit."""
    contexts = []

    def open_page(*, javascript: bool = True) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            locale="en-GB",
            viewport=VIEWPORT,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        opened = context.new_page()
        if not javascript:
            NO_JS_PAGES.add(opened)
        return opened

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Any:
    return new_page(javascript=True)


@pytest.fixture
def town(transactional_db, live_server):
    """A council with its wards and services, committed so the live server sees it."""
    return factories.make_council("testshire", prefix="TST", bounds=(-2.0, 51.0, -1.0, 52.0))
