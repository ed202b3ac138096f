"""Writes: subscriptions (follow, area alerts, queue watches), confirmation and unsubscribing,
webhook endpoints, retrying dead letters, and replies arriving from outside."""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_add_citizen_reply, case_support_confirm
from townsquare.catalogue.selectors import services_for_council
from townsquare.core import clock
from townsquare.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.eventlog import append_event
from townsquare.core.links import public_link
from townsquare.core.text import clean_text
from townsquare.councils.models import Area, Council, Team
from townsquare.geo.points import Point
from townsquare.messaging import rendering, signing, tokens
from townsquare.messaging.addresses import AddressRefused, check_url
from townsquare.messaging.events import (
    DeadLettersRetried,
    MessageRetried,
    MessageTemplateChanged,
    WebhookEndpointChanged,
)
from townsquare.messaging.models import (
    ChannelKind,
    Frequency,
    Message,
    MessageTemplate,
    Priority,
    Status,
    Subscription,
    SubscriptionKind,
    WebhookEndpoint,
)
from townsquare.messaging.outbox import LINK_STAND_IN, secret_link_gone, secret_link_gone_rows
from townsquare.messaging.sending import message_retry as _message_retry
from townsquare.messaging.sending import messages_requeue
from townsquare.messaging.templates import TemplateBook

MIN_RADIUS_M = 100
log = logging.getLogger(__name__)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            {
                "email": [
                    Problem(
                        "Enter an email address in the correct format, like name@example.com",
                        code="required" if not email else "invalid_email",
                        params={"value": email[:60]},
                    )
                ]
            },
            code="bad_email",
        ) from None
    return email


def _language(language: str) -> str:
    return "cy" if (language or "").lower().startswith("cy") else "en"


# -- transactional messages (ADR 75) ----------------------------------------------------------


class MessageNotQueued(DomainError):
    """The outbox could not take a message (the database refused the row): nothing will be
    sent, and the person should hear so at once."""

    code = "not_queued"


def transactional_message_send(
    *,
    kind: str,
    to: str,
    link: str,
    language: str = "en",
    values: Mapping[str, str] | None = None,
    council: Council | None = None,
    case_id: int | None = None,
) -> Message:
    """Queue a message that someone has just asked for and is waiting for (`kind`: sign_in,
    report_confirm, application_resume, applicant_replied) to carry `link` to them, in their
    language.

    The message goes to the top of the outbox, with no unsubscribe link, and the process
    sends it as soon as the transaction commits; workers retry it by the same policy as every
    other message. `link` is never part of the stored content: it is kept beside it until the
    outcome is final, and staff see that it is not shown. Call inside the transaction that
    makes the link work, so that both happen or neither. Raises MessageNotQueued when the
    database refuses the message."""
    from townsquare.messaging.defaults import TRANSACTIONAL

    if not link.startswith(("https://", "http://")) or len(link) > 500:
        raise ValueError("A transactional message carries an absolute http(s) link")
    language = _language(language)
    words = TRANSACTIONAL[kind][language]
    rendered = rendering.render(
        subject=words.subject,
        body=words.body,
        sms="",
        language=language,
        values={
            "council_name": council.name if council else "",
            **(values or {}),
            "link": LINK_STAND_IN,
        },
    )
    return _transactional_queue(
        idempotency_key=f"{kind}:{uuid.uuid4().hex}",
        kind=kind,
        to=_clean_email(to),
        language=language,
        rendered=rendered,
        secret_link=link,
        council_id=council.pk if council else None,
        case_id=case_id,
    )


