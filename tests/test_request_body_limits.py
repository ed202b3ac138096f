"""Request bodies are read and bounded before a view's thread is taken (config/request_body.py,
ADR 140): the guard alone, with an ASGI receive the test controls, and a2wsgi behind it."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from a2wsgi import WSGIMiddleware

from config.request_body import SPOOL_IN_MEMORY_BYTES, BodyLimits, body_limited

LIMITS = BodyLimits(max_bytes=10 * 1024 * 1024, timeout_seconds=30, min_rate=1000)


class Recorder:
    """An ASGI app that records the body it was given and answers 200."""

    def __init__(self) -> None:
        self.body = b""
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _scope(path="/", headers=()):
    return {"type": "http", "method": "POST", "path": path, "headers": list(headers)}


def _receiving(*chunks: bytes, then_wait: bool = False):
    """A client that sends `chunks`, then either ends the body or sends nothing more."""
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or then_wait}
        for i, c in enumerate(chunks)
    ]

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # a client that never sends the rest

    return receive


def _run(app, scope, receive):
    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_a_whole_body_reaches_the_application_unchanged():
    app = Recorder()
    status, _, _ = _run(body_limited(app, LIMITS), _scope(), _receiving(b"a=1", b"&b=2"))
    assert status == 200 and app.body == b"a=1&b=2"


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read():
    app = Recorder()

    async def receive():
        raise AssertionError("the body must not be read")

    headers = [(b"content-length", str(LIMITS.max_bytes + 1).encode())]
    status, response_headers, body = _run(
        body_limited(app, LIMITS), _scope("/api/v1/cases", headers), receive
    )
    assert status == 413 and not app.called
    assert response_headers[b"content-type"] == b"application/problem+json"
    assert json.loads(body)["code"] == "too_large"


def test_a_chunked_body_growing_past_the_limit_is_refused():
    app = Recorder()
    small = BodyLimits(max_bytes=10, timeout_seconds=30, min_rate=1000)
    status, response_headers, body = _run(
        body_limited(app, small), _scope("/report"), _receiving(b"123456", b"7890AB")
    )
    assert status == 413 and not app.called
    assert response_headers[b"content-type"].startswith(b"text/html")
    assert b"too large" in body and b"rhy fawr" in body  # English and Welsh


def test_a_body_that_stops_arriving_is_refused_at_its_deadline():
    app = Recorder()
    # A deadline that has already passed: the first wait for the rest of the body ends it.
    expired = BodyLimits(max_bytes=1000, timeout_seconds=0, min_rate=1000)
    status, headers, body = _run(
        body_limited(app, expired), _scope("/open311/v2/requests.json"), _receiving(then_wait=True)
    )
    assert status == 408 and not app.called
    assert headers[b"connection"] == b"close"
    assert json.loads(body) == {
        "type": "urn:townsquare:problem:request_timeout",
        "title": "Request timeout",
        "status": 408,
        "detail": "The request body did not arrive in time.",
        "code": "request_timeout",
    }


def test_a_client_gone_before_its_body_arrived_gets_no_answer():
    app = Recorder()
    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(body_limited(app, LIMITS)(_scope(), receive, send))
    assert sent == [] and not app.called


def test_after_the_body_the_application_hears_the_client_leave():
    """Django listens for a disconnect while it streams a response."""
    heard = []

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        heard.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [
        {"type": "http.request", "body": b"x", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive():
        return messages.pop(0)

    _run(body_limited(app, LIMITS), _scope(), receive)
    assert heard == ["http.disconnect"]


def test_a_large_upload_within_the_limit_reaches_a_wsgi_view_whole():
    """Larger than the in-memory spool (so from a temporary file), through a2wsgi's threads."""
    upload = bytes(range(256)) * (3 * SPOOL_IN_MEMORY_BYTES // 256 + 7)

    def view(environ, start_response):
        length = int(environ["CONTENT_LENGTH"])
        digest = hashlib.sha256(environ["wsgi.input"].read(length)).hexdigest()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [digest.encode()]

    chunks = [upload[i : i + 65536] for i in range(0, len(upload), 65536)]
    scope = {
        **_scope(headers=[(b"content-length", str(len(upload)).encode())]),
        "query_string": b"",
        "http_version": "1.1",
    }
    wsgi = WSGIMiddleware(view, workers=1)

    async def send_to(app, receive, sent):
        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    sent: list = []
    asyncio.run(send_to(body_limited(wsgi, LIMITS), _receiving(*chunks), sent))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert body.decode() == hashlib.sha256(upload).hexdigest()


@pytest.mark.parametrize("kind", ["lifespan", "websocket"])
def test_other_scopes_pass_through(kind):
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(body_limited(app, LIMITS)({"type": kind}, None, None))
    assert seen == [kind]
