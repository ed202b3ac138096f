"""Bulk actions on cases chosen in the queue (or every case a filter matches, up to 1,000)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from townsquare.accounts import policies
from townsquare.cases.bulk_actions import MAX_BULK, Selected, cases_bulk_apply, parse_selection
from townsquare.cases.queues import parse_filter, queue_references
from townsquare.cases.services import KEEP, Keep
from townsquare.core import clock
from townsquare.core.errors import InvalidInput
from townsquare.core.numbers import whole_number
from townsquare.councils.models import Team
from townsquare.councils.selectors import team_of_council
from townsquare.staff.access import safe_next, staff_render, staff_view

RESULT = "staff.bulk_result"


@require_POST
@staff_view(policies.can_handle_case)
def bulk(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    back = safe_next(request, request.POST.get("back"))
    if request.POST.get("scope") == "all":
        queue, _ = parse_filter(QueryDict(request.POST.get("query", "")[:4000]))
        selection = [
            Selected(ref)
            for ref in queue_references(
                principal=staff.principal,
                council_id=staff.council.id,
                queue=queue,
                now=clock.now(),
                limit=MAX_BULK,
            )
        ]
    else:
        selection = parse_selection(request.POST.getlist("case"))
    action = request.POST.get("action", "")
    team: Team | Keep | None = KEEP
    assignee_id: int | Keep | None = KEEP
    if action == "assign":
        team_value = request.POST.get("team", "")
        if team_value == "none":
            team = None
        elif team_value:
            team = team_of_council(council_id=staff.council.id, team_id=whole_number(team_value))
            if team is None:
                return _refused(request, back, "Choose one of the council's teams")
        person = request.POST.get("assignee", "")
        if person == "none":
            assignee_id = None
        elif person == "me":
            assignee_id = staff.principal.user_id
        elif whole_number(person) is not None:
            assignee_id = whole_number(person)
        elif person:
            return _refused(request, back, "Choose a person from the list")
    priority = request.POST.get("priority", "")
    try:
        outcomes = cases_bulk_apply(
            selection=selection,
            actor=staff.principal,
            council_id=staff.council.id,
            action=action,
            to_state=request.POST.get("to_state", "")[:50],
            message=request.POST.get("update_message" if action == "update" else "message", "")[
                :4000
            ],
            team=team,
            assignee_id=assignee_id,
            priority=whole_number(priority, largest=9),
        )
    except InvalidInput as exc:
        return _refused(request, back, exc.message)
    request.session[RESULT] = {
        "back": back,
        "action": action,
        "done": [o.reference for o in outcomes if o.done],
        "refused": [(o.reference, o.reason) for o in outcomes if not o.done],
    }
    return redirect("staff:bulk_result")


def _refused(request: HttpRequest, back: str, message: str) -> HttpResponse:
    """The result page saying why nothing was done (a malformed request, not a refused case)."""
    request.session[RESULT] = {"error": message, "back": back}
    return redirect("staff:bulk_result")


@require_safe
@staff_view(policies.can_handle_case)
def bulk_result(request: HttpRequest) -> HttpResponse:
    result = request.session.get(RESULT)
    if not result:
        return redirect("staff:queue")
    return staff_render(request, "staff/bulk_result.html", {"result": result})
