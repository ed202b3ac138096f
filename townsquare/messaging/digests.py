"""Daily digests of new reports in an area: one email per subscription listing what is new."""

from __future__ import annotations

from django.db import transaction

from townsquare.cases.models import Case
from townsquare.catalogue.selectors import services_by_id
from townsquare.core import clock
from townsquare.councils.models import Area, Council
from townsquare.messaging import rendering
from townsquare.messaging.models import ChannelKind, DigestItem, Message, Subscription
from townsquare.messaging.outbox import _circle_name, track_url, unsubscribe_url
from townsquare.messaging.templates import TemplateBook


def digests_send_due(*, now=None) -> int:
    """Write a digest message for every subscription whose digest is due. Returns how many."""
    now = now or clock.now()
    book = TemplateBook()
    written = 0
    due_ids = list(
        Subscription.objects.filter(digest_due_at__lte=now).values_list("id", flat=True)[:5000]
    )
    for sub_id in due_ids:
        with transaction.atomic():
            sub = (
                Subscription.objects.select_for_update()
                .filter(pk=sub_id, digest_due_at__lte=now)
                .first()
            )
            if sub is None:
                continue
            items = list(
                DigestItem.objects.filter(subscription=sub, sent=False).order_by("event_id")
            )
            Subscription.objects.filter(pk=sub.pk).update(digest_due_at=None)
            if not items or not sub.is_active or not sub.email:
                DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(sent=True)
                continue
            cases = Case.objects.in_bulk([i.case_id for i in items])
            services = services_by_id(ids={c.service_id for c in cases.values()})
            lines = []
            for item in items:
                case = cases.get(item.case_id)
                if case is None or not case.is_public or case.anonymised_at:
                    continue
                service = services.get(case.service_id)
                place = case.address or (
                    f"{case.lat:.5f}, {case.lng:.5f}" if case.lat is not None else ""
                )
                lines.append(
                    f"- [{case.reference}]({track_url(case.reference)}): "
                    f"{service.name if service else ''}, {place}"
                )
            DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(sent=True)
            if not lines:
                continue
            area_name = (
                Area.objects.filter(pk=sub.area_id).values_list("name", flat=True).first()
                if sub.area_id
                else _circle_name(sub.radius_m or 0, sub.language)
            ) or ""
            council = Council.objects.get(pk=sub.council_id)
            words = book.words(
                council_id=sub.council_id, service_code="", key="area_digest", language=sub.language
            )
            link = unsubscribe_url(sub.pk)
            rendered = rendering.render(
                subject=words.subject,
                body=words.body,
                sms="",
                language=sub.language,
                values={
                    "count": str(len(lines)),
                    "area_name": area_name,
                    "items": "\n".join(lines),
                    "council_name": council.name,
                    "unsubscribe_url": link,
                },
            )
            Message.objects.get_or_create(
                idempotency_key=f"digest:{sub.pk}:{now:%Y-%m-%d}",
                defaults=dict(
                    council_id=sub.council_id,
                    subscription_id=sub.pk,
                    channel=ChannelKind.EMAIL,
                    recipient=sub.email,
                    template="area_digest",
                    language=sub.language,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    headers={
                        "List-Unsubscribe": f"<{link}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                    next_attempt_at=now,
                    created_at=now,
                ),
            )
            written += 1
    if written:
        from townsquare.messaging import tasks

        transaction.on_commit(lambda: tasks.senders_enqueue(written))
    return written
