"""Request bodies are read and bounded on the event loop, before a view's thread is taken
(ADR 140).

Ordinary views run in a small pool of threads per process (config/asgi.py). If a view's thread
read the body, sixteen clients sending a few bytes a second would hold every thread and the
site would stop answering. Here, a body is read as idle awaits on the event loop instead,
within a size limit and a deadline that a client sending at a fair rate never meets: the
deadline starts at `timeout_seconds` and every byte received moves it on by 1/`min_rate` of a
second (Apache's mod_reqtimeout rule). Only a body received whole reaches the application, from
a spool (memory, then a temporary file); a refused one gets a 413 or 408 here and no view runs.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# Bodies up to this size stay in memory; larger ones (photo uploads) go to a temporary file,
# so a thousand slow uploads cost disk, not memory.
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
# How much of a spooled body the application is handed per `receive`.
REPLAY_CHUNK_BYTES = 256 * 1024
# Machine interfaces answer in problem details (RFC 9457), as the REST API's own errors do.
PROBLEM_PREFIXES = ("/api/", "/open311/")


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int
    timeout_seconds: float
    min_rate: float  # bytes per second that keep the deadline from coming nearer


@dataclass(frozen=True)
class _Refusal:
    status: int
    code: str
    title: str
    detail: str
    page_title: str
    page_title_cy: str
    page_text: str
    page_text_cy: str


TOO_LARGE = _Refusal(
    413,
    "too_large",
    "Request too large",
    "The request body is larger than this server takes.",
    "What you sent is too large",
    "Mae'r hyn a anfonoch yn rhy fawr",
    "Go back, send smaller files or fewer at once, and try again.",
    "Ewch yn ôl, anfonwch ffeiliau llai neu lai ohonynt ar unwaith, a rhowch gynnig arall arni.",
)
TOO_SLOW = _Refusal(
    408,
    "request_timeout",
    "Request timeout",
    "The request body did not arrive in time.",
    "What you sent took too long to arrive",
    "Cymerodd yr hyn a anfonoch ormod o amser i gyrraedd",
    "Go back and try again, on a better connection if you can.",
    "Ewch yn ôl a rhowch gynnig arall arni, ar gysylltiad gwell os gallwch.",
)


class _Refused(Exception):
    def __init__(self, refusal: _Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


class _ClientGone(Exception):
    pass


def body_limited(app: App, limits: BodyLimits) -> App:
    """`app`, given only requests whose body arrived whole, within `limits`."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        try:
            declared = _declared_length(scope)
            if declared is not None and declared > limits.max_bytes:
                raise _Refused(TOO_LARGE)
            spool, size = await _read_body(receive, limits)
        except _Refused as refused:
            await _refuse(scope, send, refused.refusal)
            return
        except _ClientGone:
            return
        with spool:
            await app(scope, _replay(spool, size, receive), send)

    return guarded


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limits: BodyLimits) -> tuple[Any, int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.timeout_seconds
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    size = 0
    try:
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _Refused(TOO_SLOW) from None
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.max_bytes:
                raise _Refused(TOO_LARGE)
            if chunk:
                spool.write(chunk)
                deadline += len(chunk) / limits.min_rate
            if not message.get("more_body", False):
                break
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size


def _replay(spool: Any, size: int, receive: Receive) -> Receive:
    """The body from the spool, then the client's own messages (a disconnect, which Django
    listens for while it streams a response)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        chunk = spool.read(REPLAY_CHUNK_BYTES)
        more = spool.tell() < size
        replayed = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


async def _refuse(scope: Scope, send: Send, refusal: _Refusal) -> None:
    if scope["path"].startswith(PROBLEM_PREFIXES):
        content_type = b"application/problem+json"
        body = json.dumps(
            {
                "type": f"urn:townsquare:problem:{refusal.code}",
                "title": refusal.title,
                "status": refusal.status,
                "detail": refusal.detail,
                "code": refusal.code,
            }
        ).encode()
    else:
        content_type = b"text/html; charset=utf-8"
        body = _page(refusal).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body was never read: the connection cannot carry another
                # request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _page(refusal: _Refusal) -> str:
    # Written out here, in both languages, because no view (and so no template, session or
    # language cookie) runs for a refused request.
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{refusal.page_title}</title></head>"
        '<body style="font-family: arial, sans-serif; max-width: 40em; margin: 2em auto">'
        f"<h1>{refusal.page_title}</h1><p>{refusal.page_text}</p>"
        f'<div lang="cy"><h2>{refusal.page_title_cy}</h2><p>{refusal.page_text_cy}</p></div>'
        "</body></html>"
    )