def _transactional_queue(
    *,
    idempotency_key: str,
    kind: str,
    to: str,
    language: str,
    rendered: rendering.Rendered,
    secret_link: str,
    council_id: int | None,
    case_id: int | None,
    subscription_id: int | None = None,
) -> Message:
    from townsquare.messaging import handlers, tasks

    now = clock.now()
    try:
        with transaction.atomic():
            message, created = Message.objects.get_or_create(
                idempotency_key=idempotency_key,
                defaults=dict(
                    council_id=council_id,
                    case_id=case_id,
                    subscription_id=subscription_id,
                    channel=ChannelKind.EMAIL,
                    recipient=to,
                    template=kind,
                    language=language,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    secret_link=secret_link,
                    priority=Priority.TRANSACTIONAL,
                    next_attempt_at=now,
                    created_at=now,
                ),
            )
            if created:
                # In the same transaction: if this process dies before it sends the message,
                # a worker still will.
                tasks.senders_enqueue(1)
    except DatabaseError as exc:
        log.warning("Could not queue a %s message: %s", kind, exc)
        raise MessageNotQueued("The message could not be queued") from exc
    if created:
        transaction.on_commit(lambda: handlers.transactional_send_soon(message.pk), robust=True)
    return message


def officer_tell_of_applicant_reply(*, case: Case, documents: int = 0) -> Message | None:
    """Tell the officer `case` is assigned to that its applicant has replied on the web (ADR
    100), through the transactional path: queued in the caller's transaction (the reply's),
    sent as it commits. None when nobody is assigned in person (the team's queue shows the
    case moving) or the assignee has no address. Raises MessageNotQueued like
    transactional_message_send; the caller decides whether the reply stands without it."""

    from townsquare.catalogue.selectors import workflow_for_version

    if case.assignee_id is None:
        return None
    officer = User.objects.filter(pk=case.assignee_id, is_active=True).first()
    if officer is None or not officer.email:
        return None
    workflow = workflow_for_version(case.service_version)
    link = public_link("staff:case", reference=case.reference)
    return transactional_message_send(
        kind="applicant_replied",
        to=officer.email,
        link=link,
        language="en",
        values={
            "reference": case.reference,
            "service_name": case.service.name,
            "state_name": workflow.state(case.state).name,
            "documents": f" and {documents} document{'s' if documents != 1 else ''}"
            if documents
            else "",
        },
        council=case.council,
        case_id=case.id,
    )


def payment_receipt_send(*, payment_id: int) -> Message | None:
    """Email the applicant the receipt for a successful payment, in the language they paid in,
    with their track link (the applicant key added when it is sent). None when the case has no
    email address (the receipt is then on the track page alone)."""
    from django.db import transaction
    from django.utils import formats, timezone
    from django.utils import translation as django_translation

    from townsquare.catalogue.fees import pounds
    from townsquare.payments.models import Payment, Status

    payment = (
        Payment.objects.select_related("case", "case__service", "council")
        .filter(pk=payment_id, status=Status.SUCCESS)
        .first()
    )
    if payment is None or not payment.case.reporter_email or payment.paid_at is None:
        return None
    language = payment.language if payment.language in ("en", "cy") else "en"
    from townsquare.messaging.defaults import PAYMENT_METHODS

    method = PAYMENT_METHODS[language].get(payment.method, payment.method)
    with django_translation.override(language):
        paid_on = formats.date_format(timezone.localtime(payment.paid_at), "j F Y")
    from townsquare.cases.applicant_links import applicant_link_key

    # A secret link (kept beside the message, never shown to staff): it opens the application.
    link = (
        public_link("portal:track_case", reference=payment.case.reference)
        + "?key="
        + applicant_link_key(case_id=payment.case_id)
    )
    with transaction.atomic():
        return transactional_message_send(
            kind="payment_receipt",
            to=payment.case.reporter_email,
            link=link,
            language=language,
            values={
                "reference": payment.case.reference,
                "service_name": payment.description,
                "amount": pounds(payment.amount),
                "method": method,
                "paid_on": paid_on,
            },
            council=payment.council,
            case_id=payment.case_id,
        )


# -- following a case -------------------------------------------------------------------------


