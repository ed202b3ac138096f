"""The case page and its actions. Every action is a POST that calls one case service; a
refusal re-renders the page with the reason beside the form and what the person typed kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from townsquare.accounts import policies
from townsquare.cases import casework
from townsquare.cases.queues import queue_choices
from townsquare.cases.selectors import case_get_for_user, case_timeline, case_view_for
from townsquare.cases.services import (
    PRIORITIES,
    case_add_internal_note,
    case_assign,
    case_attach_upload,
    case_link,
    case_merge_duplicate,
    case_post_public_update,
    case_set_priority,
    case_transition,
)
from townsquare.cases.sla import DEFAULT_CALENDAR, expected_by, region_for_gss, sla_state
from townsquare.catalogue.fees import pounds
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core import clock
from townsquare.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from townsquare.core.numbers import whole_number
from townsquare.councils.selectors import team_of_council
from townsquare.messaging.selectors import deliveries_for_case
from townsquare.payments.selectors import METHOD_NAMES
from townsquare.staff.access import staff_render, staff_view
from townsquare.staff.maps import static_map
from townsquare.staff.payments import panel as payment_panel
from townsquare.triage.selectors import duplicate_suggestions, originals_for_staff
from townsquare.triage.services import suggestion_decide
from townsquare.ui.downloads import attachment_response, stored_extension

PRIORITY_NAMES = {1: "Urgent", 2: "High", 3: "Normal", 4: "Low"}


def _case_or_404(request: HttpRequest, reference: str):
    try:
        case = case_get_for_user(principal=request.staff.principal, reference=reference.upper())
    except NotFound:
        raise Http404("No such case") from None
    if case.council_id != request.staff.council.id:
        # A case of another of the person's councils: work on it in that council.
        request.session["staff.council_id"] = case.council_id
        request.staff = request.staff.__class__(
            principal=request.staff.principal,
            council=next(c for c in request.staff.councils if c.id == case.council_id),
            councils=request.staff.councils,
            user=request.staff.user,
        )
    return case


def _method(p: dict[str, Any]) -> str:
    return str(METHOD_NAMES.get(p.get("method", ""), p.get("method", "")))


def _attachment_title(p: dict[str, Any]) -> str:
    kind = "Photo" if str(p.get("content_type", "")).startswith("image/") else "Document"
    return f"{kind} attached ({'public' if p.get('is_public') else 'internal'})"


def _assigned_title(p: dict[str, Any], choices) -> str:
    who = choices.staff.get(p["assignee_id"], "no one") if p.get("assignee_id") else "no one"
    return f"Assigned to {who} ({choices.teams.get(p.get('team_id'), 'no team')})"


# How each kind of event reads on the timeline: (title, text) from its payload, the case's
# state names and the council's people and teams.
_TIMELINE_ENTRIES: dict[
    str, Callable[[dict[str, Any], Callable[[str], str], Any], tuple[str, str]]
] = {
    "case.created": lambda p, state, choices: ("Reported", ""),
    "case.transitioned": lambda p, state, choices: (
        f"Status changed from {state(p.get('from_state', ''))} to {state(p.get('to_state', ''))}",
        p.get("message", ""),
    ),
    "case.assigned": lambda p, state, choices: (_assigned_title(p, choices), ""),
    "case.public_update": lambda p, state, choices: ("Public update", p.get("message", "")),
    "case.citizen_update": lambda p, state, choices: (
        "Update from the public",
        p.get("message", ""),
    ),
    "case.internal_note": lambda p, state, choices: ("Internal note", p.get("note", "")),
    "case.merged_into": lambda p, state, choices: (
        f"Closed as a duplicate of {p.get('original_reference', '')}",
        "",
    ),
    "case.duplicate_merged": lambda p, state, choices: (
        f"{p.get('duplicate_reference', '')} merged into this case as a duplicate",
        "",
    ),
    "case.priority_set": lambda p, state, choices: (
        f"Priority changed to {PRIORITY_NAMES.get(p.get('priority'), '')}",
        "",
    ),
    "case.attachment_added": lambda p, state, choices: (_attachment_title(p), ""),
    "case.linked": lambda p, state, choices: (
        f"Linked to related case {p.get('other_reference', '')}",
        "",
    ),
    "case.supported": lambda p, state, choices: ("Supported by a member of the public", ""),
    "case.applicant_reply": lambda p, state, choices: (
        "Reply from the applicant"
        + (f" with documents: {', '.join(p['documents'])}" if p.get("documents") else ""),
        p.get("message", ""),
    ),
    "case.reporter_linked": lambda p, state, choices: (
        "The reporter signed in; the case is now in their account",
        "",
    ),
    "payment.started": lambda p, state, choices: (
        f"Payment of {pounds(p.get('amount', 0))} started ({_method(p)})",
        "",
    ),
    "payment.succeeded": lambda p, state, choices: (
        f"Paid {pounds(p.get('amount', 0))} ({_method(p)})",
        p.get("offline_reference", "") and f"Reference {p['offline_reference']}",
    ),
    "payment.not_completed": lambda p, state, choices: (
        f"Payment of {pounds(p.get('amount', 0))} not completed: {p.get('status', '')}",
        "",
    ),
    "payment.refund": lambda p, state, choices: (
        f"Refund of {pounds(p.get('refund_amount', 0))}: {p.get('status', '')}",
        p.get("reason", ""),
    ),
    "case.anonymised": lambda p, state, choices: (
        "Personal data removed (retention period ended)",
        "",
    ),
}


def _due_day(case, due_at: dt.datetime | None) -> dt.date | None:
    """The day a target falls on as the resident is told it (cases.sla.expected_by: a target
    at midnight is the end of the day before), for targets counted in working days; None for
    targets where every hour counts, whose exact time the page shows."""
    calendar = case.service_version.document["sla"].get("calendar", DEFAULT_CALENDAR)
    if due_at is None or calendar == "elapsed":
        return None
    return expected_by(due_at, calendar=calendar, region=region_for_gss(case.council.gss_code))


def _timeline(case, principal, choices) -> list[dict[str, Any]]:
    states = workflow_for_version(case.service_version).states

    def state_name(code: str) -> str:
        return states[code].name if code in states else code

    entries = []
    for event in case_timeline(case=case, principal=principal):
        entry = _TIMELINE_ENTRIES.get(event.kind)
        title, text = (
            entry(event.payload, state_name, choices)
            if entry
            else (event.kind.replace("case.", "").replace("_", " ").capitalize(), "")
        )
        entries.append(
            {
                "at": event.created_at,
                "title": title,
                "text": text,
                "public": event.visibility == "public",
                "actor": event.actor_label,
                "kind": event.kind,
            }
        )
    entries.reverse()  # newest first
    return entries


# Where an error about a whole form (or a field with no control of its own) points.
_FORM_FIRST_CONTROL = {
    "transition": "transition-to_state",
    "update": "update-message",
    "note": "note-note",
    "assign": "assign-team",
    "priority": "priority-priority",
    "attach": "attach-file",
    "link": "link-related",
    "merge": "merge-original",
    "refund": "refund-amount",
    "payment": "payment-reference",
}
_CONTROLS = {
    "transition-to_state",
    "transition-message",
    "update-message",
    "note-note",
    "assign-team",
    "assign-assignee",
    "priority-priority",
    "attach-file",
    "link-related",
    "merge-original",
    "refund-amount",
    "refund-reason",
    "payment-method",
    "payment-reference",
}


def _error_anchor(key: str) -> str:
    form, _, field = key.partition("_")
    anchor = f"{form}-{field}"
    return anchor if anchor in _CONTROLS else _FORM_FIRST_CONTROL.get(form, "main-content")


def _choices_shown(case, posted: dict[str, Any]) -> dict[str, str]:
    """What the drop-downs show: what this person chose if their change came back (refused,
    or a conflict), else the case as it stands."""
    form = posted.get("form")

    def chosen(name: str, own_form: str, current: object) -> str:
        if form == own_form and name in posted:
            return posted[name]
        return "" if current is None else str(current)

    return {
        "team": chosen("team", "assign", case.team_id),
        "assignee": chosen("assignee", "assign", case.assignee_id),
        "priority": chosen("priority", "priority", case.priority),
    }


def _error_context(errors: dict[str, str]) -> dict[str, Any]:
    return {
        "errors": errors,
        "transition_error": next(
            (
                errors[k]
                for k in ("transition_to_state", "transition_state", "transition_main")
                if k in errors
            ),
            "",
        ),
        "merge_error": errors.get("merge_original") or errors.get("merge_main"),
        "suggestion_main_error": errors.get("suggestion_original") or errors.get("suggestion_main"),
        "error_links": [(_error_anchor(key), message) for key, message in errors.items()],
    }


def _page(
    request: HttpRequest,
    case,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    """The case page. The template reads the case only through `case_view_for`, which
    withholds what this person may not see (ADR 24); the model is used here for the forms."""
    principal, posted = request.staff.principal, posted or {}
    view = case_view_for(case=case, principal=principal)
    workflow = workflow_for_version(case.service_version)
    choices = queue_choices(principal=principal, council_id=case.council_id)
    can_merge = policies.can_merge_cases(principal, case.council_id)
    templates = [
        {"code": code, "name": s.name, "text": s.message}
        for code, s in workflow.states.items()
        if s.message
    ]
    chosen_template = request.GET.get("template", "")
    now = clock.now()
    context = {
        "case": view,
        "sla": sla_state(is_open=case.is_open, due_at=case.resolve_due_at, now=now),
        "response_sla": sla_state(
            is_open=case.is_open and case.responded_at is None, due_at=case.response_due_at, now=now
        ),
        "close_by_day": _due_day(case, case.resolve_due_at),
        "response_by_day": _due_day(case, case.response_due_at),
        "priority_name": PRIORITY_NAMES.get(case.priority, str(case.priority)),
        "assignee_name": choices.staff.get(case.assignee_id, ""),
        "timeline": _timeline(case, principal, choices),
        "related": casework.related_cases(case=case),
        "duplicates": casework.duplicates_of(case=case),
        "suggested_duplicates": duplicate_suggestions(principal=principal, case=case)
        if case.is_open
        else [],
        "originals": originals_for_staff(
            principal=principal, case_id=case.id, council_id=case.council_id
        ),
        "map": static_map(
            lat=case.lat,
            lng=case.lng,
            boundary=case.area.boundary if case.area_id else None,
            others=[],
        ),
        # The forms.
        "choices": choices,
        "selected": _choices_shown(case, posted),
        "priorities": [(p, PRIORITY_NAMES[p]) for p in PRIORITIES],
        "transitions": workflow.transitions_from(
            case.state, policies.effective_roles(principal, case.council_id)
        ),
        "can_merge": can_merge and case.is_open,
        "candidates": casework.duplicate_candidates(case=case) if can_merge else [],
        "templates": templates,
        "update_text": posted.get("message")
        or next((t["text"] for t in templates if t["code"] == chosen_template), ""),
        "posted": posted,
        "conflict": conflict,
        **_error_context(errors or {}),
        "live_fragment": f"{reverse('staff:case', args=[case.reference])}?fragment=timeline",
        "payment": payment_panel(case, principal),
    }
    if request.GET.get("fragment") == "timeline":
        return render(request, "staff/case_timeline.html", context)
    # Recipients come masked; staff see whether the reporter and followers were told.
    context["deliveries"] = deliveries_for_case(case.id)
    return staff_render(request, "staff/case.html", context, status=status)


@require_safe
@staff_view(policies.can_view_case)
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, _case_or_404(request, reference))


def _revision(request: HttpRequest) -> int | None:
    return whole_number(request.POST.get("revision", ""))


def _handle(request: HttpRequest, reference: str, form: str, action, success: str) -> HttpResponse:
    """Run `action(case)`; on success go back to the case with `success` as a notice."""
    case = _case_or_404(request, reference)
    posted = {k: v[:4000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        result = action(case)
    except Conflict as exc:
        fresh = _case_or_404(request, reference)
        return _page(
            request, fresh, posted={**posted, "form": form}, conflict=exc.message, status=409
        )
    except InvalidInput as exc:
        errors = {
            f"{form}_{field if field != '__all__' else 'main'}": msgs[0]
            for field, msgs in exc.errors.items()
        }
        return _page(request, case, errors=errors, posted={**posted, "form": form}, status=400)
    except PermissionDenied as exc:
        return _page(
            request,
            case,
            errors={f"{form}_main": exc.message},
            posted={**posted, "form": form},
            status=403,
        )
    messages.success(request, success if isinstance(success, str) else success(result))
    target = result.reference if hasattr(result, "reference") else case.reference
    return redirect("staff:case", reference=target)


@require_POST
@staff_view(policies.can_handle_case)
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    to_state = request.POST.get("to_state", "")[:50]

    def act(case):
        if not to_state:
            raise InvalidInput({"to_state": ["Choose what to do with the case"]})
        return case_transition(
            case=case,
            to_state=to_state,
            actor=request.staff.principal,
            message=request.POST.get("message", ""),
            expected_revision=_revision(request),
        )

    return _handle(
        request,
        reference,
        "transition",
        act,
        lambda c: (
            f"{c.reference} is now {workflow_for_version(c.service_version).state(c.state).name}"
        ),
    )


@require_POST
@staff_view(policies.can_assign_case)
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        team_value = request.POST.get("team", "")
        team = None
        if team_value:
            team = team_of_council(council_id=case.council_id, team_id=whole_number(team_value))
            if team is None:
                raise InvalidInput({"team": ["Choose one of the council's teams"]})
        person = request.POST.get("assignee", "")
        if person == "me":
            assignee_id = request.staff.principal.user_id
        elif whole_number(person) is not None:
            assignee_id = whole_number(person)
        elif person:
            raise InvalidInput({"assignee": ["Choose a person from the list"]})
        else:
            assignee_id = None
        return case_assign(
            case=case,
            actor=request.staff.principal,
            team=team,
            assignee_id=assignee_id,
            expected_revision=_revision(request),
        )

    return _handle(request, reference, "assign", act, "Assignment saved")


@require_POST
@staff_view(policies.can_handle_case)
def priority(request: HttpRequest, reference: str) -> HttpResponse:
    value = request.POST.get("priority", "")

    def act(case):
        return case_set_priority(
            case=case,
            actor=request.staff.principal,
            priority=whole_number(value, largest=9) or 0,
            expected_revision=_revision(request),
        )

    return _handle(request, reference, "priority", act, "Priority saved")


@require_POST
@staff_view(policies.can_handle_case)
def public_update(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        return case_post_public_update(
            case=case,
            actor=request.staff.principal,
            message=request.POST.get("message", ""),
            expected_revision=_revision(request),
        )

    return _handle(request, reference, "update", act, "Public update posted")


@require_POST
@staff_view(policies.can_handle_case)
def note(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        return case_add_internal_note(
            case=case, actor=request.staff.principal, note=request.POST.get("note", "")
        )

    return _handle(request, reference, "note", act, "Internal note added")


@require_POST
@staff_view(policies.can_handle_case)
def attach(request: HttpRequest, reference: str) -> HttpResponse:
    upload = request.FILES.get("file")

    def act(case):
        case_attach_upload(
            case=case,
            actor=request.staff.principal,
            upload=upload,
            is_public=request.POST.get("public") == "yes",
        )
        return case

    return _handle(request, reference, "attach", act, "File attached")


@require_POST
@staff_view(policies.can_merge_cases)
def merge(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        wanted = request.POST.get("original", "").strip()
        if not wanted:
            raise InvalidInput({"original": ["Choose or enter the case this one duplicates"]})
        try:
            original = casework.case_by_reference_in_council(
                principal=request.staff.principal, reference=wanted, council_id=case.council_id
            )
        except NotFound as exc:
            raise InvalidInput({"original": [exc.message]}) from exc
        return case_merge_duplicate(
            duplicate=case, original=original, actor=request.staff.principal
        )

    return _handle(
        request,
        reference,
        "merge",
        act,
        lambda c: f"{c.reference} was closed as a duplicate of {c.duplicate_of.reference}",
    )


@require_POST
@staff_view(policies.can_handle_case)
def link(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        wanted = request.POST.get("related", "").strip()
        if not wanted:
            raise InvalidInput({"related": ["Enter the reference of the related case"]})
        try:
            other = casework.case_by_reference_in_council(
                principal=request.staff.principal, reference=wanted, council_id=case.council_id
            )
        except NotFound as exc:
            raise InvalidInput({"related": [exc.message]}) from exc
        case_link(case=case, other=other, actor=request.staff.principal)
        return case

    return _handle(request, reference, "link", act, "Related case linked")


@require_safe
@staff_view(policies.can_view_case)
def attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    try:
        item = casework.case_attachment(
            principal=request.staff.principal,
            reference=reference.upper(),
            attachment_id=attachment_id,
        )
        return attachment_response(item, filename=f"{reference}-{item.id}.{stored_extension(item)}")
    except (NotFound, DomainError):
        raise Http404("No such file") from None


@require_POST
@staff_view(policies.can_handle_case)
def duplicate_suggestion(request: HttpRequest, reference: str) -> HttpResponse:
    """Staff accept a suggested duplicate (the case is merged into it) or say it is not one
    (it is not suggested again); either way the decision is counted (triage acceptance)."""
    accepted = request.POST.get("decision") == "accept"

    def act(case):
        wanted = request.POST.get("original", "").strip()[:30]
        try:
            original = casework.case_by_reference_in_council(
                principal=request.staff.principal, reference=wanted, council_id=case.council_id
            )
        except NotFound as exc:
            raise InvalidInput({"original": [exc.message]}) from exc
        if accepted:
            case = case_merge_duplicate(
                duplicate=case, original=original, actor=request.staff.principal
            )
        suggestion_decide(
            case=case,
            kind="duplicate",
            suggested=original.reference,
            accepted=accepted,
            actor=request.staff.principal,
        )
        return case

    return _handle(
        request,
        reference,
        "suggestion",
        act,
        "Closed as a duplicate of the suggested case"
        if accepted
        else "Noted: not a duplicate of the suggested case",
    )
