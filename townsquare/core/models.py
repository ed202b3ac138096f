from __future__ import annotations

from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"


class Event(models.Model):
    """One immutable entry in the event log: the audit trail and the source for every reactor.

    Rows are only ever inserted. Ids are handed out in commit order (see core.eventlog), so a
    consumer that remembers the last id it handled can resume without missing anything.
    `council_id` and `stream_id` are plain integers on purpose: core knows no other app.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=64)
    council_id = models.BigIntegerField(null=True, db_index=False)
    stream = models.CharField(max_length=32)
    stream_id = models.BigIntegerField()
    actor_kind = models.CharField(max_length=16)
    actor_label = models.CharField(max_length=200)
    actor_user_id = models.BigIntegerField(null=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["stream", "stream_id", "id"], name="event_stream_idx"),
            models.Index(fields=["council_id", "id"], name="event_council_idx"),
            # Clients poll windows of time ("what changed in the last two hours").
            models.Index(fields=["created_at"], name="event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} {self.stream}:{self.stream_id}"


class RateBucket(models.Model):
    """A token bucket shared by every process (ADR 133): one row per limited thing ("api-key:7",
    "write-address:203.0.113.9", "email:<digest>"), changed only by a single conditional UPDATE,
    so two processes can never both spend the last token."""

    key = models.CharField(max_length=120, primary_key=True)
    tokens = models.FloatField()
    # Seconds since the epoch when `tokens` was last worked out (a float, so the refill is
    # plain arithmetic in SQL on every database).
    refilled_at = models.FloatField()

    def __str__(self) -> str:
        return f"{self.key}: {self.tokens:.1f}"
