"""Reads: who follows what, delivery status for the staff timeline, dead letters, endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.core.errors import NotFound
from townsquare.messaging.models import (
    Attempt,
    Message,
    Status,
    Subscription,
    SubscriptionKind,
    WebhookEndpoint,
)


def followed_case_ids(*, user: User) -> set[int]:
    """Cases the user follows or reported and still hears about."""
    return set(
        Subscription.objects.filter(
            user=user,
            kind__in=[SubscriptionKind.FOLLOWER, SubscriptionKind.REPORTER],
            case__isnull=False,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        ).values_list("case_id", flat=True)
    )


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    recipient: str
    template: str
    subject: str
    status: str
    status_label: str
    attempts: int
    created_at: object
    sent_at: object
    last_error: str


def recipient_masked(channel: str, recipient: str) -> str:
    """Enough of an address to tell recipients apart, not to read it off a screen."""
    if channel == "email" and "@" in recipient:
        local, domain = recipient.split("@", 1)
        return f"{local[:2]}…@{domain}"
    if channel == "sms":
        return f"…{recipient[-3:]}"
    return recipient


def deliveries_for_case(case_id: int) -> list[Delivery]:
    """Every message about a case and how it went, newest first (for the staff timeline)."""
    labels = dict(Status.choices)
    return [
        Delivery(
            id=m.id,
            channel=m.channel,
            recipient=recipient_masked(m.channel, m.recipient),
            template=m.template,
            subject=m.subject,
            status=m.status,
            status_label=str(labels.get(m.status, m.status)),
            attempts=m.attempts,
            created_at=m.created_at,
            sent_at=m.sent_at,
            last_error=m.last_error,
        )
        for m in Message.objects.filter(case_id=case_id).order_by("-id")[:200]
    ]


def dead_letters(*, principal: Principal) -> QuerySet[Message]:
    qs = Message.objects.filter(status__in=[Status.DEAD, Status.FAILED, Status.BOUNCED])
    if not principal.is_platform_admin:
        qs = qs.filter(council_id__in=principal.council_ids)
    return qs.order_by("-id")


def message_get(*, principal: Principal, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id).first()
    if message is None or not (
        principal.is_platform_admin or message.council_id in principal.council_ids
    ):
        raise NotFound("No such message")
    return message


def endpoints_for_council(*, council_id: int) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(council_id=council_id).order_by("id"))


def endpoint_get(*, endpoint_id: int, council_ids: frozenset[int] | None = None) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_related("council").filter(pk=endpoint_id).first()
    if endpoint is None or (council_ids is not None and endpoint.council_id not in council_ids):
        raise NotFound(f"No webhook endpoint {endpoint_id}")
    return endpoint


def endpoint_deliveries(
    *, endpoint: WebhookEndpoint, limit: int = 50, before_id: int | None = None
) -> list[Message]:
    """The endpoint's deliveries, newest first; `before_id` continues a page (by id, which
    never changes, so a page boundary never skips or repeats one)."""
    qs = Message.objects.filter(endpoint=endpoint)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return list(qs.order_by("-id")[:limit])


def attempts_for(*, message_ids: list[int]) -> dict[int, list[Attempt]]:
    found: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(message_id__in=message_ids):
        found.setdefault(attempt.message_id, []).append(attempt)
    return found


def outbox_counts() -> dict[str, int]:
    from django.db.models import Count

    return dict(
        Message.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )


def messages_for_council(
    *, council_id: int, status: str = "", channel: str = ""
) -> QuerySet[Message]:
    """A council's outbox, newest first, optionally one status or channel."""
    qs = Message.objects.filter(council_id=council_id)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("-id")


def council_outbox_counts(*, council_id: int) -> dict[str, int]:
    from django.db.models import Count

    return dict(
        Message.objects.filter(council_id=council_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def council_dead_letters(*, council_id: int) -> QuerySet[Message]:
    return Message.objects.filter(
        council_id=council_id, status__in=[Status.DEAD, Status.FAILED, Status.BOUNCED]
    ).order_by("-id")


def council_dead_letter_count(*, council_id: int) -> int:
    """Dead letters only (ran out of tries): what a bulk retry sends again."""
    return Message.objects.filter(council_id=council_id, status=Status.DEAD).count()


def queue_watches(*, user_id: int, council_id: int) -> list[Subscription]:
    return list(
        Subscription.objects.filter(
            kind=SubscriptionKind.QUEUE,
            user_id=user_id,
            council_id=council_id,
            unsubscribed_at__isnull=True,
        ).select_related("team")
    )