def case_follow(
    *,
    case: Case,
    user: User | None = None,
    email: str | None = None,
    language: str = "en",
    confirmed: bool = False,
) -> Subscription:
    """Hear about every public change to `case`. A signed-in user follows at once; an email
    address given without signing in is confirmed by a link first (unless the caller has
    already confirmed it, `confirmed=True`). Following again is harmless."""
    if user is None and not email:
        raise InvalidInput({"email": ["Enter your email address"]}, code="bad_email")
    is_reporter = user is not None and case.reporter_id == user.pk
    if not case.is_public and not is_reporter:
        raise PermissionDenied("Only public requests can be followed")
    now = clock.now()
    language = _language(language)
    with transaction.atomic():
        if user is not None:
            sub = (
                Subscription.objects.select_for_update()
                .filter(case=case, user=user, kind=SubscriptionKind.FOLLOWER)
                .first()
            )
            if sub is None:
                sub = Subscription(
                    kind=SubscriptionKind.FOLLOWER,
                    council_id=case.council_id,
                    case=case,
                    user=user,
                    created_at=now,
                )
            sub.confirmed_at = sub.confirmed_at or now
            sub.unsubscribed_at = None
            sub.language = language
            sub.save()
            return sub
        address = _clean_email(email or "")
        sub = (
            Subscription.objects.select_for_update()
            .filter(case=case, email=address, kind=SubscriptionKind.FOLLOWER)
            .first()
        )
        if sub is not None and sub.is_active:
            return sub
        if sub is None:
            sub = Subscription(
                kind=SubscriptionKind.FOLLOWER,
                council_id=case.council_id,
                case=case,
                email=address,
                created_at=now,
            )
        sub.unsubscribed_at = None
        sub.language = language
        sub.confirmed_at = now if confirmed else None
        sub.save()
        if not confirmed:
            _confirmation_send(sub, what=case.reference)
    return sub


def case_unfollow(*, case: Case, user: User | None = None, email: str | None = None) -> int:
    """Stop following `case` (the reporter's own updates stop too). Returns rows changed."""
    subs = Subscription.objects.filter(
        case=case,
        unsubscribed_at__isnull=True,
        kind__in=[SubscriptionKind.FOLLOWER, SubscriptionKind.REPORTER],
    )
    if user is not None:
        subs = subs.filter(user=user)
    elif email:
        subs = subs.filter(email=(email or "").strip().lower())
    else:
        return 0
    return subs.update(unsubscribed_at=clock.now())


# -- area alerts ------------------------------------------------------------------------------


def area_alert_subscribe(
    *,
    council: Council,
    email: str,
    area: Area | None = None,
    point: Point | None = None,
    radius_m: int | None = None,
    service_codes: Iterable[str] = (),
    frequency: str = Frequency.IMMEDIATE,
    language: str = "en",
    user: User | None = None,
) -> Subscription:
    """Alerts about new public reports in a ward, or within `radius_m` of a point, optionally
    only for some services. Confirmed by email first unless the signed-in user owns the address.
    """
    # Codes and parameters for each problem, so the citizen web words them in Welsh too.
    errors: dict[str, list[Problem]] = {}
    try:
        address = _clean_email(email)
    except InvalidInput as exc:
        errors.update(exc.problems)
        address = ""
    if (area is None) == (point is None):
        errors["area"] = [Problem("Choose a ward, or a place and a distance", code="required")]
    if area is not None and area.council_id != council.id:
        errors["area"] = [Problem("That ward is not in this council", code="unknown_area")]
    if point is not None or radius_m is not None:
        limit = settings.MESSAGING_AREA_MAX_RADIUS_M
        if radius_m is None or not MIN_RADIUS_M <= radius_m <= limit:
            errors["radius"] = [
                Problem(
                    "Choose a distance between %(min)s m and %(max)s m",
                    code="out_of_range",
                    params={"min": MIN_RADIUS_M, "max": limit},
                )
            ]
    codes = sorted({c for c in service_codes if c})
    known = {s.code for s in services_for_council(council=council, include_private=False)}
    if set(codes) - known:
        errors["services"] = [
            Problem(
                "Choose services from the list",
                code="invalid_choice",
                params={"value": ", ".join(sorted(set(codes) - known))},
            )
        ]
    if frequency not in Frequency.values:
        errors["frequency"] = [
            Problem("Choose how often to hear", code="invalid_choice", params={"value": frequency})
        ]
    if errors:
        raise InvalidInput(errors, code="bad_alert")
    now = clock.now()
    owned = user is not None and user.email.lower() == address
    with transaction.atomic():
        sub = Subscription.objects.create(
            kind=SubscriptionKind.AREA,
            council=council,
            email=address,
            user=user if owned else None,
            area=area,
            lat=point.lat if point else None,
            lng=point.lng if point else None,
            radius_m=radius_m if point else None,
            service_codes=codes,
            frequency=frequency,
            language=_language(language),
            created_at=now,
            confirmed_at=now if owned else None,
        )
        if not owned:
            _confirmation_send(
                sub,
                what=area.name
                if area
                else (
                    "y {} m o gwmpas eich lle"
                    if sub.language == "cy"
                    else "the {} m around your chosen place"
                ).format(radius_m),
            )
    return sub


