"""Server-sent event streams: a case's public events (to anyone for a public case, to its
applicant alone for a private application, ADR 100), and staff streams of a council.

Each message is `id: <event id>` and a small JSON `data` naming the event's kind (what
changed, never free text or personal data; one unnamed SSE event type, so clients need one
handler). Pages fetch the fragment they show again when one arrives (ui/static/ui/live.js).
A client reconnecting with Last-Event-ID (browsers send it themselves) first gets every
matching event after that id from the log, then live ones, so nothing is missed and nothing
repeated. Views are async: a thousand open streams are a thousand idle coroutines, not a
thousand threads.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.appointments.selectors import public_session_get
from townsquare.cases.selectors import (
    case_get_for_user,
    citizen_case_by_reference,
    public_case_by_reference,
)
from townsquare.core.errors import DomainError
from townsquare.core.numbers import whole_number
from townsquare.councils.selectors import council_get
from townsquare.live.broker import LiveEvent, Subscription, broker, events_after

RETRY_MS = 3000


def _db(function):
    """Run a database call on the shared thread pool, not on a thread of this request's own:
    an open stream must not hold a database connection for its whole life (a thousand streams
    would need a thousand PostgreSQL connections). The pool's few threads keep theirs."""
    return sync_to_async(function, thread_sensitive=False)


# Council-wide streams (queues, dashboards) send at most one message per this many seconds:
# their pages refetch counts, and a burst of a hundred changes needs one refetch, not a hundred.
COALESCE_S = 0.5
TOPICS = ("queue", "dashboard", "events")


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    return whole_number(raw)


def _message(event: LiveEvent, *, internal: bool) -> str:
    data = {"id": event.id, "kind": event.kind, "at": event.created_at.isoformat()}
    if event.stream == "session":
        data["session"] = event.stream_id
    elif event.stream == "case":
        data["reference"] = event.payload.get("reference", "")
        for key in ("state", "to_state"):
            if key in event.payload:
                data["state"] = event.payload[key]
    elif internal:
        data["stream"] = event.stream
    return f"id: {event.id}\ndata: {json.dumps(data)}\n\n"


