"""One watcher of the event log per process, fanning new events out to every open stream.

A thread follows the log: on PostgreSQL it LISTENs on a channel that every process NOTIFYs
after a commit that appended events (so a change made by any app process reaches streams in
all of them at once), and on SQLite it polls the newest event id, a single index lookup, a few
times a second. Either way it then reads the new events in id order (ids commit in order, see
core.eventlog) and hands them to the asyncio loop, which puts each on the queues of the streams
that want it. A missed notification costs at most one safety poll interval, never an event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from townsquare.core.eventlog import DomainEvent, event_rows_after, newest_event_id, subscribe
from townsquare.core.models import Event

log = logging.getLogger(__name__)
CHANNEL = "townsquare_events"
_FIELDS = ("id", "kind", "council_id", "stream", "stream_id", "visibility", "payload", "created_at")


@dataclass(frozen=True)
class LiveEvent:
    id: int
    kind: str
    council_id: int | None
    stream: str
    stream_id: int
    visibility: str
    payload: dict[str, Any]
    created_at: Any


def events_after(last_id: int, *, limit: int = 1000, **filters: Any) -> list[LiveEvent]:
    """Filters: stream, stream_id, visibility, council_id (see core.eventlog.event_rows_after)."""
    return [
        LiveEvent(*row) for row in event_rows_after(last_id, fields=_FIELDS, limit=limit, **filters)
    ]


def _notify(event: DomainEvent, record: Event) -> None:
    # After commit, in the process that made the change: wake the watchers of every process.
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(record.id)])
    except Exception:
        log.exception("Could not notify live streams of event %s", record.id)


def connect_notifier() -> None:
    subscribe(DomainEvent, _notify)


class Subscription:
    """What one stream wants: events of one case, or of one council, and whether internal
    events too."""

    def __init__(
        self,
        *,
        case_id: int | None = None,
        council_id: int | None = None,
        internal: bool = False,
        session_id: int | None = None,
    ) -> None:
        self.case_id = case_id
        self.council_id = council_id
        self.internal = internal
        # A live queue's session (appointments): its waiting-room board.
        self.session_id = session_id
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=10_000)
        self.overflowed = False

    def wants(self, event: LiveEvent) -> bool:
        if not self.internal and event.visibility != "public":
            return False
        if self.case_id is not None:
            return event.stream == "case" and event.stream_id == self.case_id
        if self.session_id is not None:
            return event.stream == "session" and event.stream_id == self.session_id
        return event.council_id == self.council_id

    def offer(self, event: LiveEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A client this far behind resumes from the log when it reconnects.
            self.overflowed = True


class Broker:
    def __init__(self) -> None:
        self.by_case: dict[int, set[Subscription]] = defaultdict(set)
        self.by_council: dict[int | None, set[Subscription]] = defaultdict(set)
        self.by_session: dict[int, set[Subscription]] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.position = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._started = threading.Event()

    # --- on the event loop
    def add(self, subscription: Subscription) -> None:
        self._ensure_running()
        if subscription.case_id is not None:
            self.by_case[subscription.case_id].add(subscription)
        elif subscription.session_id is not None:
            self.by_session[subscription.session_id].add(subscription)
        else:
            self.by_council[subscription.council_id].add(subscription)

    def remove(self, subscription: Subscription) -> None:
        if subscription.case_id is not None:
            self.by_case[subscription.case_id].discard(subscription)
            if not self.by_case[subscription.case_id]:
                del self.by_case[subscription.case_id]
        elif subscription.session_id is not None:
            self.by_session[subscription.session_id].discard(subscription)
            if not self.by_session[subscription.session_id]:
                del self.by_session[subscription.session_id]
        else:
            self.by_council[subscription.council_id].discard(subscription)
            if not self.by_council[subscription.council_id]:
                del self.by_council[subscription.council_id]

    def _dispatch(self, events: list[LiveEvent]) -> None:
        for event in events:
            targets = list(self.by_council.get(event.council_id, ()))
            if event.stream == "case":
                targets += self.by_case.get(event.stream_id, ())
            elif event.stream == "session":
                targets += self.by_session.get(event.stream_id, ())
            for subscription in targets:
                if subscription.wants(event):
                    subscription.offer(event)

    @property
    def subscribers(self) -> int:
        return (
            sum(len(s) for s in self.by_case.values())
            + sum(len(s) for s in self.by_council.values())
            + sum(len(s) for s in self.by_session.values())
        )

    async def ready(self) -> None:
        """Wait until the watcher knows its starting point (at most once per process)."""
        while not self._started.is_set():
            await asyncio.sleep(0.005)

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.loop = asyncio.get_running_loop()
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="live-broker", daemon=True)
        self._thread.start()

    # --- on the watcher thread
    def _watch(self) -> None:
        poll = settings.LIVE_POLL_SECONDS
        while not self._stop.is_set():
            try:
                close_old_connections()
                if not self._started.is_set():
                    # From here on every event reaches the streams; streams read what came
                    # before from the log themselves (Last-Event-ID).
                    self.position = newest_event_id()
                    self._started.set()
                if connection.vendor == "postgresql":
                    self._follow_postgres(poll)
                else:
                    self._follow_polling(poll)
            except Exception:
                log.exception("Live broker lost the database; retrying")
                connection.close()
                self._stop.wait(1.0)
        # A stopped watcher leaves no idle connection behind (a test database can then be
        # flushed or dropped).
        connection.close()

    def _catch_up(self) -> None:
        while True:
            events = events_after(self.position, limit=2000)
            if not events:
                return
            self.position = events[-1].id
            assert self.loop is not None
            self.loop.call_soon_threadsafe(self._dispatch, events)
            if len(events) < 2000:
                return

    def _follow_polling(self, poll: float) -> None:
        while not self._stop.is_set():
            if newest_event_id() > self.position:
                self._catch_up()
            self._stop.wait(poll)

    def _follow_postgres(self, poll: float) -> None:
        connection.ensure_connection()
        raw = connection.connection
        raw.execute(f"LISTEN {CHANNEL}")
        self._catch_up()
        # Notifications only wake us; the log says what happened. Waking on a timeout too
        # picks up rows written without a notification (bulk loads).
        while not self._stop.is_set():
            for _ in raw.notifies(timeout=max(poll, 1.0), stop_after=1):
                break
            self._catch_up()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, *, wait_seconds: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait_seconds)
        # Started again, the watcher takes the log's newest event as its starting point anew.
        self._started.clear()


broker = Broker()
