"""Connects messaging to the event bus.

Handling runs after each commit but never makes the request wait: by default a dispatcher
thread per process wakes up and turns new events into outbox rows (`MESSAGING_DISPATCH`). The
thread also wakes every few seconds on its own, and each send task catches up first, so events
committed by a process that died before dispatching are still handled (from the cursor). A
second thread sends transactional messages the moment they are committed (ADR 75).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import translation

from townsquare.cases.events import CaseCreated, CasesBulkLoaded
from townsquare.core.eventlog import DomainEvent, subscribe, subscribe_in_transaction
from townsquare.core.models import Event

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0


class _Background:
    """A thread per process that runs `work` when woken, and every `poll_seconds` anyway."""

    def __init__(self, name: str, work: Callable[[], None], *, poll_seconds: float) -> None:
        self._name = name
        self._work = work
        self._poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pid: int | None = None

    def wake(self) -> None:
        with self._lock:
            # After a fork the parent's thread does not exist in the child: start our own.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name=self._name, daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread once its current round of work is done (tests)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        while True:
            self._wake.wait(timeout=self._poll_seconds)
            self._wake.clear()
            if stop.is_set():
                return
            try:
                self._work()
            except Exception:
                # At interpreter exit the database and logging may already be gone; nothing is
                # lost (the cursor, the queued rows), so stay quiet then.
                if not sys.is_finalizing():
                    log.exception("%s failed; the next wake-up or a worker tries again", self._name)
            finally:
                connection.close()


def _dispatch_pending() -> None:
    from townsquare.messaging.outbox import outbox_dispatch, pending

    if pending():
        outbox_dispatch()


_waiting_lock = threading.Lock()
_waiting: set[int] = set()


def _send_waiting() -> None:
    from townsquare.messaging.sending import outbox_send_now

    with _waiting_lock:
        ids = sorted(_waiting)
        _waiting.clear()
    if ids:
        outbox_send_now(message_ids=ids)


dispatcher = _Background("outbox-dispatch", _dispatch_pending, poll_seconds=POLL_SECONDS)
# Its own thread, so a transactional message never waits behind the planning of a burst of
# events (thousands of area alerts take seconds).
sender = _Background("outbox-send-now", _send_waiting, poll_seconds=POLL_SECONDS)


def transactional_send_soon(message_id: int) -> None:
    """Send a just-committed transactional message now (ADR 75): in this process's sender
    thread (`thread`), or here and now (`inline`, tests). With `off`, the worker task queued
    with the message sends it."""
    mode = settings.MESSAGING_DISPATCH
    if mode == "inline":
        from townsquare.messaging.sending import outbox_send_now

        outbox_send_now(message_ids=[message_id])
    elif mode == "thread":
        with _waiting_lock:
            _waiting.add(message_id)
        sender.wake()


def on_event(event: DomainEvent, record: Event) -> None:
    mode = settings.MESSAGING_DISPATCH
    if mode == "off" or isinstance(event, CasesBulkLoaded):
        return
    if mode == "inline":
        from townsquare.messaging.outbox import outbox_dispatch

        outbox_dispatch()
    else:
        dispatcher.wake()


def on_case_created(event: DomainEvent, record: Event) -> None:
    """The reporter's subscription to their case, written with the case (one write transaction
    per report, not two). The reporter's language is the page's language now, in the request
    that reported."""
    if settings.MESSAGING_DISPATCH == "off" or not isinstance(event, CaseCreated):
        return
    from townsquare.cases.models import Case
    from townsquare.messaging.outbox import reporter_subscriptions_ensure

    case = Case.objects.filter(pk=event.case_id).first()
    if case is not None:
        language = "cy" if (translation.get_language() or "").startswith("cy") else "en"
        reporter_subscriptions_ensure([case], language=language)


def on_bulk_load(event: DomainEvent, record: Event) -> None:
    """In the process that loaded the cases (a command, never a request)."""
    if settings.MESSAGING_DISPATCH == "off" or not isinstance(event, CasesBulkLoaded):
        return
    from townsquare.messaging.outbox import outbox_skip_bulk_load

    # Past the load's own event too: it is for the log's consumers, not for council systems.
    outbox_skip_bulk_load(first_event_id=event.first_event_id, last_event_id=record.id)


def on_payment_succeeded(event: DomainEvent, record: Event) -> None:
    """The applicant's receipt, once per successful payment (the event is appended once)."""
    from townsquare.messaging.services import payment_receipt_send

    payment_receipt_send(payment_id=event.payment_id)  # type: ignore[attr-defined]


def connect() -> None:
    from townsquare.payments.events import PaymentSucceeded

    subscribe(DomainEvent, on_event)
    subscribe(CasesBulkLoaded, on_bulk_load)
    subscribe_in_transaction(CaseCreated, on_case_created)
    subscribe(PaymentSucceeded, on_payment_succeeded)
