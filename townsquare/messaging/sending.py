"""Sending what the outbox holds: claim due rows, send each, record what happened.

Workers claim a batch by marking it "sending" with a lease, in one statement; each message's
outcome is committed as soon as it is known, before the next message is sent, so a worker killed
mid-batch leaves only the message it was on in doubt, and the lease hands the unfinished rest to
the next worker. Temporary failures are retried with exponential back-off and jitter; after the
last try the message is a dead letter for staff.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from townsquare.core import clock, ratelimit
from townsquare.messaging import rules
from townsquare.messaging.channels import Channels, NotifyChannel, Outcome
from townsquare.messaging.models import Attempt, ChannelKind, Message, Status


def _claim(limit: int, *, only: list[int] | None = None) -> list[Message]:
    """Mark up to `limit` due messages "sending" with a lease and return them, filled in:
    transactional messages first, then the longest waiting (`only`: of these ids).

    One UPDATE ... RETURNING: on PostgreSQL in autocommit with SKIP LOCKED, so workers claim
    disjoint batches in a single round trip; on SQLite in a write transaction (the writer queue
    of ADR 10)."""
    now = clock.now()
    lease = now + dt.timedelta(seconds=settings.MESSAGING_SEND_LEASE_SECONDS)
    ops = connection.ops
    table = ops.quote_name(Message._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    # Only constant names go into the statement; every value is a parameter.
    among = f" AND id IN ({', '.join(['%s'] * len(only))})" if only else ""
    sql = (
        f"UPDATE {table} SET status = %s, lease_until = %s WHERE id IN ("  # noqa: S608
        f"SELECT id FROM {table} WHERE ((status = %s AND next_attempt_at <= %s) "
        f"OR (status = %s AND lease_until < %s)){among} "
        f"ORDER BY priority DESC, next_attempt_at, id LIMIT %s{skip_locked}) RETURNING id"
    )
    at, until = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(lease)
    params = [Status.SENDING, until, Status.QUEUED, at, Status.SENDING, at, *(only or ()), limit]
    writing = transaction.atomic() if connection.vendor == "sqlite" else nullcontext()
    with writing, connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    from townsquare.messaging.outbox import materialise

    return [
        materialise(m, sending=True)
        for m in Message.objects.filter(pk__in=ids)
        .select_related("endpoint", "body")
        .order_by("-priority", "id")
    ]


def _over_rate_limit(batch: list[Message]) -> set[int]:
    """Messages to people who had too many in the last hour (webhooks are not limited)."""
    limit = settings.MESSAGING_RATE_LIMIT_PER_HOUR
    people = [m for m in batch if m.channel != ChannelKind.WEBHOOK]
    if not people or limit <= 0:
        return set()
    since = clock.now() - dt.timedelta(hours=1)
    recipients = {m.recipient for m in people}
    sent = Counter(
        dict(
            Message.objects.filter(recipient__in=recipients, sent_at__gte=since)
            .values_list("recipient")
            .annotate(n=Count("id"))
            .values_list("recipient", "n")
        )
    )
    refused = set()
    for message in people:
        if sent[message.recipient] >= limit:
            refused.add(message.id)
        else:
            sent[message.recipient] += 1
    return refused


def outbox_send_due(*, budget_seconds: float = 30.0, batch_size: int | None = None) -> int:
    """Send due messages until none are left or the time budget is spent. Returns how many
    were handled (whatever the outcome)."""
    batch_size = batch_size or settings.MESSAGING_BATCH_SIZE
    deadline = time.monotonic() + budget_seconds
    handled = 0
    channels = Channels()
    try:
        while time.monotonic() < deadline:
            batch = _claim(batch_size)
            if not batch:
                break
            handled += _send_batch(batch, channels)[0]
    finally:
        channels.close()
    return handled


def outbox_send_now(*, message_ids: list[int]) -> int:
    """Send these messages at once, if they are still waiting (a worker may have taken them
    first): how a transactional message leaves within a second of its commit, without waiting
    for a worker. Same claim, channels and retry policy as the workers; a retry is left to
    them. Returns how many were handled."""
    if not message_ids:
        return 0
    channels = Channels()
    try:
        handled, retrying = _send_batch(_claim(len(message_ids), only=message_ids), channels)
    finally:
        channels.close()
    if retrying:
        from townsquare.messaging import tasks

        tasks.follow_up_ensure()
    return handled


def _send_batch(batch: list[Message], channels: Channels) -> tuple[int, bool]:
    """Send a claimed batch, recording each outcome before the next message. Returns how many
    were sent or refused, and whether any waits for a retry."""
    handled, retrying = 0, False
    limited = _over_rate_limit(batch)
    for message in batch:
        if message.id in limited:
            outcome = Outcome(
                ok=False,
                detail="Not sent: more than "
                f"{settings.MESSAGING_RATE_LIMIT_PER_HOUR} messages to "
                "this recipient in an hour",
            )
            _record(message, outcome, 0, suppressed=True)
            continue
        channel = channels.for_message(message)
        if isinstance(channel, NotifyChannel):
            _notify_pace()
        started = time.monotonic()
        outcome = channel.send(message)
        retrying |= _record(message, outcome, int((time.monotonic() - started) * 1000)) == "retry"
        handled += 1
    return handled, retrying


# Longest single wait for Notify's rate: a worker holding its lease waits no longer than this
# at a time (the bucket's refill is at least one message a second at any sane limit).
_PACE_WAIT_MAX_S = 5.0


def _notify_pace() -> None:
    """Wait, if need be, for a token of the Notify key's rate (NOTIFY_MESSAGES_PER_MINUTE; its
    published limit is 3,000 a minute per key): a bucket every worker process shares (ADR 195),
    so a burst of 10,000 alerts leaves at the provider's rate instead of meeting its 429s."""
    limit = settings.NOTIFY_MESSAGES_PER_MINUTE
    if limit <= 0:
        return
    # Notify counts any 60 seconds, not a bucket: a second's worth at once and the rest of the
    # minute spread evenly, so no 60-second window ever holds more than `limit`.
    burst = max(1.0, limit / 60.0)
    rate = (limit - burst) / 60.0
    while True:
        decision = ratelimit.take("notify:messages", rate=rate, burst=burst)
        if decision.allowed:
            return
        # A pause in a background sender, never in a request: this is the pacing itself.
        time.sleep(min(_PACE_WAIT_MAX_S, max(1.0 / rate, 0.02)))


