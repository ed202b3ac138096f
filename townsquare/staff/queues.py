"""The work queue: filters, views with counts, sorting, paging, saved views."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from townsquare.cases.queues import (
    PAGE_SIZES,
    SORTS,
    QueueFilter,
    parse_filter,
    queue_choices,
    queue_counts,
    queue_page,
    team_workloads,
)
from townsquare.cases.sla import expected_by, region_for_gss
from townsquare.core import clock
from townsquare.core.dates import date_in_words
from townsquare.councils.selectors import place_for_people
from townsquare.staff.access import staff_render, staff_view
from townsquare.staff.saved_views import saved_view_delete, saved_view_save, saved_views_of

SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "due": "Due soonest",
    "updated": "Recently updated",
    "priority": "Highest priority",
}
PRIORITIES = ((1, "1: Urgent"), (2, "2: High"), (3, "3: Normal"), (4, "4: Low"))


def _filter_selects(query: dict[str, Any], choices) -> list[dict[str, Any]]:
    """The queue's drop-down filters: each one's options, and which of them are chosen."""

    def select(key: str, label: str, empty: str, options, default: str = "") -> dict[str, Any]:
        raw = query.get(key, default)
        chosen = {str(v) for v in (raw if isinstance(raw, list) else [raw])}
        return {
            "key": key,
            "label": label,
            "empty": empty,
            "options": [(str(value), text, str(value) in chosen) for value, text in options],
        }

    return [
        select(
            "status",
            "Open or closed",
            "",
            [("open", "Open"), ("closed", "Closed"), ("all", "All")],
            default="open",
        ),
        select("state", "Status", "Any status", choices.states),
        select("service", "Service", "Any service", choices.services),
        select("area", "Ward", "Any ward", choices.areas.items()),
        select("team", "Team", "Any team", choices.teams.items()),
        select(
            "sla",
            "Due",
            "Any time",
            [("overdue", "Overdue"), ("due_soon", "Due within 24 hours"), ("on_track", "On track")],
        ),
        select(
            "assigned",
            "Assigned",
            "Anyone or no one",
            [
                ("me", "Assigned to me"),
                ("unassigned", "Unassigned"),
                ("others", "Assigned to others"),
            ],
        ),
        select("priority", "Priority", "Any priority", PRIORITIES),
    ]


def _builtin_views(request: HttpRequest) -> list[tuple[str, QueueFilter]]:
    staff = request.staff
    views = [
        ("All open", QueueFilter()),
        ("Assigned to me", QueueFilter(assigned="me")),
        ("Unassigned", QueueFilter(assigned="unassigned")),
        ("Overdue", QueueFilter(sla="overdue")),
        ("Due soon", QueueFilter(sla="due_soon")),
    ]
    team_id = staff.principal.teams.get(staff.council.id)
    if team_id:
        views.insert(1, ("My team", QueueFilter(team_ids=(team_id,))))
    return views


def _url(query: dict, **extra) -> str:
    merged = {**query, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return (
        f"{reverse('staff:queue')}?{urlencode(merged, doseq=True)}"
        if merged
        else reverse("staff:queue")
    )


@require_safe
@staff_view()
def queue(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    now = clock.now()
    current, problems = parse_filter(request.GET)
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in SORTS else "newest"
    try:
        page_size = int(request.GET.get("per_page", "50"))
    except ValueError:
        page_size = 50
    page_size = page_size if page_size in PAGE_SIZES else 50
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1

    saved = saved_views_of(user_id=staff.user.pk, council_id=staff.council.id)
    named: dict[str, QueueFilter] = {}
    views = []
    for label, view_filter in _builtin_views(request):
        key = f"builtin:{label}"
        named[key] = view_filter
        views.append({"key": key, "label": label, "filter": view_filter, "saved": None})
    for view in saved:
        view_filter, _ = parse_filter(QueryDict(urlencode(view.query, doseq=True)))
        key = f"saved:{view.id}"
        named[key] = view_filter
        views.append(
            {
                "key": key,
                "label": view.name,
                "filter": view_filter,
                "saved": view,
                "sort": view.query.get("sort", ""),
            }
        )
    named["current"] = current
    counts = queue_counts(
        principal=staff.principal, council_id=staff.council.id, filters=named, now=now
    )
    result = queue_page(
        principal=staff.principal,
        council_id=staff.council.id,
        queue=current,
        sort=sort,
        page=page_number,
        page_size=page_size,
        now=now,
        total=counts["current"],
    )
    choices = queue_choices(principal=staff.principal, council_id=staff.council.id)
    query = current.to_query()
    for view in views:
        view["count"] = counts[view["key"]]
        view_query = view["filter"].to_query()
        view["url"] = _url(view_query, sort=view.get("sort"))
        view["current"] = view_query == query and (view.get("sort") or "newest") == sort
    base = {
        **query,
        "sort": sort if sort != "newest" else "",
        "per_page": page_size if page_size != 50 else "",
    }
    base = {k: v for k, v in base.items() if v not in ("", None)}
    rows = _rows(result.rows, choices, region=region_for_gss(staff.council.gss_code))
    context = {
        "filter": current,
        "problems": problems,
        "views": views,
        "result": result,
        "rows": rows,
        "choices": choices,
        "filter_selects": _filter_selects(query, choices),
        "sorts": SORT_LABELS,
        "sort_label": SORT_LABELS[sort],
        "priorities": PRIORITIES,
        "filter_pairs": [
            (k, v)
            for k, values in query.items()
            for v in (values if isinstance(values, list) else [values])
        ],
        "sort": sort,
        "page_sizes": PAGE_SIZES,
        "page_size": page_size,
        "pages": _pagination(result.page, result.pages, base),
        "prev_url": _url(base, page=result.page - 1) if result.page > 1 else "",
        "next_url": _url(base, page=result.page + 1) if result.page < result.pages else "",
        "query_string": urlencode({**base, "page": result.page}, doseq=True),
        "save_query": urlencode({**query, "sort": sort}, doseq=True),
        "now": now,
        "live_fragment": f"{reverse('staff:queue')}?{urlencode({**base, 'page': result.page, 'fragment': 'rows'}, doseq=True)}",  # noqa: E501
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "staff/queue_rows.html", context)
    return staff_render(request, "staff/queue.html", context)


def _pagination(page: int, pages: int, base: dict) -> list[dict]:
    """GOV.UK pagination items: first, last, current and its neighbours, with ellipses."""
    items, last = [], 0
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            if last and number - last > 1:
                items.append({"ellipsis": True})
            items.append(
                {"number": number, "url": _url(base, page=number), "current": number == page}
            )
            last = number
    return items


@require_POST
@staff_view()
def save_view(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    name = request.POST.get("name", "").strip()[:60]
    params = QueryDict(request.POST.get("query", "")[:2000])
    view_filter, _ = parse_filter(params)
    query = view_filter.to_query()
    sort = params.get("sort", "")
    if sort in SORTS and sort != "newest":
        query["sort"] = sort
    back = _url(query)
    if not name:
        return redirect(f"{back}{'&' if '?' in back else '?'}save_error=name")
    refused = saved_view_save(
        user_id=staff.user.pk, council_id=staff.council.id, name=name, query=query
    )
    if refused:
        return redirect(f"{back}{'&' if '?' in back else '?'}save_error={refused}")
    return redirect(back)


@require_POST
@staff_view()
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    if not saved_view_delete(
        user_id=request.staff.user.pk, council_id=request.staff.council.id, view_id=view_id
    ):
        raise Http404("No such saved view")
    return redirect("staff:queue")


@require_safe
@staff_view()
def workload(request: HttpRequest) -> HttpResponse:
    """Open, overdue and due-soon cases per team, each linking to that team's queue."""
    staff = request.staff
    now = clock.now()
    choices = queue_choices(principal=staff.principal, council_id=staff.council.id)
    rows = []
    for w in team_workloads(principal=staff.principal, council_id=staff.council.id, now=now):
        team = (w.team_id,) if w.team_id else ()
        rows.append(
            {
                "name": choices.teams.get(w.team_id, "No team") if w.team_id else "No team",
                "open": w.open,
                "overdue": w.overdue,
                "due_soon": w.due_soon,
                "url": _url(QueueFilter(team_ids=team).to_query()) if team else "",
                "overdue_url": _url(QueueFilter(team_ids=team, sla="overdue").to_query())
                if team
                else "",
            }
        )
    totals = {k: sum(r[k] for r in rows) for k in ("open", "overdue", "due_soon")}
    return staff_render(request, "staff/workload.html", {"rows": rows, "totals": totals})