def _confirmation_send(sub: Subscription, *, what: str) -> Message:
    """Queue the confirmation email as a transactional message; nothing else is sent until it
    is followed. Asking again within the hour queues nothing new."""

    council = Council.objects.get(pk=sub.council_id)
    link = public_link("portal:alerts_confirm", token=tokens.make("confirm", sub.pk))
    words = TemplateBook().words(
        council_id=council.id, service_code="", key="confirm", language=sub.language
    )
    rendered = rendering.render(
        subject=words.subject,
        body=words.body,
        sms="",
        language=sub.language,
        values={"council_name": council.name, "area_name": what, "confirm_url": LINK_STAND_IN},
    )
    now = clock.now()
    return _transactional_queue(
        idempotency_key=f"confirm:{sub.pk}:{sub.created_at:%Y%m%d%H%M%S}:{now:%Y%m%d%H}",
        kind="confirm",
        to=sub.email,
        language=sub.language,
        rendered=rendered,
        secret_link=link,
        council_id=sub.council_id,
        case_id=sub.case_id,
        subscription_id=sub.pk,
    )


def subscription_confirm(*, token: str) -> Subscription:
    sub_id = tokens.read("confirm", token)
    sub = Subscription.objects.filter(pk=sub_id).first() if sub_id else None
    if sub is None:
        raise NotFound("This confirmation link is not valid")
    if sub.confirmed_at is None or sub.unsubscribed_at is not None:
        Subscription.objects.filter(pk=sub.pk).update(
            confirmed_at=clock.now(), unsubscribed_at=None
        )
        sub.refresh_from_db()
    if sub.kind == SubscriptionKind.FOLLOWER and sub.case_id and sub.email:
        # The address is proved now: support given with it counts (ADR 134).
        case_support_confirm(case_id=sub.case_id, email=sub.email)
    return sub


def subscription_for_token(*, token: str, purpose: str = "unsubscribe") -> Subscription:
    sub_id = tokens.read(purpose, token)
    sub = Subscription.objects.filter(pk=sub_id).first() if sub_id else None
    if sub is None:
        raise NotFound("This link is not valid")
    return sub


def subscription_unsubscribe(*, token: str) -> Subscription:
    """One click: stop the messages this token's subscription brings. Idempotent."""
    sub = subscription_for_token(token=token)
    if sub.unsubscribed_at is None:
        Subscription.objects.filter(pk=sub.pk).update(
            unsubscribed_at=clock.now(), digest_due_at=None
        )
        sub.refresh_from_db()
    return sub


# -- staff watching a queue -------------------------------------------------------------------


def queue_watch(*, user: User, council: Council, team: Team | None = None) -> Subscription:
    """Email `user` about new cases for `team` (or the whole council) — staff only."""
    if not user.memberships.filter(council=council).exists() and not user.is_platform_admin:
        raise PermissionDenied("Only staff of this council can watch its queues")
    if team is not None and team.council_id != council.id:
        raise InvalidInput({"team": ["That team belongs to another council"]}, code="bad_team")
    now = clock.now()
    sub, _ = Subscription.objects.update_or_create(
        kind=SubscriptionKind.QUEUE,
        council=council,
        user=user,
        team=team,
        defaults={"confirmed_at": now, "unsubscribed_at": None, "created_at": now},
    )
    return sub


