"""The audit page: the council's event log filtered by person, case and date, and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.accounts.staffing import staff_of_council
from townsquare.cases.audit import AuditFilter, audit_page, audit_rows
from townsquare.cases.queues import queue_choices
from townsquare.cases.sla import LOCAL
from townsquare.core.numbers import whole_number
from townsquare.staff.access import staff_render, staff_view

PAGE = 50
# Spreadsheets run cells starting with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A CSV cell that spreadsheet programs show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _filter(request: HttpRequest) -> tuple[AuditFilter, dict[str, str]]:
    problems: dict[str, str] = {}
    person = request.GET.get("person", "")
    dates = {}
    for name in ("from", "to"):
        raw = request.GET.get(name, "").strip()
        if raw:
            try:
                dates[name] = dt.date.fromisoformat(raw)
            except ValueError:
                problems[f"audit-{name}"] = "Enter the date as YYYY-MM-DD, for example 2026-03-31"
    start = (
        dt.datetime.combine(dates["from"], dt.time(0), tzinfo=LOCAL) if "from" in dates else None
    )
    end = (
        dt.datetime.combine(dates["to"] + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)
        if "to" in dates
        else None
    )
    return AuditFilter(
        user_id=whole_number(person),
        reference=request.GET.get("case", "").strip()[:20],
        start=start,
        end=end,
        kind=request.GET.get("kind", "").strip()[:40],
    ), problems


# Ids in event payloads that people read better as names: the key, then what to call it.
_NAMED_IDS = {
    "user_id": ("person", "people"),
    "assignee_id": ("assigned to", "people"),
    "team_id": ("team", "teams"),
    "previous_team_id": ("team before", "teams"),
}


def _names(principal: Principal, council_id: int) -> dict[str, dict[int, str]]:
    choices = queue_choices(principal=principal, council_id=council_id)
    return {"people": choices.staff, "teams": choices.teams}


def _describe(event, names: dict[str, dict[int, str]]) -> str:
    """The payload as "key: value; …", with the council's people and teams by name (and id:
    a person removed since is still told apart)."""
    payload = event.payload or {}
    bits = []
    for key, value in payload.items():
        if key in ("case_id", "reference") or value in ("", None, [], {}):
            continue
        if key in _NAMED_IDS and isinstance(value, int):
            label, kind = _NAMED_IDS[key]
            name = names[kind].get(value)
            bits.append(f"{label}: {name} (#{value})" if name else f"{key}: {value}")
        else:
            bits.append(f"{key}: {value}")
    return "; ".join(bits)[:300]


@require_safe
@staff_view(policies.can_administer_council)
def audit(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    audit_filter, problems = _filter(request)
    before = request.GET.get("before", "")
    events, references = audit_page(
        principal=staff.principal,
        council_id=staff.council.id,
        audit=audit_filter,
        before_id=whole_number(before),
        limit=PAGE + 1,
    )
    more = len(events) > PAGE
    events = events[:PAGE]
    query = request.GET.copy()
    query.pop("before", None)
    next_query = query.copy()
    if more:
        next_query["before"] = str(events[-1].id)
    names = _names(staff.principal, staff.council.id)
    rows = [
        {
            "event": e,
            "reference": references.get(e.stream_id, "") if e.stream == "case" else "",
            "details": _describe(e, names),
        }
        for e in events
    ]
    return staff_render(
        request,
        "staff/audit.html",
        {
            "rows": rows,
            "problems": problems,
            "members": staff_of_council(actor=staff.principal, council_id=staff.council.id),
            "params": request.GET,
            "person": request.GET.get("person", ""),
            "next_url": f"?{next_query.urlencode()}" if more else "",
            "first_url": f"?{query.urlencode()}" if before else "",
            "export_url": f"export.csv?{query.urlencode()}",
        },
        status=400 if problems else 200,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_safe
@staff_view(policies.can_administer_council)
def export(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    audit_filter, problems = _filter(request)
    if problems:
        return HttpResponse(
            "; ".join(problems.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    writer = csv.writer(_Echo())
    names = _names(staff.principal, staff.council.id)

    def lines():
        yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
        yield writer.writerow(
            ["id", "time", "who", "kind of actor", "event", "case", "visibility", "details"]
        )
        for event, reference in audit_rows(
            principal=staff.principal, council_id=staff.council.id, audit=audit_filter
        ):
            yield writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        event.id,
                        event.created_at.astimezone(LOCAL).isoformat(timespec="seconds"),
                        event.actor_label,
                        event.actor_kind,
                        event.kind,
                        reference,
                        event.visibility,
                        _describe(event, names),
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{staff.council.slug}-{dt.date.today().isoformat()}.csv"'
    )
    return response
