"""Helpers for the browser journeys: the axe-core check and keyboard moves."""

from __future__ import annotations

import re
import weakref
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# How long a step may wait for the page. Generous, because a loaded CI machine can be slow: it only
# ends a journey that has already failed, and a passing journey never waits for it.
TIMEOUT_MS = 90_000
VIEWPORT = {"width": 1024, "height": 800}
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
# Pages opened with JavaScript off: axe cannot run in them (their timers never fire).
NO_JS_PAGES: weakref.WeakSet[Any] = weakref.WeakSet()


def assert_accessible(page: Any) -> None:
    """Fail with every WCAG 2.x A/AA violation axe-core finds on the page as it is now.

    With JavaScript off, axe cannot run in the page itself (Chromium fires no timers there), so
    the page's DOM, without its scripts, is served again at the same address to a page with
    JavaScript on, which loads the same styles and renders what the resident saw.
    """
    if page in NO_JS_PAGES:
        _audit_snapshot(page)
        return
    _audit(page, page)


def _audit_snapshot(page: Any) -> None:
    url = page.url.split("#", 1)[0]
    html = _SCRIPT.sub("", page.content())
    twin = _twin(page.context.browser)

    def serve(route: Any) -> None:
        route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")

    twin.route(url, serve)
    try:
        twin.goto(url)
        _audit(twin, page)
    finally:
        twin.unroute(url, serve)


# One page with JavaScript on per browser, reused for every snapshot.
_TWINS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _twin(browser: Any) -> Any:
    twin = _TWINS.get(browser)
    if twin is None or twin.is_closed():
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        twin = _TWINS[browser] = context.new_page()
    return twin


def _audit(page: Any, shown: Any) -> None:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary || ''})),
            }));
        }""",
        WCAG_TAGS,
    )
    if results:
        pytest.fail(
            f"axe found {len(results)} accessibility violation(s) on {shown.url} "
            f"({shown.title()!r}):\n" + format_violations(results),
            pytrace=False,
        )


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}")
            for detail in node["summary"].splitlines():
                if detail.strip():
                    lines.append(f"      {detail.strip()}")
    return "\n".join(lines)


def focused(page: Any) -> str:
    """A short description of the focused element, for messages: tag#id or its text."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el === document.body) return 'body';
        return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.type ? '[' + el.type + ']' : '')
            + ' ' + (el.textContent || '').trim().slice(0, 40);
    }""")


def tab_to(page: Any, selector: str, *, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    passed = []
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press(key)
        passed.append(focused(page))
    pytest.fail(
        f"{selector} never took the focus after {limit} presses of {key}; focus went "
        f"through: {' → '.join(passed)}",
        pytrace=False,
    )


def assert_focused(page: Any, selector: str) -> None:
    if not page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
        pytest.fail(f"expected the focus on {selector}, it is on {focused(page)}", pytrace=False)


def staff_sign_in(
    page: Any, email: str, *, password: str | None = None, secret: str | None = None
) -> None:
    """Sign in to the staff web through its pages (password, then the current TOTP code).

    Defaults match tests.factories.make_staff_signed_in."""
    import pyotp

    from tests.factories import STAFF_PASSWORD, STAFF_TOTP_SECRET

    page.goto("/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password or STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Enter your security code").fill(
        pyotp.TOTP(secret or STAFF_TOTP_SECRET).now()
    )
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/**")