def queue_unwatch(*, user: User, council: Council) -> int:
    return Subscription.objects.filter(
        kind=SubscriptionKind.QUEUE, council=council, user=user, unsubscribed_at__isnull=True
    ).update(unsubscribed_at=clock.now())


# -- webhooks ---------------------------------------------------------------------------------

EVENT_KINDS = (
    "case.created",
    "case.transitioned",
    "case.assigned",
    "case.public_update",
    "case.citizen_update",
    "case.citizen_reply",
    "case.internal_note",
    "case.merged_into",
    "case.duplicate_merged",
    "case.anonymised",
)


def _check_admin(actor: Principal, council: Council) -> None:
    if not (actor.is_platform_admin or actor.role_in(council.id) == "council_admin"):
        raise PermissionDenied("Only the council's admins can manage its webhooks")


def webhook_endpoint_add(
    *,
    council: Council,
    url: str,
    actor: Principal,
    event_types: Iterable[str] = (),
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint. Its signing secret is readable by the council's admins."""
    _check_admin(actor, council)
    url = (url or "").strip()
    kinds = sorted({k.strip() for k in event_types if k.strip()})
    errors: dict[str, list[str]] = {}
    if len(url) > 500:
        errors["url"] = ["Use an address of 500 characters or fewer"]
    elif clean_text(url) != url:
        errors["url"] = ["Use an address without control characters"]
    else:
        try:
            check_url(url)
        except AddressRefused as exc:
            errors["url"] = [str(exc)]
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        errors["event_types"] = [f"Unknown event types: {', '.join(unknown)}"]
    if errors:
        raise InvalidInput(errors, code="bad_endpoint")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            council=council,
            url=url,
            description=clean_text(description).strip()[:200],
            event_types=kinds,
            secret=signing.new_secret(),
            created_at=clock.now(),
        )
        _endpoint_event(endpoint, "added", actor)
    return endpoint


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Principal) -> WebhookEndpoint:
    """A new secret; the old one keeps signing alongside it for the overlap period."""
    _check_admin(actor, endpoint.council)
    now = clock.now()
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + dt.timedelta(
            hours=settings.MESSAGING_WEBHOOK_SECRET_OVERLAP_HOURS
        )
        endpoint.secret = signing.new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        _endpoint_event(endpoint, "secret_rotated", actor)
    return endpoint


def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, active: bool, actor: Principal
) -> WebhookEndpoint:
    _check_admin(actor, endpoint.council)
    with transaction.atomic():
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        _endpoint_event(endpoint, "enabled" if active else "disabled", actor)
    return endpoint


def _endpoint_event(endpoint: WebhookEndpoint, action: str, actor: Principal) -> None:
    append_event(
        WebhookEndpointChanged(
            endpoint_id=endpoint.pk,
            action=action,
            url=endpoint.url,
            event_types=list(endpoint.event_types),
        ),
        council_id=endpoint.council_id,
        stream="messaging",
        stream_id=endpoint.pk,
        actor=actor.as_actor(),
    )


def message_retry(*, message: Message, actor: Principal) -> Message:
    """Staff send a dead letter (or a failed message) again."""
    if message.council_id is None or not (
        actor.is_platform_admin or actor.role_in(message.council_id)
    ):
        raise PermissionDenied("You cannot retry this council's messages")
    if message.status not in (Status.DEAD, Status.FAILED, Status.BOUNCED, Status.SUPPRESSED):
        raise InvalidInput(
            {"message": ["Only messages that were not sent can be retried"]}, code="not_retryable"
        )
    if secret_link_gone(message):
        raise InvalidInput(
            {
                "message": [
                    "This message carried a link that is kept only until "
                    "it is sent, so it cannot be sent again. The person "
                    "can ask for a new one."
                ]
            },
            code="link_not_kept",
        )
    with transaction.atomic():
        append_event(
            MessageRetried(message_id=message.pk, channel=message.channel),
            council_id=message.council_id,
            stream="messaging",
            stream_id=message.pk,
            actor=actor.as_actor(),
        )
        return _message_retry(message=message)


# At most this many dead letters go back in one bulk retry: the rest wait for the next one, so
# a request never holds a transaction over an unbounded number of rows.
BULK_RETRY_LIMIT = 1000


