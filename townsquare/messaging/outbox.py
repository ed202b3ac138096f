"""Turning events into outbox rows. The one place that decides who hears about what.

`outbox_dispatch` reads the event log after the last event id it handled (a Cursor row, locked
while it works, so several processes can call it and each event is handled once), writes a
Message row per recipient and channel, and moves the cursor, all in one transaction. Rows carry an
idempotency key (event, channel, recipient), so handling an event again writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import translation

from townsquare.accounts.selectors import acted_with_team_key, staff_emails_of_council
from townsquare.appointments.selectors import alert_notices
from townsquare.cases.applicant_links import applicant_link_key
from townsquare.cases.models import Case
from townsquare.cases.sla import expected_by_in_words, region_for_gss
from townsquare.catalogue.selectors import (
    document_in_language,
    services_by_id,
    versions_by_id,
    workflow_for_version,
)
from townsquare.core import clock
from townsquare.core.links import public_link, public_url
from townsquare.core.models import Event
from townsquare.councils.models import Area, Council
from townsquare.councils.selectors import place_for_people, place_in_words_translated
from townsquare.messaging import rendering, rules, tokens
from townsquare.messaging.channels import notify_configured, sms_configured, webhook_body
from townsquare.messaging.defaults import Words
from townsquare.messaging.models import (
    ChannelKind,
    Cursor,
    DigestItem,
    Frequency,
    Message,
    MessageBody,
    Status,
    Subscription,
    SubscriptionKind,
    WebhookEndpoint,
)
from townsquare.messaging.templates import TemplateBook

CURSOR = "outbox"
_UNSUBSCRIBE = "UNSUBSCRIBEURLx9q"  # stands in for each recipient's own link while rendering
# Stands in for a transactional message's link in its stored content (ADR 75).
LINK_STAND_IN = "LINKSTANDINx4w"
LINK_NOT_SHOWN = "(link not shown: kept only until the message is sent)"
# Stands in for the applicant's key in the track link of messages to them (ADR 100): the key is
# made again as the message is sent, so the stored content, which staff read, never holds it.
_APPLICANT_KEY = "APPLICANTKEYx7z"


def latest_event_id() -> int:
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def _start_position() -> int:
    """Where a new cursor starts: after the history too old to notify anyone about (imports,
    bulk loads), so the first run does not walk years of events."""
    cutoff = clock.now() - dt.timedelta(hours=settings.MESSAGING_EVENT_MAX_AGE_HOURS)
    return Event.objects.filter(created_at__lt=cutoff).aggregate(m=Max("id"))["m"] or 0


def _cursor_locked() -> Cursor:
    Cursor.objects.get_or_create(name=CURSOR, defaults={"last_event_id": _start_position()})
    return Cursor.objects.select_for_update().get(name=CURSOR)


def outbox_dispatch(*, limit: int = 500, below: int | None = None) -> int:
    """Handle every event not yet handled (with `below`, those with a smaller id). Returns how
    many messages were planned."""
    planned = 0
    digests_due: list[dt.datetime] = []
    while True:
        with transaction.atomic():
            cursor = _cursor_locked()
            unhandled = Event.objects.filter(id__gt=cursor.last_event_id)
            if below is not None:
                unhandled = unhandled.filter(id__lt=below)
            events = list(unhandled.order_by("id")[:limit])
            if not events:
                break
            planner = Planner()
            planner.plan(events)
            planned += planner.write()
            digests_due += planner.digests_due
            Cursor.objects.filter(pk=cursor.pk).update(
                last_event_id=events[-1].id, updated_at=clock.now()
            )
        if len(events) < limit:
            break
    if planned or digests_due:
        from townsquare.messaging import tasks

        if planned:
            tasks.senders_enqueue(planned)
        for due in sorted(set(digests_due)):
            tasks.digests_enqueue(due)
    return planned


def outbox_skip_bulk_load(*, first_event_id: int, last_event_id: int) -> None:
    """A bulk load (cases generated or imported with their events) is history, not news: the
    events before it are handled as usual, then the cursor moves past the whole load in one
    step, so nobody is messaged about it and no process walks it in small transactions
    (ADR 223)."""
    outbox_dispatch(below=first_event_id)
    with transaction.atomic():
        cursor = _cursor_locked()
        if first_event_id - 1 <= cursor.last_event_id < last_event_id:
            Cursor.objects.filter(pk=cursor.pk).update(
                last_event_id=last_event_id, updated_at=clock.now()
            )


def _hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:20]


def _quiet_hours() -> tuple[dt.time | None, dt.time | None]:
    spec = settings.MESSAGING_SMS_QUIET_HOURS.strip()
    if not spec:
        return None, None
    start, end = spec.split("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def unsubscribe_url(subscription_id: int) -> str:
    return _unsubscribe_prefix() + tokens.make("unsubscribe", subscription_id)


_PREFIXES: dict[str, str] = {}


def _unsubscribe_prefix() -> str:
    # reverse() is slow enough to matter for 10,000 recipients; the prefix never changes.
    if settings.PUBLIC_URL not in _PREFIXES:
        url = reverse("portal:alerts_unsubscribe", kwargs={"token": "TOKEN"})
        _PREFIXES[settings.PUBLIC_URL] = public_url(url.removesuffix("TOKEN"))
    return _PREFIXES[settings.PUBLIC_URL]


def track_url(reference: str, *, applicant_key: str = "") -> str:
    """The case's track page; with `applicant_key`, the link that opens a private application
    to its applicant on any device (ADR 100): only ever sent to the applicant."""
    url = public_link("portal:track_case", reference=reference)
    return f"{url}?key={applicant_key}" if applicant_key else url


def reply_address(case_id: int) -> str:
    return f"reply+{tokens.make('reply', case_id)}@{settings.REPLY_EMAIL_DOMAIN}"


@dataclass
class _Recipient:
    subscription_id: int
    email: str = ""
    phone: str = ""
    language: str = "en"


@dataclass
class Planner:
    """Plans the messages of a batch of events, looking everything up once per batch."""

    # Looked up at each call, so a test that sets the clock sets it here too.
    now: dt.datetime = field(default_factory=lambda: clock.now())
    book: TemplateBook = field(default_factory=TemplateBook)
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    digest_items: list[DigestItem] = field(default_factory=list)
    digests_due: list[dt.datetime] = field(default_factory=list)
    _rendered: dict[tuple, rendering.Rendered] = field(default_factory=dict)

    # -- planning ------------------------------------------------------------------------

    def plan(self, events: list[Event]) -> None:
        oldest = self.now - dt.timedelta(hours=settings.MESSAGING_EVENT_MAX_AGE_HOURS)
        fresh = [e for e in events if e.created_at >= oldest and e.council_id is not None]
        if not fresh:
            return
        council_ids = {e.council_id for e in fresh}
        self.councils = Council.objects.in_bulk(council_ids)
        # Changes made with a team key message the council's own staff only (ADR 158).
        self.team_key_events = {
            e.id
            for e in fresh
            if acted_with_team_key(actor_kind=e.actor_kind, actor_label=e.actor_label)
        }
        self.own_addresses = {
            council_id: staff_emails_of_council(council_id=council_id)
            for council_id in {e.council_id for e in fresh if e.id in self.team_key_events}
        }
        endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(council_id__in=council_ids, is_active=True):
            endpoints[endpoint.council_id].append(endpoint)
        case_ids = {e.stream_id for e in fresh if e.stream == "case"}
        self.cases = Case.objects.in_bulk(case_ids) if case_ids else {}
        self.services = services_by_id(ids={c.service_id for c in self.cases.values()})
        self.versions = versions_by_id(ids={c.service_version_id for c in self.cases.values()})
        created = [
            self.cases[e.stream_id]
            for e in fresh
            if e.kind == "case.created" and e.stream_id in self.cases
        ]
        confirmed = [e.stream_id for e in fresh if e.kind == "case.reporter_confirmed"]
        # A report whose reporter must first confirm their address (ADR 53) is announced when
        # they do: until then nobody, the reporter included, hears about it from us.
        confirmed_ever = set(
            Event.objects.filter(
                stream="case", kind="case.reporter_confirmed", stream_id__in=[c.id for c in created]
            ).values_list("stream_id", flat=True)
        )
        self.pending = {c.id for c in created if c.awaiting_confirmation or c.id in confirmed_ever}
        if created:
            reporter_subscriptions_ensure(created)
        if confirmed:
            Subscription.objects.filter(
                case_id__in=confirmed,
                kind=SubscriptionKind.REPORTER,
                confirmed_at__isnull=True,
                unsubscribed_at__isnull=True,
            ).update(confirmed_at=self.now)
        self.case_subs: dict[int, list[Subscription]] = defaultdict(list)
        for sub in Subscription.objects.filter(
            case_id__in=case_ids,
            kind__in=[SubscriptionKind.REPORTER, SubscriptionKind.FOLLOWER],
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        ).select_related("user"):
            self.case_subs[sub.case_id].append(sub)
        anonymised = [e.stream_id for e in fresh if e.kind == "case.anonymised"]
        if anonymised:
            personal_data_remove(case_ids=anonymised)
        for event in fresh:
            if event.stream == "messaging":
                continue  # our own audit entries are not news for council systems
            if event.kind == "appointments.alerts_decided":
                self._appointment_alerts(event)
            elif event.kind == "appointments.cleaned":
                appointment_messages_remove(session_id=event.stream_id)
            for endpoint in endpoints.get(event.council_id, ()):
                # An endpoint hears what happens after it was registered, not history.
                if endpoint.wants(event.kind) and event.created_at >= endpoint.created_at:
                    self._webhook(event, endpoint)
            case = self.cases.get(event.stream_id) if event.stream == "case" else None
            if case is None or case.anonymised_at is not None or case.is_test:
                continue
            self._case_event(event, case)

    def _case_event(self, event: Event, case: Case) -> None:
        kind, payload = event.kind, event.payload
        if kind == "case.created" and case.id in self.pending:
            self._to_queue_watchers(event, case, team_id=case.team_id)
        elif kind in ("case.created", "case.reporter_confirmed"):
            self._to_case_subscribers(
                event,
                case,
                "created",
                lambda language: {
                    "message": self._state(case, payload.get("state", ""), language).message
                },
            )
            if kind == "case.created":
                self._to_queue_watchers(event, case, team_id=case.team_id)
            if case.is_public and event.id not in self.team_key_events:
                self._to_area_subscribers(event, case)
        elif kind == "case.transitioned":
            state = self._state(case, payload["to_state"])
            key = f"state:{payload['to_state']}"
            if state.is_closed:
                key = "state_closed"
            self._to_case_subscribers(
                event,
                case,
                key,
                lambda language: {
                    "message": payload.get("message", ""),
                    "state_name": self._state(case, payload["to_state"], language).name,
                },
            )
        elif kind == "case.public_update":
            self._to_case_subscribers(
                event, case, "public_update", lambda _: {"message": payload.get("message", "")}
            )
        elif kind == "case.merged_into":
            self._to_case_subscribers(
                event, case, "merged", lambda _: {"message": payload.get("original_reference", "")}
            )
        elif (
            kind == "case.assigned"
            and payload.get("team_id")
            # New in a queue only when it arrives in the team: a case given to a person of the
            # team it is already in (an agent taking it, say) is not news for the watchers.
            and payload.get("previous_team_id", object()) != payload["team_id"]
        ):
            self._to_queue_watchers(event, case, team_id=payload["team_id"])

    def _state(self, case: Case, code: str, language: str = "en"):
        workflow = workflow_for_version(self.versions[case.service_version_id], language=language)
        return workflow.state(code or case.state)

    def _values(self, case: Case, language: str = "en", **extra: str) -> dict[str, str]:
        """What a message about the case may say. The service's and states' names are in the
        recipient's language when the case's template has a translation (ADR 63)."""
        service = self.services.get(case.service_id)
        council = self.councils[case.council_id]
        version = self.versions[case.service_version_id]
        service_name = "" if service is None else service.name
        if service is not None and language != "en":
            service_name = document_in_language(version, language)["name"]
        place = self._place(case, language)
        values = {
            "reference": case.reference,
            "service_name": service_name,
            "council_name": council.name,
            "state_name": self._state(case, case.state, language).name,
            "message": "",
            "address": place,
            "where": (("Ble: %s." if language == "cy" else "Where: %s.") % place) if place else "",
            "description": case.description if case.is_public else "",
            "track_url": track_url(case.reference),
            "unsubscribe_url": _UNSUBSCRIBE,
            # The day the pages and the staff queue give too (cases.sla.expected_by).
            "expected_by": expected_by_in_words(
                case.resolve_due_at,
                sla=version.document["sla"],
                region=region_for_gss(council.gss_code),
                language=language,
            ),
        }
        values.update(extra)
        return values

    @staticmethod
    def _place(case: Case, language: str) -> str:
        """Where the case is, in words (the gazetteer's, ADR 58, then the reporter's own), in
        the recipient's language; bare coordinates only when there are no words at all."""
        with translation.override(language):
            words = place_in_words_translated(case.place_in_words)
        place = place_for_people(words=words, address=case.address)
        if place or case.lat is None:
            return place
        return f"{case.lat:.5f}, {case.lng:.5f}"

    # -- recipients ----------------------------------------------------------------------

    def _appointment_alerts(self, event: Event) -> None:
        """Live queues (ADR 192): each person whose expected time moved, told once per change
        (the alert's id is the key), by text when there is a number, else by email."""
        zone = ZoneInfo(settings.TIME_ZONE)
        texting = sms_configured()
        for notice in alert_notices(
            session_id=event.stream_id, change_no=event.payload.get("change_no", 0)
        ):
            key = "appointment_cancelled" if notice.kind == "cancelled" else "appointment_delay"
            words = self.book.words(
                council_id=notice.council_id, service_code="", key=key, language=notice.language
            )
            values = {
                "council_name": getattr(self.councils.get(notice.council_id), "name", ""),
                "place": notice.place,
                "address": notice.address,
                "number": str(notice.number),
                "booked_time": f"{notice.scheduled_at.astimezone(zone):%H:%M}",
                "expected_time": f"{notice.expected_at.astimezone(zone):%H:%M}",
            }
            common = dict(
                event_id=event.id,
                council_id=notice.council_id,
                template=key,
                language=notice.language,
                next_attempt_at=self.now,
                created_at=self.now,
            )
            # A text is its words filled in, nothing more: no email rendering (Markdown, HTML)
            # for the thousands of texts of one delay.
            text = rendering.fill(words.sms, values) if notice.phone and texting else ""
            if text:
                self._add(
                    dict(
                        common,
                        idempotency_key=f"appt-alert{notice.alert_id}:sms",
                        channel=ChannelKind.SMS,
                        recipient=notice.phone,
                        body_text=text,
                    )
                )
            elif notice.email:
                rendered = rendering.render(
                    subject=words.subject,
                    body=words.body,
                    sms=words.sms,
                    values=values,
                    language=notice.language,
                )
                self._add(
                    dict(
                        common,
                        idempotency_key=f"appt-alert{notice.alert_id}:email",
                        channel=ChannelKind.EMAIL,
                        recipient=notice.email,
                        subject=rendered.subject,
                        body_text=rendered.text,
                        body_html=rendered.html,
                    )
                )

    def _to_case_subscribers(
        self, event: Event, case: Case, key: str, extra: Callable[[str], dict[str, str]]
    ) -> None:
        """`extra(language)`: what this event adds to the message, in that language."""
        service = self.services.get(case.service_id)
        values_in: dict[str, dict[str, str]] = {}
        for sub in self.case_subs.get(case.id, ()):
            if sub.language not in values_in:
                values_in[sub.language] = self._values(case, sub.language, **extra(sub.language))
            values = values_in[sub.language]
            if sub.kind == SubscriptionKind.REPORTER and not case.is_public:
                # Only the applicant's own messages carry the key to their private case.
                values = {
                    **values,
                    "track_url": track_url(case.reference, applicant_key=_APPLICANT_KEY),
                }
            recipient = _Recipient(
                sub.id, sub.email or (sub.user.email if sub.user else ""), sub.phone, sub.language
            )
            self._person(
                event,
                case.council_id,
                case.id,
                recipient,
                key=key,
                service_code=service.code if service else "",
                values=values,
                reply_to=reply_address(case.id),
            )

    def _to_queue_watchers(self, event: Event, case: Case, *, team_id: int | None) -> None:
        watchers = (
            Subscription.objects.filter(
                kind=SubscriptionKind.QUEUE,
                council_id=case.council_id,
                unsubscribed_at__isnull=True,
                confirmed_at__isnull=False,
            )
            .filter(Q(team__isnull=True) | Q(team_id=team_id))
            .select_related("user")
        )
        values = self._values(case)
        for sub in watchers:
            if sub.user is None or sub.user_id == event.actor_user_id:
                continue
            self._person(
                event,
                case.council_id,
                case.id,
                _Recipient(sub.id, sub.user.email, "", sub.language),
                key="queue_new",
                service_code="",
                values=values,
            )

    def _to_area_subscribers(self, event: Event, case: Case) -> None:
        """Every confirmed area alert covering the case: its ward, or a circle around it."""
        service = self.services.get(case.service_id)
        code = service.code if service else ""
        where = Q(area_id=case.area_id) if case.area_id else Q(pk__in=[])
        if case.lat is not None:
            min_lat, max_lat, min_lng, max_lng = rules.box_around(
                case.lat, case.lng, settings.MESSAGING_AREA_MAX_RADIUS_M
            )
            where |= Q(
                area__isnull=True, lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng)
            )
        rows = Subscription.objects.filter(
            where,
            kind=SubscriptionKind.AREA,
            council_id=case.council_id,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        ).values_list(
            "id",
            "email",
            "language",
            "area_id",
            "lat",
            "lng",
            "radius_m",
            "service_codes",
            "frequency",
            "digest_due_at",
        )
        area_names: dict[int, str] = {}
        if case.area_id:
            area_names = dict(Area.objects.filter(pk=case.area_id).values_list("id", "name"))
        bases: dict[str, dict[str, str]] = {}
        new_due: list[int] = []
        due_at = rules.next_digest_time(
            self.now, hour=settings.MESSAGING_DIGEST_HOUR, zone=settings.TIME_ZONE
        )
        for (
            sub_id,
            email,
            language,
            area_id,
            lat,
            lng,
            radius,
            codes,
            frequency,
            digest_due,
        ) in rows.iterator(chunk_size=2000):
            if codes and code not in codes:
                continue
            if area_id is None:
                if lat is None or case.lat is None or radius is None:
                    continue
                if rules.distance_m(lat, lng, case.lat, case.lng) > radius:
                    continue
            if frequency == Frequency.DAILY:
                self.digest_items.append(
                    DigestItem(subscription_id=sub_id, case_id=case.id, event_id=event.id)
                )
                if digest_due is None:
                    new_due.append(sub_id)
                continue
            area_name = (
                area_names.get(area_id, "") if area_id else _circle_name(radius or 0, language)
            )
            if language not in bases:
                bases[language] = self._values(case, language)
            self._person(
                event,
                case.council_id,
                case.id,
                _Recipient(sub_id, email, "", language),
                key="area_alert",
                service_code=code,
                values={**bases[language], "area_name": area_name},
                render_key=("area", case.id, language, area_name),
            )
        if new_due:
            Subscription.objects.filter(pk__in=new_due, digest_due_at__isnull=True).update(
                digest_due_at=due_at
            )
            self.digests_due.append(due_at)

    # -- drafts --------------------------------------------------------------------------

    def _render(
        self, words: Words, values: dict[str, str], language: str, render_key: tuple | None
    ) -> rendering.Rendered:
        if render_key is None:
            return rendering.render(
                subject=words.subject,
                body=words.body,
                sms=words.sms,
                values=values,
                language=language,
            )
        full_key = (render_key, words)
        if full_key not in self._rendered:
            self._rendered[full_key] = rendering.render(
                subject=words.subject,
                body=words.body,
                sms=words.sms,
                values=values,
                language=language,
            )
        return self._rendered[full_key]

    def _own_only(self, council_id: int, recipient: _Recipient) -> _Recipient:
        """The recipient's addresses that are the council's own: its staff's emails. No
        number is known to be the council's, so a team key's changes send no texts."""
        own = recipient.email.lower() in self.own_addresses.get(council_id, frozenset())
        return _Recipient(
            recipient.subscription_id, recipient.email if own else "", "", recipient.language
        )

    def _person(
        self,
        event: Event,
        council_id: int,
        case_id: int,
        recipient: _Recipient,
        *,
        key: str,
        service_code: str,
        values: dict[str, str],
        reply_to: str = "",
        render_key: tuple | None = None,
    ) -> None:
        if event.id in self.team_key_events:
            recipient = self._own_only(council_id, recipient)
        words = self.book.words(
            council_id=council_id, service_code=service_code, key=key, language=recipient.language
        )
        rendered = self._render(
            words, values, recipient.language, render_key or (event.id, key, recipient.language)
        )
        template = key.split(":", 1)[0]
        if recipient.email:
            self._add(
                dict(
                    idempotency_key=f"e{event.id}:email:{_hash(recipient.email)}",
                    event_id=event.id,
                    council_id=council_id,
                    case_id=case_id,
                    subscription_id=recipient.subscription_id,
                    channel=ChannelKind.EMAIL,
                    recipient=recipient.email,
                    template=template,
                    language=recipient.language,
                    subject=rendered.subject,
                    body_id=self._body_id(rendered, "email"),
                    headers=self._headers_json(reply_to),
                    next_attempt_at=self.now,
                    created_at=self.now,
                )
            )
        if recipient.phone and rendered.sms and notify_configured():
            start, end = _quiet_hours()
            self._add(
                dict(
                    idempotency_key=f"e{event.id}:sms:{_hash(recipient.phone)}",
                    event_id=event.id,
                    council_id=council_id,
                    case_id=case_id,
                    subscription_id=recipient.subscription_id,
                    channel=ChannelKind.SMS,
                    recipient=recipient.phone,
                    template=template,
                    language=recipient.language,
                    body_id=self._body_id(rendered, "sms"),
                    next_attempt_at=rules.after_quiet_hours(
                        self.now, start=start, end=end, zone=settings.TIME_ZONE
                    ),
                    created_at=self.now,
                )
            )

    def _body_id(self, rendered: rendering.Rendered, channel: str) -> int:
        """The shared body for this rendering and channel, stored once."""
        bodies = self.__dict__.setdefault("_bodies", {})
        key = (id(rendered), channel)
        if key not in bodies:
            if channel == "sms":
                body = MessageBody(text=rendered.sms, created_at=self.now)
            else:
                body = MessageBody(
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    created_at=self.now,
                )
            body.save(force_insert=True)
            # Keep the rendering alive while its id is a key, so the id is never reused.
            bodies[key] = (body.pk, rendered)
        return bodies[key][0]

    def _headers_json(self, reply_to: str) -> str:
        """The email headers as JSON with a stand-in for the unsubscribe link, made once."""
        cache = self.__dict__.setdefault("_headers_cache", {})
        if reply_to not in cache:
            headers = {
                "List-Unsubscribe": f"<{_UNSUBSCRIBE}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
            if reply_to and settings.REPLY_EMAIL_DOMAIN:
                headers["Reply-To"] = reply_to
            cache[reply_to] = json.dumps(headers)
        return cache[reply_to]

    def _webhook(self, event: Event, endpoint: WebhookEndpoint) -> None:
        msg_id = f"msg_e{event.id}_w{endpoint.id}"
        data: dict[str, Any] = {
            "event_id": event.id,
            "council": None,
            "stream": event.stream,
            "stream_id": event.stream_id,
            "actor_kind": event.actor_kind,
            "visibility": event.visibility,
            **event.payload,
        }
        council = self.councils.get(event.council_id)
        data["council"] = council.slug if council else None
        self._add(
            dict(
                idempotency_key=f"e{event.id}:webhook:{endpoint.id}",
                event_id=event.id,
                council_id=event.council_id,
                case_id=event.stream_id if event.stream == "case" else None,
                endpoint_id=endpoint.id,
                channel=ChannelKind.WEBHOOK,
                recipient=endpoint.url[:500],
                template=event.kind,
                subject=event.kind,
                body_text=webhook_body(
                    msg_id=msg_id,
                    kind=event.kind,
                    timestamp=event.created_at.isoformat(),
                    data=data,
                ),
                headers=json.dumps({"webhook-id": msg_id}),
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    def _add(self, row: dict[str, Any]) -> None:
        # One message per event, channel and address, even if someone both reported and follows.
        self.drafts.setdefault(row["idempotency_key"], row)

    def write(self) -> int:
        if self.digest_items:
            DigestItem.objects.bulk_create(
                self.digest_items, batch_size=1000, ignore_conflicts=True
            )
        rows = list(self.drafts.values())
        if rows:
            _insert_messages(rows)
        return len(rows)


_COLUMNS = (
    "idempotency_key",
    "event_id",
    "council_id",
    "case_id",
    "subscription_id",
    "endpoint_id",
    "body_id",
    "channel",
    "recipient",
    "template",
    "language",
    "subject",
    "body_text",
    "body_html",
    "headers",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "last_error",
    "provider_id",
)


def _insert_messages(rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows in a few statements, skipping keys already there.

    Raw SQL because this is the hot path of area alerts: the ORM's bulk_create spends most of
    its time preparing values field by field (10,000 rows took seconds)."""
    adapted: dict[object, object] = {}

    def adapt(value):  # the rows of a batch share one or two times
        if value not in adapted:
            adapted[value] = connection.ops.adapt_datetimefield_value(value)
        return adapted[value]

    table = connection.ops.quote_name(Message._meta.db_table)
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    placeholders = ", ".join(json_param if c == "headers" else "%s" for c in _COLUMNS)
    # Only constant names go into the statement; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "  # noqa: S608
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )
    params = [
        (
            r["idempotency_key"],
            r.get("event_id"),
            r.get("council_id"),
            r.get("case_id"),
            r.get("subscription_id"),
            r.get("endpoint_id"),
            r.get("body_id"),
            r["channel"],
            r["recipient"],
            r.get("template", ""),
            r.get("language", "en"),
            r.get("subject", ""),
            r.get("body_text", ""),
            r.get("body_html", ""),
            r.get("headers") or "{}",
            Status.QUEUED,
            0,
            adapt(r["next_attempt_at"]),
            adapt(r["created_at"]),
            "",
            "",
        )
        for r in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), 2000):
            cursor.executemany(sql, params[start : start + 2000])


def personal_data_remove(*, case_ids: list[int]) -> None:
    """A case's retention ended: forget who followed it and what was sent to whom."""
    Subscription.objects.filter(case_id__in=case_ids).update(
        email="", phone="", user=None, unsubscribed_at=clock.now()
    )
    messages = Message.objects.filter(case_id__in=case_ids).exclude(channel=ChannelKind.WEBHOOK)
    MessageBody.objects.filter(pk__in=messages.exclude(body__isnull=True).values("body_id")).update(
        text="", html=""
    )
    messages.update(recipient="(removed)", body_text="", body_html="", headers={}, secret_link="")


def appointment_messages_remove(*, session_id: int) -> int:
    """A session's personal data is gone (appointments.cleaned): so are the numbers,
    addresses and words of what was sent about it."""
    event_ids = Event.objects.filter(
        stream="session", stream_id=session_id, kind="appointments.alerts_decided"
    ).values("id")
    return Message.objects.filter(event_id__in=event_ids).update(
        recipient="(removed)", subject="", body_text="", body_html="", headers={}
    )


def materialise(message: Message, *, sending: bool = False) -> Message:
    """Fill in a message's content: its body with the recipient's own unsubscribe link (in
    memory; the row keeps the shared body). Only `sending` fills in a secret link (ADR 75);
    anyone else reading the message (staff pages) sees that it is not shown."""
    if message.body_id is not None and message.body is not None:
        message.body_text, message.body_html = message.body.text, message.body.html
    headers = message.headers if isinstance(message.headers, dict) else {}
    if message.subscription_id is not None:
        link = unsubscribe_url(message.subscription_id)
        message.body_text = message.body_text.replace(_UNSUBSCRIBE, link)
        message.body_html = message.body_html.replace(_UNSUBSCRIBE, link)
        headers = {k: v.replace(_UNSUBSCRIBE, link) for k, v in headers.items()}
    message.headers = headers
    if _APPLICANT_KEY in message.body_text or _APPLICANT_KEY in message.body_html:
        if sending and message.case_id is not None:
            key = applicant_link_key(case_id=message.case_id)
            message.body_text = message.body_text.replace(_APPLICANT_KEY, key)
            message.body_html = message.body_html.replace(_APPLICANT_KEY, key)
        else:
            # Staff see the plain track link: the key would let them act as the applicant.
            for stand_in in (f"?key={_APPLICANT_KEY}", _APPLICANT_KEY):
                message.body_text = message.body_text.replace(stand_in, "")
                message.body_html = message.body_html.replace(stand_in, "")
    if LINK_STAND_IN in message.body_text or LINK_STAND_IN in message.body_html:
        shown = message.secret_link if sending and message.secret_link else LINK_NOT_SHOWN
        message.body_text = message.body_text.replace(LINK_STAND_IN, shown)
        message.body_html = message.body_html.replace(LINK_STAND_IN, html.escape(shown))
    return message


def secret_link_gone(message: Message) -> bool:
    """Did the message carry a secret link that is no longer kept (so cannot be sent again)?"""
    if message.secret_link:
        return False
    return LINK_STAND_IN in message.body_text or LINK_STAND_IN in message.body_html


def secret_link_gone_rows() -> Q:
    """`secret_link_gone` as a query condition, for picking such rows out in bulk."""
    return Q(secret_link="") & (
        Q(body_text__contains=LINK_STAND_IN) | Q(body_html__contains=LINK_STAND_IN)
    )


def _circle_name(radius: int, language: str) -> str:
    if language == "cy":
        return f"y {radius} m o gwmpas eich lle"
    return f"the {radius} m around your chosen place"


def reporter_subscriptions_ensure(cases: Iterable[Case], *, language: str = "en") -> None:
    """The reporter hears about their own case by default: a confirmed subscription per case
    with a way to reach them (their email, phone, or account)."""
    cases = [c for c in cases if c.reporter_email or c.reporter_phone or c.reporter_id]
    if not cases:
        return
    have = set(
        Subscription.objects.filter(
            case_id__in=[c.id for c in cases],
            kind=SubscriptionKind.REPORTER,
        ).values_list("case_id", flat=True)
    )
    now = clock.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                kind=SubscriptionKind.REPORTER,
                council_id=c.council_id,
                case_id=c.id,
                user_id=c.reporter_id,
                email=c.reporter_email,
                phone=c.reporter_phone,
                language=language,
                created_at=now,
                # Confirmed with the report itself, unless the address must be (ADR 53).
                confirmed_at=None if c.awaiting_confirmation else now,
            )
            for c in cases
            if c.id not in have
        ]
    )


def pending() -> bool:
    """Are there events the outbox has not handled? (A read: no lock taken.)"""
    last = Cursor.objects.filter(name=CURSOR).values_list("last_event_id", flat=True).first()
    if last is None:
        return True
    return Event.objects.filter(id__gt=last).exists()
