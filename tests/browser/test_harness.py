"""The axe check itself: it must fail, readably, on a page with violations, with JavaScript on
and off (a check that cannot fail would make every journey's "axe clean" meaningless)."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible

pytestmark = pytest.mark.browser

BAD_PAGE = """<!DOCTYPE html><html><head><title>Bad</title></head><body><main>
<h1>Bad page</h1><img src="/static/ui/none.png">
<p style="color:#ddd;background:#fff">Faint text</p>
<label>Name</label><input id="name" type="text">
</main></body></html>"""


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_assert_accessible_lists_the_violations(new_page, live_server, javascript):
    page = new_page(javascript=javascript)
    url = f"{live_server.url}/__bad__"
    page.route(
        url,
        lambda route: route.fulfill(
            status=200, body=BAD_PAGE, content_type="text/html; charset=utf-8"
        ),
    )
    page.goto(url)
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert f"on {url} ('Bad')" in message
    for rule in ("html-has-lang", "image-alt", "color-contrast", "label"):
        assert f"- {rule} [" in message, message
    assert "at img" in message and "dequeuniversity.com" in message
