"""Staff work queues: filtered, sorted pages of one council's cases, with counts per view.

Reads only, access-checked. A page is one query for its rows, whatever its size; the counts of
every view shown beside a queue come from one more query (one pass with a conditional count per
view), so the number of queries never depends on the page size or the number of rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q

from townsquare.accounts import policies
from townsquare.accounts.models import Membership
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.sla import DEFAULT_CALENDAR, DUE_SOON, LOCAL, sla_state
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.selectors import services_by_id, versions_by_id, workflow_for_version
from townsquare.core.caching import StampedValues
from townsquare.core.errors import PermissionDenied
from townsquare.core.models import Event
from townsquare.core.numbers import whole_number
from townsquare.councils.models import Area, Team

STATUSES = ("open", "closed", "all")
SLA_STATES = ("overdue", "due_soon", "on_track")
ASSIGNED = ("me", "unassigned", "others")
SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "due": ("resolve_due_at", "id"),
    "updated": ("-updated_at", "-id"),
    "priority": ("priority", "resolve_due_at", "id"),
}
PAGE_SIZES = (25, 50, 100, 200)
_REFERENCE = re.compile(r"^[A-Za-z]{2,5}-\d{2}-\d{1,9}$")

ROW_COLUMNS = (
    "id",
    "reference",
    "title",
    "service_id",
    "service_version_id",
    "state",
    "is_open",
    "area_id",
    "team_id",
    "assignee_id",
    "priority",
    "created_at",
    "updated_at",
    "resolve_due_at",
    "address",
    "place_in_words",
    "support_count",
    "revision",
    "duplicate_of_id",
    "kind",
)


@dataclass(frozen=True)
class QueueFilter:
    """What a queue shows. Every part optional; an empty filter is "all open cases"."""

    status: str = "open"
    states: tuple[str, ...] = ()
    service_ids: tuple[int, ...] = ()
    area_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    sla: str = ""
    assigned: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    priority: int | None = None
    text: str = ""

    def to_query(self) -> dict[str, Any]:
        """The filter as URL parameters (what parse_filter reads back)."""
        out: dict[str, Any] = {}
        if self.status != "open":
            out["status"] = self.status
        for key, values in (
            ("state", self.states),
            ("service", self.service_ids),
            ("area", self.area_ids),
            ("team", self.team_ids),
        ):
            if values:
                out[key] = [str(v) for v in values]
        for key, value in (("sla", self.sla), ("assigned", self.assigned), ("q", self.text)):
            if value:
                out[key] = value
        if self.created_from:
            out["from"] = self.created_from.isoformat()
        if self.created_to:
            out["to"] = self.created_to.isoformat()
        if self.priority:
            out["priority"] = str(self.priority)
        return out


def _ints(values: list[str]) -> tuple[int, ...]:
    return tuple(sorted({n for n in map(whole_number, values) if n is not None}))


def _date(value: str, name: str, problems: dict[str, str]) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems[name] = (
            f"Enter the date as YYYY-MM-DD, for example 2026-03-31 (not {value[:20]!r})"
        )
        return None


def parse_filter(params: Any) -> tuple[QueueFilter, dict[str, str]]:
    """A QueueFilter from query parameters (a QueryDict or a dict of lists); unknown values are
    reported by parameter name and otherwise ignored, so a bad link still shows a queue."""

    def many(name: str) -> list[str]:
        got = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
        return [str(v)[:60] for v in (got if isinstance(got, list) else [got])][:50]

    def one(name: str) -> str:
        values = many(name)
        return values[0].strip() if values else ""

    problems: dict[str, str] = {}
    status = one("status") or "open"
    if status not in STATUSES:
        problems["status"] = "Choose open, closed or all cases"
        status = "open"
    sla = one("sla")
    if sla and sla not in SLA_STATES:
        problems["sla"] = "Choose overdue, due soon or on track"
        sla = ""
    assigned = one("assigned")
    if assigned and assigned not in ASSIGNED:
        problems["assigned"] = "Choose assigned to me, unassigned or assigned to others"
        assigned = ""
    priority = one("priority")
    if priority and priority not in ("1", "2", "3", "4"):
        problems["priority"] = "Choose a priority from 1 (urgent) to 4 (low)"
        priority = ""
    created_from = _date(one("from"), "from", problems)
    created_to = _date(one("to"), "to", problems)
    if created_from and created_to and created_from > created_to:
        problems["to"] = "The end date must be on or after the start date"
    states = tuple(sorted({s for s in many("state") if re.fullmatch(r"[a-z][a-z0-9_]{0,49}", s)}))
    return QueueFilter(
        status=status,
        states=states,
        service_ids=_ints(many("service")),
        area_ids=_ints(many("area")),
        team_ids=_ints(many("team")),
        sla=sla,
        assigned=assigned,
        created_from=created_from,
        created_to=created_to,
        priority=int(priority) if priority else None,
        text=one("q")[:60],
    ), problems


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL)


def _open(flag: bool = True) -> Q:
    # `is_open IN (...)` rather than Django's bare `is_open` (what filter(is_open=True) becomes
    # on SQLite): only an equality or IN lets SQLite use is_open, the second column of the
    # queue indexes, to narrow the scan to one council's open cases.
    return Q(is_open__in=[flag])


def filter_q(f: QueueFilter, *, user_id: int | None, now: dt.datetime) -> Q:
    """The filter as a condition on cases (within one council)."""
    q = Q()
    if f.status == "open":
        q &= _open()
    elif f.status == "closed":
        q &= _open(False)
    if f.states:
        q &= Q(state__in=f.states)
    if f.service_ids:
        q &= Q(service_id__in=f.service_ids)
    if f.area_ids:
        q &= Q(area_id__in=f.area_ids)
    if f.team_ids:
        q &= Q(team_id__in=f.team_ids)
    if f.sla == "overdue":
        q &= _open() & Q(resolve_due_at__lte=now)
    elif f.sla == "not_overdue":
        # For API clients (closed cases are never overdue); the staff filters offer the parts.
        q &= ~(_open() & Q(resolve_due_at__lte=now))
    elif f.sla == "due_soon":
        q &= _open() & Q(resolve_due_at__gt=now, resolve_due_at__lte=now + DUE_SOON)
    elif f.sla == "on_track":
        q &= _open() & Q(resolve_due_at__gt=now + DUE_SOON)
    if f.assigned == "me":
        q &= Q(assignee_id=user_id)
    elif f.assigned == "unassigned":
        q &= Q(assignee__isnull=True)
    elif f.assigned == "others":
        q &= Q(assignee__isnull=False) & ~Q(assignee_id=user_id)
    if f.created_from:
        q &= Q(created_at__gte=_local_midnight(f.created_from))
    if f.created_to:
        q &= Q(created_at__lt=_local_midnight(f.created_to + dt.timedelta(days=1)))
    if f.priority:
        q &= Q(priority=f.priority)
    if f.text:
        text = f.text.strip()
        if _REFERENCE.match(text):
            q &= Q(reference=text.upper())
        else:
            q &= (
                Q(title__icontains=text)
                | Q(address__icontains=text)
                | Q(postcode__iexact=text.replace(" ", "").upper())
            )
    return q


def _require_staff(principal: Principal, council_id: int) -> None:
    if not policies.can_view_case(principal, council_id):
        raise PermissionDenied("You cannot see this council's cases")


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    title: str
    service_name: str
    state_name: str
    is_open: bool
    area_id: int | None
    team_id: int | None
    assignee_id: int | None
    priority: int
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None
    # The service's SLA calendar, which says what day `due_at` is expected by (sla.expected_by).
    sla_calendar: str
    sla: str
    address: str
    place_in_words: str
    support_count: int
    revision: int
    is_duplicate: bool
    # Codes, for clients of the API (people read the names above).
    service_code: str = ""
    state: str = ""


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


# Counting a big council's open cases takes a scan of them however they are indexed, so counts
# are kept, per process, until anything in the council changes: every change to a case appends
# an event, so the council's latest event id says whether a count may still be right. Counts
# that depend on the time (overdue, due soon) are kept for the minute at most.
_counts = StampedValues[dict[str, int]]()


def _council_stamp(council_id: int) -> int | None:
    return Event.objects.filter(council_id=council_id).aggregate(last=Max("id"))["last"]


def queue_counts(
    *, principal: Principal, council_id: int, filters: dict[str, QueueFilter], now: dt.datetime
) -> dict[str, int]:
    """How many cases each named filter matches: one query for all of them, and none while
    nothing in the council has changed since they were last counted (see _counts)."""
    _require_staff(principal, council_id)
    if not filters:
        return {}
    minute = now.replace(second=0, microsecond=0)
    # The time in the filters is the minute, so a count kept for the minute is exact for it.
    key = (council_id, principal.user_id, minute, tuple(filters.items()))
    return _counts.get(
        key,
        stamp=_council_stamp(council_id),
        compute=lambda: _count(principal, council_id, filters, minute),
    )


def _count(
    principal: Principal, council_id: int, filters: dict[str, QueueFilter], now: dt.datetime
) -> dict[str, int]:
    aggregates = {
        f"n{i}": Count("id", filter=filter_q(f, user_id=principal.user_id, now=now))
        for i, f in enumerate(filters.values())
    }
    # Open and closed views may be mixed; most are open-only, so when all are the scan is
    # limited to open cases (the index on council, is_open, created_at).
    base = Case.objects.filter(council_id=council_id)
    if all(f.status == "open" for f in filters.values()):
        base = base.filter(_open())
    result = base.aggregate(**aggregates)
    return {name: result[f"n{i}"] or 0 for i, name in enumerate(filters)}


def _queue_rows(raw: list[dict[str, Any]], now: dt.datetime) -> list[QueueRow]:
    """Rows of ROW_COLUMNS as QueueRows, with no query per row."""
    services = services_by_id(ids={r["service_id"] for r in raw})
    versions = versions_by_id(ids={r["service_version_id"] for r in raw})
    rows = []
    for r in raw:
        workflow = workflow_for_version(versions[r["service_version_id"]])
        state = workflow.states.get(r["state"])
        rows.append(
            QueueRow(
                id=r["id"],
                reference=r["reference"],
                title=r["title"],
                service_name=services[r["service_id"]].name,
                state_name=state.name if state else r["state"],
                is_open=r["is_open"],
                area_id=r["area_id"],
                team_id=r["team_id"],
                assignee_id=r["assignee_id"],
                priority=r["priority"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                due_at=r["resolve_due_at"],
                sla_calendar=versions[r["service_version_id"]]
                .document["sla"]
                .get("calendar", DEFAULT_CALENDAR),
                sla=sla_state(is_open=r["is_open"], due_at=r["resolve_due_at"], now=now),
                address=r["address"],
                place_in_words=r["place_in_words"],
                support_count=r["support_count"],
                revision=r["revision"],
                is_duplicate=r["duplicate_of_id"] is not None,
                service_code=services[r["service_id"]].code,
                state=r["state"],
            )
        )
    return rows


def queue_page(
    *,
    principal: Principal,
    council_id: int,
    queue: QueueFilter,
    sort: str,
    page: int,
    page_size: int,
    now: dt.datetime,
    total: int | None = None,
) -> QueuePage:
    """One page of the queue. Pass `total` when queue_counts already counted this filter."""
    _require_staff(principal, council_id)
    order = SORTS.get(sort, SORTS["newest"])
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[1]
    qs = Case.objects.filter(
        filter_q(queue, user_id=principal.user_id, now=now), council_id=council_id
    )
    if total is None:
        total = qs.count()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    offset = (page - 1) * page_size
    # Ids first, then their rows: skipping to a deep page then walks only the index, not the
    # rows it passes over.
    ids = list(qs.order_by(*order).values_list("id", flat=True)[offset : offset + page_size])
    by_id = {r["id"]: r for r in Case.objects.filter(id__in=ids).values(*ROW_COLUMNS)}
    raw = [by_id[i] for i in ids if i in by_id]
    rows = _queue_rows(raw, now)
    return QueuePage(rows=rows, total=total, page=page, page_size=page_size)


@dataclass(frozen=True)
class QueueSlice:
    """Cases after a cursor, in the order they last changed (oldest change first), for
    clients that page through everything (ADR 121). `next_after` is the cursor for the next
    slice, or None when this one reached the end."""

    rows: list[QueueRow]
    next_after: tuple[dt.datetime, int] | None


def queue_after(
    *,
    principal: Principal,
    council_id: int,
    queue: QueueFilter,
    now: dt.datetime,
    updated_after: dt.datetime | None = None,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
) -> QueueSlice:
    """The queue's cases ordered by (updated_at, id), after the cursor `after`: keyset
    paging, so a client walking a million cases never pays for an offset, and a case that
    changes while it walks moves to the end instead of shifting every page."""
    _require_staff(principal, council_id)
    qs = Case.objects.filter(
        filter_q(queue, user_id=principal.user_id, now=now), council_id=council_id
    )
    if updated_after is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    if after is not None:
        at, last_id = after
        qs = qs.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=last_id))
    raw = list(qs.order_by("updated_at", "id").values(*ROW_COLUMNS)[: limit + 1])
    more = len(raw) > limit
    raw = raw[:limit]
    rows = _queue_rows(raw, now)
    return QueueSlice(
        rows=rows, next_after=(raw[-1]["updated_at"], raw[-1]["id"]) if more else None
    )


@dataclass(frozen=True)
class QueueChoices:
    """What the filters offer in a council, and names for the ids rows carry."""

    services: list[tuple[int, str]]
    states: list[tuple[str, str]]
    # The statuses the person's role may move some case to (what a bulk change offers).
    reachable_states: list[tuple[str, str]]
    areas: dict[int, str]
    teams: dict[int, str]
    staff: dict[int, str]


def queue_choices(*, principal: Principal, council_id: int) -> QueueChoices:
    _require_staff(principal, council_id)
    services = list(
        ServiceTemplate.objects.filter(council_id=council_id)
        .order_by("name")
        .values_list("id", "name", "current_version_id")
    )
    states: dict[str, str] = {}
    reachable: dict[str, str] = {}
    roles = policies.effective_roles(principal, council_id)
    for version in versions_by_id(ids={v for _, _, v in services if v}).values():
        workflow = workflow_for_version(version)
        for code, state in workflow.states.items():
            states.setdefault(code, state.name)
        for transition in workflow.transitions:
            if transition.roles & roles:
                reachable.setdefault(transition.target, workflow.state(transition.target).name)
    staff = {
        uid: (name or email)
        for uid, name, email in Membership.objects.filter(council_id=council_id).values_list(
            "user_id", "user__full_name", "user__email"
        )
    }
    return QueueChoices(
        services=[(sid, name) for sid, name, _ in services],
        states=sorted(states.items(), key=lambda kv: kv[1]),
        reachable_states=sorted(reachable.items(), key=lambda kv: kv[1]),
        areas=dict(
            Area.objects.filter(council_id=council_id).order_by("name").values_list("id", "name")
        ),
        teams=dict(
            Team.objects.filter(council_id=council_id).order_by("name").values_list("id", "name")
        ),
        staff=dict(sorted(staff.items(), key=lambda kv: kv[1])),
    )


@dataclass(frozen=True)
class TeamWorkload:
    team_id: int | None
    open: int
    overdue: int
    due_soon: int


def team_workloads(
    *, principal: Principal, council_id: int, now: dt.datetime
) -> list[TeamWorkload]:
    """Open, overdue and due-soon cases per team (None: cases with no team), in one query."""
    _require_staff(principal, council_id)
    rows = (
        Case.objects.filter(_open(), council_id=council_id)
        .values("team_id")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(resolve_due_at__lte=now)),
            soon=Count("id", filter=Q(resolve_due_at__gt=now, resolve_due_at__lte=now + DUE_SOON)),
        )
        .order_by("team_id")
    )
    return [
        TeamWorkload(team_id=r["team_id"], open=r["n"], overdue=r["overdue"], due_soon=r["soon"])
        for r in rows
    ]


def queue_references(
    *, principal: Principal, council_id: int, queue: QueueFilter, now: dt.datetime, limit: int
) -> list[str]:
    """References of the cases a queue filter matches, oldest first, at most `limit`."""
    _require_staff(principal, council_id)
    return list(
        Case.objects.filter(
            filter_q(queue, user_id=principal.user_id, now=now), council_id=council_id
        )
        .order_by("created_at", "id")
        .values_list("reference", flat=True)[:limit]
    )
