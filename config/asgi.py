"""The ASGI entry point that `townsquare serve` runs (see docs/adr/0040-asgi-live-streams.md).

Live streams (/live/...) go to Django's ASGI handler, where async views hold thousands of open
streams as idle coroutines. Everything else goes to the same Django project as a WSGI app run
in a pool of threads (a2wsgi), so ordinary synchronous views, and their database calls, run side
by side as under a WSGI server, instead of one at a time on asgiref's single sync thread.

Every request's body is read and bounded on the event loop first (config/request_body.py, ADR
140), so a slow or oversized upload holds no thread and never reaches a view.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from config.request_body import BodyLimits, body_limited

LIVE_PREFIX = "/live/"

django_asgi = get_asgi_application()
django_wsgi = WSGIMiddleware(
    get_wsgi_application(), workers=settings.WEB_THREADS, send_queue_size=16
)


async def _application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http" and scope["path"].startswith(LIVE_PREFIX):
        await django_asgi(scope, receive, send)
        return

    # a2wsgi hands these to asyncio.run_coroutine_threadsafe, which takes only coroutines;
    # granian's are awaitables of another kind (body_limited's receive is a coroutine already).
    async def send_coroutine(message):
        return await send(message)

    await django_wsgi(scope, receive, send_coroutine)


application = body_limited(
    _application,
    BodyLimits(
        max_bytes=settings.REQUEST_MAX_BODY_BYTES,
        timeout_seconds=settings.REQUEST_BODY_TIMEOUT_SECONDS,
        min_rate=settings.REQUEST_BODY_MIN_RATE,
    ),
)