@dataclass(frozen=True)
class BulkRetry:
    retried: int
    # Dead letters that carried a link no longer kept (ADR 75): the person asks again.
    link_not_kept: int
    # Dead letters still waiting after this batch (beyond the limit), for another retry.
    left: int


def _dead_letters_split(council_id: int, *, limit: int) -> tuple[list[int], int]:
    """The oldest `limit` dead letters of a council that can be sent again, and how many of
    its dead letters cannot because their link is no longer kept."""
    dead = Message.objects.filter(council_id=council_id, status=Status.DEAD)
    gone = dead.filter(secret_link_gone_rows())
    ids = list(
        dead.exclude(secret_link_gone_rows()).order_by("id").values_list("id", flat=True)[:limit]
    )
    return ids, gone.count()


def dead_letters_retry(
    *, council: Council, actor: Principal, limit: int = BULK_RETRY_LIMIT
) -> BulkRetry:
    """Send a council's dead letters again, from a fresh count of tries: the messages that ran
    out of tries on temporary failures, once the cause (a mail server down, a webhook
    receiver away) is fixed. Failed and bounced messages were refused by the other side and
    are retried one by one (`message_retry`), if at all. Audited: one MessageRetried per
    message and a DeadLettersRetried for the whole, in the same transaction as the retry."""
    from townsquare.accounts.policies import can_retry_dead_letters_in_bulk

    if not can_retry_dead_letters_in_bulk(actor, council.pk):
        raise PermissionDenied("Only the council's supervisors and admins can retry in bulk")
    with transaction.atomic():
        ids, gone = _dead_letters_split(council.pk, limit=limit)
        channels = dict(Message.objects.filter(pk__in=ids).values_list("id", "channel"))
        for message_id in ids:
            append_event(
                MessageRetried(message_id=message_id, channel=channels[message_id]),
                council_id=council.pk,
                stream="messaging",
                stream_id=message_id,
                actor=actor.as_actor(),
            )
        retried = messages_requeue(message_ids=ids)
        append_event(
            DeadLettersRetried(retried=retried, link_not_kept=gone),
            council_id=council.pk,
            stream="messaging",
            stream_id=0,
            actor=actor.as_actor(),
        )
    left = Message.objects.filter(council_id=council.pk, status=Status.DEAD).count() - gone
    return BulkRetry(retried=retried, link_not_kept=gone, left=max(0, left))


# -- inbound replies --------------------------------------------------------------------------

_REPLY_ADDRESS = re.compile(r"reply\+([A-Za-z0-9_.\-]+)@", re.IGNORECASE)
_QUOTE_HEADER = re.compile(
    r"^\s*(On .+ wrote:|Ar .+ ysgrifennodd .+:|-----Original Message-----|"
    r"From: .+)$",
    re.IGNORECASE,
)


def reply_text(text: str) -> str:
    """The new part of a reply: stop at the quoted original."""
    kept = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def inbound_email_receive(*, to: str, text: str) -> Case:
    """A reply to a case email, as an inbound-email provider forwards it."""
    match = _REPLY_ADDRESS.search(to or "")
    case_id = tokens.read("reply", match.group(1)) if match else None
    case = Case.objects.filter(pk=case_id).first() if case_id else None
    if case is None:
        raise NotFound("The reply address does not belong to a request")
    return case_add_citizen_reply(case=case, message=reply_text(text)[:4000], channel="email")