def _rows(rows, choices, *, region: str) -> list[dict[str, Any]]:
    """Each row's cells ready to print: a page of 200 rows renders in a few milliseconds
    when the template only prints strings (filters and tags per cell cost far more)."""
    case_url = reverse("staff:case", args=["REF"]).rsplit("REF", 1)[0]
    out = []
    for row in rows:
        # The day it is expected by, as residents are told it (cases.sla.expected_by).
        due_day = (
            expected_by(row.due_at, calendar=row.sla_calendar, region=region)
            if row.due_at
            else None
        )
        out.append(
            {
                "reference": row.reference,
                "url": case_url + row.reference,
                "value": f"{row.reference}@{row.revision}",
                "service": row.service_name,
                "priority": {1: "Urgent", 2: "High priority"}.get(row.priority, ""),
                # The gazetteer's words first (ADR 58), then the reporter's.
                "place": (
                    place_for_people(words=row.place_in_words, address=row.address)[:80]
                    or (row.title[:60] if row.title != row.service_name else "")
                ),
                "state": row.state_name,
                "is_open": row.is_open,
                "area": choices.areas.get(row.area_id, "") or "—",
                "team": choices.teams.get(row.team_id, ""),
                "assignee": choices.staff.get(row.assignee_id, "") or "Unassigned",
                "sla": row.sla,
                "due_iso": due_day.isoformat() if due_day else "",
                "due_text": date_in_words(due_day) if due_day else "",
            }
        )
    return out
