"""The outbox, subscriptions, templates and webhook endpoints.

Every message is a row here before anything is sent (the outbox). A row's idempotency key names
the event, recipient and channel it came from, so handling an event twice writes nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Cursor(models.Model):
    """How far a consumer of the event log has got: the last event id it handled."""

    name = models.CharField(max_length=50, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"


class SubscriptionKind(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    FOLLOWER = "follower", "Follower"
    AREA = "area", "Area alert"
    QUEUE = "queue", "Staff watching a queue"


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Each new report"
    DAILY = "daily", "Daily digest"


class Subscription(models.Model):
    """Someone who wants to hear about a case, an area or a queue.

    Email subscriptions made without signing in stay unconfirmed (no messages) until the link in
    the confirmation email is followed."""

    kind = models.CharField(max_length=10, choices=SubscriptionKind.choices)
    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    language = models.CharField(max_length=5, default="en")
    # Area alerts: a ward, or a circle around a point; optional service codes.
    area = models.ForeignKey(
        "councils.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    service_codes = models.JSONField(default=list, blank=True)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    # Staff queue watch: a team, or the whole council when empty.
    team = models.ForeignKey(
        "councils.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Daily digests: when the next one is due (set when the first item waits for it).
    digest_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "kind"], name="sub_case_idx"),
            models.Index(fields=["council", "kind", "area"], name="sub_council_area_idx"),
            models.Index(fields=["kind", "lat", "lng"], name="sub_point_idx"),
            models.Index(fields=["digest_due_at"], name="sub_digest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class DigestItem(models.Model):
    """A new report waiting for a daily digest."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="digest_items"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    event_id = models.BigIntegerField()
    sent = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "case"], name="digest_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.case_id}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    DEAD = "dead", "Dead letter"
    SUPPRESSED = "suppressed", "Not sent"


class MessageBody(models.Model):
    """Rendered content shared by many messages (an area alert to 10,000 people is one body).

    Each recipient's own unsubscribe link replaces a stand-in when the message is sent, so a
    message is still exactly reproducible: this body plus its subscription's signed link."""

    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.subject or f"body {self.pk}"


class Priority(models.IntegerChoices):
    NORMAL = 0, "Normal"
    # A message someone is waiting for on the page that sent it (a sign-in link): sent at once
    # by the process that queued it, and first in every worker's claim.
    TRANSACTIONAL = 10, "Transactional"


class Message(models.Model):
    """One message to one recipient on one channel: the outbox row and its delivery status."""

    idempotency_key = models.CharField(max_length=120, unique=True)
    event_id = models.BigIntegerField(null=True, blank=True)
    council = models.ForeignKey(
        "councils.Council",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    endpoint = models.ForeignKey(
        "messaging.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    channel = models.CharField(max_length=8, choices=ChannelKind.choices)
    # An email address, a phone number, or for webhooks the endpoint's URL.
    recipient = models.CharField(max_length=500)
    template = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=5, default="en")
    subject = models.CharField(max_length=300, blank=True)
    # Either the content itself, or a shared body (see MessageBody).
    body = models.ForeignKey(
        MessageBody,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The link that a stand-in in the content stands for (a sign-in link grants an account):
    # filled in as the message leaves and emptied once its outcome is final (ADR 75).
    secret_link = models.CharField(max_length=500, blank=True, default="", db_default="")
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL, db_default=Priority.NORMAL
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # While a worker holds the row (status "sending"); after this another may take it over.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="msg_due_idx"),
            models.Index(fields=["recipient", "created_at"], name="msg_recipient_idx"),
            models.Index(fields=["provider_id"], name="msg_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class Attempt(models.Model):
    """One try at sending a message: the delivery log."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=10)  # sent, retry, failed, bounced, dead
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["message_id", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class MessageTemplate(models.Model):
    """A council's own words for one notification, overriding the shipped default.

    `service_code` empty means every service of the council; `key` is what happened:
    created, state:<code>, transitioned, public_update, merged, area_alert, ..."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    service_code = models.CharField(max_length=100, blank=True)
    key = models.CharField(max_length=60)
    language = models.CharField(max_length=5, default="en")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    sms = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "service_code", "key", "language"], name="one_template_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class WebhookEndpoint(models.Model):
    """A council's system that hears about changes, signed per Standard Webhooks."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event kinds to send ("case.created"...); empty means every kind.
    event_types = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=100)
    # After a rotation the old secret keeps signing too, until it expires.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["council_id", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return self.is_active and (not self.event_types or kind in self.event_types)