def _record(
    message: Message, outcome: Outcome, duration_ms: int, *, suppressed: bool = False
) -> str:
    """Store an outcome; returns its name in the delivery log (sent, retry, dead...)."""
    now = clock.now()
    update, result = _update(message, outcome, now, suppressed=suppressed)
    # The delivery log keeps every webhook try and every failure; a person's message sent at
    # the first try is fully described by its own row, and skipping the log row there is what
    # keeps bulk email fast.
    logged = message.channel == ChannelKind.WEBHOOK or result != "sent" or update["attempts"] > 1
    if not logged:
        _mark_sent(message, outcome, now)
        return result
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(**update)
        Attempt.objects.create(
            message_id=message.pk,
            at=now,
            outcome=result,
            status_code=outcome.status_code,
            detail=outcome.detail[:500],
            duration_ms=duration_ms,
        )
    return result


def _mark_sent(message: Message, outcome: Outcome, now: dt.datetime) -> None:
    """The common case, a person's message sent at the first try: one statement in autocommit,
    a single round trip (SQL of our own: the ORM's update costs more to build than to run)."""
    ops = connection.ops
    table = ops.quote_name(Message._meta.db_table)
    at = ops.adapt_datetimefield_value(now)
    # Only constant names go into the statement; every value is a parameter.
    sql = (
        f"UPDATE {table} SET status = %s, attempts = %s, lease_until = NULL, "  # noqa: S608
        "status_at = %s, sent_at = %s, last_error = '', provider_id = %s, secret_link = '' "
        "WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Status.DELIVERED if outcome.delivered else Status.SENT,
                message.attempts + 1,
                at,
                at,
                outcome.provider_id,
                message.pk,
            ],
        )


def _update(
    message: Message, outcome: Outcome, now: dt.datetime, *, suppressed: bool
) -> tuple[dict, str]:
    """The row's new columns for an outcome, and the outcome's name for the delivery log."""
    # A provider's "too many requests" (429) says nothing about the message: it does not use up
    # one of its tries, so a burst past the provider's rate is delayed, never lost (ADR 195).
    # (Webhooks to a council's own systems keep their back-off and last try: ADR 31.)
    throttled = outcome.status_code == 429 and message.channel != ChannelKind.WEBHOOK
    attempts = message.attempts + (0 if suppressed or throttled else 1)
    update: dict = {
        "attempts": attempts,
        "lease_until": None,
        "status_at": now,
        "last_error": outcome.detail[:500],
    }
    if outcome.ok:
        update.update(
            status=Status.DELIVERED if outcome.delivered else Status.SENT,
            sent_at=now,
            provider_id=outcome.provider_id,
            last_error="",
        )
        result = "sent"
    elif suppressed:
        update["status"] = Status.SUPPRESSED
        result = "suppressed"
    elif throttled:
        update.update(status=Status.QUEUED, next_attempt_at=now + dt.timedelta(seconds=1))
        result = "retry"
    elif outcome.temporary and attempts < settings.MESSAGING_MAX_ATTEMPTS:
        delay = rules.retry_delay(
            attempts,
            base=settings.MESSAGING_RETRY_BASE_SECONDS,
            cap=settings.MESSAGING_RETRY_MAX_SECONDS,
        )
        update.update(status=Status.QUEUED, next_attempt_at=now + dt.timedelta(seconds=delay))
        result = "retry"
    elif outcome.temporary:
        update["status"] = Status.DEAD
        result = "dead"
    else:
        update["status"] = Status.BOUNCED if outcome.bounced else Status.FAILED
        result = "bounced" if outcome.bounced else "failed"
    if result != "retry":
        # The outcome is final: a secret link is of no more use here (ADR 75).
        update["secret_link"] = ""
    return update, result


def message_retry(*, message: Message) -> Message:
    """Send a dead letter (or failed message) again, from a fresh count of tries."""
    messages_requeue(message_ids=[message.pk])
    message.refresh_from_db()
    return message


def messages_requeue(*, message_ids: list[int]) -> int:
    """Queue these messages again from a fresh count of tries, and ask the workers to send
    them once the caller's transaction commits. Returns how many were queued."""
    if not message_ids:
        return 0
    now = clock.now()
    with transaction.atomic():
        queued = Message.objects.filter(pk__in=message_ids).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=now, lease_until=None
        )
        from townsquare.messaging import tasks

        transaction.on_commit(lambda: tasks.senders_enqueue(queued))
    return queued