def _phone_key(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return digits[-10:]


def inbound_sms_receive(*, source_number: str, text: str) -> Case:
    """A text message back to us: the case of the latest SMS sent to that number."""
    key = _phone_key(source_number)
    if len(key) < 6:
        raise NotFound("No request was texted to that number")
    latest = (
        Message.objects.filter(channel=ChannelKind.SMS, case__isnull=False, recipient__endswith=key)
        .order_by("-id")
        .values_list("case_id", flat=True)
        .first()
    )
    case = Case.objects.filter(pk=latest).first() if latest else None
    if case is None:
        raise NotFound("No request was texted to that number")
    return case_add_citizen_reply(case=case, message=(text or "").strip()[:4000], channel="sms")


def delivery_receipt(*, provider_id: str, status: str) -> Message:
    """A provider's delivery receipt (GOV.UK Notify callback statuses)."""
    message = Message.objects.filter(provider_id=provider_id).first() if provider_id else None
    if message is None:
        raise NotFound("No message has that id")
    mapped = {
        "delivered": Status.DELIVERED,
        "permanent-failure": Status.BOUNCED,
        "temporary-failure": Status.FAILED,
        "technical-failure": Status.FAILED,
        "sent": Status.SENT,
        "sending": Status.SENT,
    }.get(status)
    if mapped is None:
        raise InvalidInput({"status": [f"Unknown status {status[:40]!r}"]}, code="bad_status")
    Message.objects.filter(pk=message.pk).update(status=mapped, status_at=clock.now())
    message.refresh_from_db()
    return message


# -- council template overrides ---------------------------------------------------------------


def message_template_save(
    *,
    council: Council,
    key: str,
    language: str,
    subject: str,
    body: str,
    sms: str = "",
    service_code: str = "",
    actor: Principal,
) -> MessageTemplate:
    """A council's own words for one notification (all its services, or one)."""
    from townsquare.messaging.defaults import KEYS

    if not (actor.is_platform_admin or actor.role_in(council.id) == "council_admin"):
        raise PermissionDenied("Only the council's admins can change its message templates")
    errors: dict[str, list[str]] = {}
    if key not in KEYS and not (key.startswith("state:") and 6 < len(key) <= 60):
        errors["key"] = ["Choose a template from the list"]
    if language not in ("en", "cy"):
        errors["language"] = ["Choose English or Welsh"]
    if service_code and service_code not in {s.code for s in services_for_council(council=council)}:
        errors["service_code"] = ["Choose a service of this council"]
    subject, body, sms = (subject or "").strip(), (body or "").strip(), (sms or "").strip()
    try:
        message_template_check(subject=subject, body=body, sms=sms)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors, code="bad_template")
    with transaction.atomic():
        template, _ = MessageTemplate.objects.update_or_create(
            council=council,
            service_code=service_code,
            key=key,
            language=language,
            defaults={"subject": subject, "body": body, "sms": sms},
        )
        append_event(
            MessageTemplateChanged(
                key=key, service_code=service_code, language=language, action="saved"
            ),
            council_id=council.id,
            stream="messaging",
            stream_id=template.pk,
            actor=actor.as_actor(),
        )
    return template


def message_template_check(*, subject: str, body: str, sms: str) -> None:
    """Raise InvalidInput unless the words can be used: a body, known placeholders, lengths."""
    errors: dict[str, list[str]] = {}
    if not (body or "").strip():
        errors["body"] = ["Enter the email text"]
    for field, text, limit in (
        ("subject", subject, 300),
        ("body", body, 10_000),
        ("sms", sms, 918),
    ):
        text = (text or "").strip()
        if len(text) > limit:
            errors[field] = [f"Use {limit} characters or fewer (it has {len(text)})"]
        unknown = sorted(rendering.placeholders(text) - set(rendering.FIELDS))
        if unknown:
            errors[field] = ["Unknown placeholders: " + ", ".join(f"(({u}))" for u in unknown)]
    if errors:
        raise InvalidInput(errors, code="bad_template")


def message_template_reset(
    *, council: Council, key: str, language: str, service_code: str = "", actor: Principal
) -> int:
    """Go back to the shipped words. Returns how many overrides were removed."""
    if not (actor.is_platform_admin or actor.role_in(council.id) == "council_admin"):
        raise PermissionDenied("Only the council's admins can change its message templates")
    with transaction.atomic():
        found = list(
            MessageTemplate.objects.filter(
                council=council, key=key, language=language, service_code=service_code
            )
        )
        for template in found:
            append_event(
                MessageTemplateChanged(
                    key=key, service_code=service_code, language=language, action="reset"
                ),
                council_id=council.id,
                stream="messaging",
                stream_id=template.pk,
                actor=actor.as_actor(),
            )
            template.delete()
    return len(found)
