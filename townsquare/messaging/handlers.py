"""Connects messaging to the event bus.

Handling runs after each commit but never makes the request wait: by default a dispatcher
thread per process wakes up and turns new events into outbox rows (`MESSAGING_DISPATCH`). The
thread also wakes every few seconds on its own, and each send task catches up first, so events
committed by a process that died before dispatching are still handled (from the cursor).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from django.conf import settings
from django.db import connection
from django.utils import translation

from townsquare.cases.events import CaseCreated
from townsquare.core.eventlog import DomainEvent, subscribe
from townsquare.core.models import Event

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0


class _Dispatcher:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def wake(self) -> None:
        with self._lock:
            # After a fork the parent's thread does not exist in the child: start our own.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="outbox-dispatch",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        from townsquare.messaging.outbox import outbox_dispatch, pending

        while True:
            self._wake.wait(timeout=POLL_SECONDS)
            self._wake.clear()
            try:
                if pending():
                    outbox_dispatch()
            except Exception:
                # At interpreter exit the database and logging may already be gone; the cursor
                # means nothing is lost, so stay quiet then.
                if not sys.is_finalizing():
                    log.exception("Outbox dispatch failed; the next wake-up retries from the "
                                  "cursor")
            finally:
                connection.close()


dispatcher = _Dispatcher()


def on_event(event: DomainEvent, record: Event) -> None:
    mode = settings.MESSAGING_DISPATCH
    if mode == "off":
        return
    if isinstance(event, CaseCreated):
        # The reporter's language is the page's language now, in the request that reported.
        from townsquare.cases.models import Case
        from townsquare.messaging.outbox import reporter_subscriptions_ensure

        case = Case.objects.filter(pk=event.case_id).first()
        if case is not None:
            language = "cy" if (translation.get_language() or "").startswith("cy") else "en"
            reporter_subscriptions_ensure([case], language=language)
    if mode == "inline":
        from townsquare.messaging.outbox import outbox_dispatch

        outbox_dispatch()
    else:
        dispatcher.wake()


def connect() -> None:
    subscribe(DomainEvent, on_event)
