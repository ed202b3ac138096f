"""Background entry points (run by `townsquare worker`); each is safe to run twice."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django_tasks import task


@task()
def send_messages() -> int:
    from townsquare.messaging.outbox import outbox_dispatch
    from townsquare.messaging.sending import outbox_send_due

    # Catch up on events first: a web process may have died between its commit and dispatch.
    outbox_dispatch()
    handled = outbox_send_due()
    follow_up_ensure()
    return handled


@task()
def send_digests() -> int:
    from townsquare.messaging.digests import digests_send_due

    return digests_send_due()


def senders_enqueue(count: int, *, run_after: dt.datetime | None = None) -> None:
    """Ask the workers to send: one task per batch, up to one per worker process."""
    batches = math.ceil(count / settings.MESSAGING_BATCH_SIZE)
    for _ in range(max(1, min(batches, settings.MESSAGING_SENDERS))):
        if run_after is None:
            send_messages.enqueue()
        else:
            send_messages.using(run_after=run_after).enqueue()


def follow_up_ensure() -> None:
    """Make sure a send task will run when the next message falls due: a retry waiting for its
    time, an SMS waiting out quiet hours, or a message held by a worker that died (its lease)."""
    from django.db.models import Min, Q
    from django_tasks_db.models import DBTaskResult

    from townsquare.core import clock
    from townsquare.messaging.models import Message, Status

    waiting = Message.objects.filter(status=Status.QUEUED).aggregate(t=Min("next_attempt_at"))
    held = Message.objects.filter(status=Status.SENDING).aggregate(t=Min("lease_until"))
    times = [t for t in (waiting["t"], held["t"]) if t is not None]
    if not times:
        return
    when = max(min(times), clock.now())
    # A task enqueued without run_after is stored with the largest date: due at once.
    soon = Q(run_after__lte=when + dt.timedelta(seconds=1)) | Q(run_after__year__gte=9000)
    if DBTaskResult.objects.filter(
        soon, status="READY", task_path=send_messages.module_path
    ).exists():
        return
    send_messages.using(run_after=when + dt.timedelta(milliseconds=50)).enqueue()


def digests_enqueue(due: dt.datetime) -> None:
    send_digests.using(run_after=due).enqueue()