def _problem(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


async def _stream(
    subscription: Subscription, last_id: int | None, *, coalesce: bool, backlog_filters: dict
) -> AsyncIterator[str]:
    broker.add(subscription)
    try:
        await broker.ready()
        yield f"retry: {RETRY_MS}\n\n"
        sent = last_id
        if last_id is None:
            # A fresh client has the page as it is; tell it where the log stands, so that a
            # reconnect resumes from here.
            sent = await _db(_position)()
            yield f'id: {sent}\ndata: {{"id": {sent}, "kind": "ready"}}\n\n'
        else:
            while True:
                backlog = await _db(events_after)(sent, limit=500, **backlog_filters)
                backlog = [e for e in backlog if subscription.wants(e)]
                # Council streams only say "something changed": the newest event will do.
                for event in backlog[-1:] if coalesce else backlog:
                    yield _message(event, internal=subscription.internal)
                    sent = event.id
                if len(backlog) < 500:
                    break
        while True:
            try:
                event = await asyncio.wait_for(
                    subscription.queue.get(), timeout=settings.LIVE_HEARTBEAT_SECONDS
                )
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if subscription.overflowed:
                return  # the client reconnects and reads the rest from the log
            if event.id <= sent:
                continue
            if coalesce:
                await asyncio.sleep(COALESCE_S)
                while not subscription.queue.empty():
                    later = subscription.queue.get_nowait()
                    event = later if later.id > event.id else event
            yield _message(event, internal=subscription.internal)
            sent = event.id
    finally:
        broker.remove(subscription)


def _position() -> int:
    return broker.position


def _response(request: HttpRequest, stream: AsyncIterator[str]) -> HttpResponse:
    if not isinstance(request, ASGIRequest):
        # Under WSGI (runserver, the test live server) Django would read the endless stream
        # to its end before sending a byte, holding a thread for ever. 204 tells EventSource
        # to stop asking; the page then simply does not refresh itself.
        return HttpResponse(status=204)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    # Proxies (nginx) must pass each message on at once.
    response["X-Accel-Buffering"] = "no"
    return response


def _public_case_id(reference: str) -> int:
    return public_case_by_reference(reference=reference.upper()).rows[0]["id"]


# Set by the portal (townsquare.portal.drafts.SESSION_SUBMITTED): the references this browser
# sent, or opened by the link emailed to their applicant. Named, not imported: live and portal
# are sibling interfaces.
APPLICANT_SESSION_KEY = "submitted_references"


async def _citizen(request: HttpRequest) -> tuple[int | None, frozenset[str]]:
    """Who is asking, as the portal knows a citizen: their account, and the references this
    browser holds."""
    try:
        user = await request.auser()
        held = await sync_to_async(request.session.get)(APPLICANT_SESSION_KEY, [])
    finally:
        await sync_to_async(_release_connection)()
    user_id = user.pk if user.is_authenticated else None
    return user_id, frozenset(r for r in held or [] if isinstance(r, str))


def _own_case_id(reference: str, user_id: int | None, held: frozenset[str]) -> int:
    """A private case's id for the person who made it (cases.selectors.citizen_case_by_reference
    decides, as for the track page itself); NotFound for anyone else."""
    return citizen_case_by_reference(
        reference=reference.upper(), user_id=user_id, references=held
    ).rows[0]["id"]


async def case_public(request: HttpRequest, reference: str) -> HttpResponse:
    """A case's public events: anyone's for a public case; for a private one (an application)
    only its applicant's, signed in as its owner or in a browser holding its reference. Either
    way only events of public visibility, naming their kind and state, never their text."""
    if request.method != "GET":
        return _problem(405, "Use GET")
    try:
        case_id = await _db(_public_case_id)(reference[:40])
    except DomainError:
        # Not public: perhaps the asker's own application. The session is read only here, so
        # public streams cost no session lookup.
        user_id, held = await _citizen(request)
        try:
            case_id = await _db(_own_case_id)(reference[:40], user_id, held)
        except DomainError:
            return _problem(404, "No public request with that reference")
    subscription = Subscription(case_id=case_id)
    return _response(
        request,
        _stream(
            subscription,
            _last_event_id(request),
            coalesce=False,
            backlog_filters={"stream": "case", "stream_id": case_id, "visibility": "public"},
        ),
    )


# Set by the staff sign-in once both factors are passed (townsquare.staff.access.VERIFIED_AT;
# live is a sibling interface of staff, so it names the key rather than importing it).
STAFF_VERIFIED_SESSION_KEY = "staff.verified_at"


def _release_connection() -> None:
    # Looked up here, on the thread that ran the queries: each thread has its own connection.
    connection.close()


async def _principal(request: HttpRequest):
    try:
        user = await request.auser()
        verified = await sync_to_async(request.session.get)(STAFF_VERIFIED_SESSION_KEY)
    finally:
        # Reading the session and user ran on this request's own thread: give its database
        # connection back now, not when the stream ends.
        await sync_to_async(_release_connection)()
    if not verified:
        # Signed in with a password only (or as a resident): not staff for live streams.
        return Principal.anonymous()
    return await _db(principal_for_user)(user)


def _staff_case(principal, reference: str) -> tuple[int, int]:
    case = case_get_for_user(principal=principal, reference=reference.upper())
    return case.id, case.council_id


async def case_staff(request: HttpRequest, reference: str) -> HttpResponse:
    if request.method != "GET":
        # A stream is only read (EventSource sends GET), as the public stream.
        return _problem(405, "Use GET")
    principal = await _principal(request)
    if not principal.is_authenticated:
        return _problem(401, "Sign in as staff to follow this case")
    try:
        case_id, _council_id = await _db(_staff_case)(principal, reference[:40])
    except DomainError:
        # Cases of other councils are "not found", not "forbidden": their references leak
        # nothing.
        return _problem(404, "No case with that reference in your councils")
    subscription = Subscription(case_id=case_id, internal=True)
    return _response(
        request,
        _stream(
            subscription,
            _last_event_id(request),
            coalesce=False,
            backlog_filters={"stream": "case", "stream_id": case_id},
        ),
    )


async def council_staff(request: HttpRequest, slug: str, topic: str) -> HttpResponse:
    """Every event of one council, coalesced: for queue counts (topic "queue") and dashboard
    figures (topic "dashboard")."""
    if request.method != "GET":
        return _problem(405, "Use GET")
    if topic not in TOPICS:
        return _problem(404, f"Topics: {', '.join(TOPICS)}")
    principal = await _principal(request)
    if not principal.is_authenticated:
        return _problem(401, "Sign in as staff to follow this council")
    try:
        council = await _db(council_get)(slug=slug)
    except DomainError:
        return _problem(404, "No such council")
    if council.id not in principal.council_ids and not principal.is_platform_admin:
        # As for a council that does not exist: other councils are not there for staff (ADR 150).
        return _problem(404, "No such council")
    subscription = Subscription(council_id=council.id, internal=True)
    return _response(
        request,
        _stream(
            subscription,
            _last_event_id(request),
            coalesce=True,
            backlog_filters={"council_id": council.id},
        ),
    )


def _public_session_id(session_id: int) -> int:
    return public_session_get(session_id=session_id).id


async def queue_board(request: HttpRequest, session_id: int) -> HttpResponse:
    """A live queue's public events (delay, cancellation, people checked in, seen, moved): what
    its waiting-room board refetches on. Payloads name numbers, never people."""
    if request.method != "GET":
        return _problem(405, "Use GET")
    try:
        found = await _db(_public_session_id)(session_id)
    except DomainError:
        return _problem(404, "No such queue")
    return _response(
        request,
        _stream(
            Subscription(session_id=found),
            _last_event_id(request),
            coalesce=False,
            backlog_filters={"stream": "session", "stream_id": found, "visibility": "public"},
        ),
    )
