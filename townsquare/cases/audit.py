"""The audit trail as staff read it: a council's events filtered by person, case and date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from townsquare.accounts import policies
from townsquare.accounts.models import Membership
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.core.errors import PermissionDenied
from townsquare.core.models import Event, Visibility


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    reference: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None  # exclusive
    kind: str = ""


def _events(*, principal: Principal, council_id: int, audit: AuditFilter) -> QuerySet[Event]:
    if not policies.can_administer_council(principal, council_id):
        raise PermissionDenied("Only council admins can read the audit trail")
    # The council's own events, and its staff's sign-ins, refusals and authenticator changes
    # (recorded against the person, not a council, since one person may work for several).
    members = Membership.objects.filter(council_id=council_id).values("user_id")
    qs = Event.objects.filter(
        Q(council_id=council_id) | Q(council_id=None, stream="user", stream_id__in=members)
    )
    if audit.user_id is not None:
        # What they did, and what happened to their account (sign-in refusals, resets).
        qs = qs.filter(Q(actor_user_id=audit.user_id) | Q(stream="user", stream_id=audit.user_id))
    if audit.reference:
        case_id = (
            Case.objects.filter(reference=audit.reference.upper(), council_id=council_id)
            .values_list("id", flat=True)
            .first()
        )
        qs = qs.filter(Q(stream="case", stream_id=case_id or 0))
    if audit.start:
        qs = qs.filter(created_at__gte=audit.start)
    if audit.end:
        qs = qs.filter(created_at__lt=audit.end)
    if audit.kind:
        qs = qs.filter(kind__startswith=audit.kind)
    return qs


def _references(events: list[Event]) -> dict[int, str]:
    """Case id -> reference, for the events about cases."""
    case_ids = {e.stream_id for e in events if e.stream == "case"}
    return dict(Case.objects.filter(id__in=case_ids).values_list("id", "reference"))


def audit_page(
    *,
    principal: Principal,
    council_id: int,
    audit: AuditFilter,
    before_id: int | None,
    limit: int = 50,
) -> tuple[list[Event], dict[int, str]]:
    """Newest first, `limit` events older than `before_id`; with references of their cases."""
    qs = _events(principal=principal, council_id=council_id, audit=audit)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    events = list(qs.order_by("-id")[:limit])
    return events, _references(events)


def audit_rows(
    *, principal: Principal, council_id: int, audit: AuditFilter, chunk: int = 2000
) -> Iterator[tuple[Event, str]]:
    """Every matching event, oldest first, read in chunks, with its case reference."""
    qs = _events(principal=principal, council_id=council_id, audit=audit)
    last = 0
    while True:
        events = list(qs.filter(id__gt=last).order_by("id")[:chunk])
        if not events:
            return
        references = _references(events)
        for event in events:
            yield event, references.get(event.stream_id, "") if event.stream == "case" else ""
        last = events[-1].id


def audit_events_after(
    *,
    principal: Principal,
    council_id: int,
    audit: AuditFilter,
    after_id: int,
    limit: int = 100,
) -> tuple[list[Event], dict[int, str]]:
    """The audit trail as a feed, for data warehouses: up to `limit` matching events with an
    id above `after_id`, oldest first (ids commit in order, core.eventlog, so a reader that
    keeps the last id it saw misses nothing), with references of their cases. A principal
    that does not see personal data gets the public events only: internal ones (notes,
    replies, sign-ins) are where people's words and addresses are."""
    qs = _events(principal=principal, council_id=council_id, audit=audit).filter(id__gt=after_id)
    if not principal.sees_personal_data:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    events = list(qs.order_by("id")[:limit])
    return events, _references(events)
