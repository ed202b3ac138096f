"""The case page and its actions. Every action is a POST that calls one case service; a
refusal re-renders the page with the reason beside the form and what the person typed kept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts import policies
from townsquare.cases import casework
from townsquare.cases.limits import MAX_DOCUMENT_BYTES, MAX_PHOTO_BYTES
from townsquare.cases.queues import queue_choices
from townsquare.cases.selectors import case_get_for_user, case_timeline
from townsquare.cases.services import (
    PRIORITIES,
    case_add_internal_note,
    case_assign,
    case_attach_file,
    case_link,
    case_merge_duplicate,
    case_post_public_update,
    case_set_priority,
    case_transition,
)
from townsquare.cases.sla import sla_state
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core import clock
from townsquare.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from townsquare.core.numbers import whole_number
from townsquare.councils.models import Team
from townsquare.messaging.selectors import deliveries_for_case
from townsquare.staff.access import sees_reporter_contact, staff_render, staff_view
from townsquare.staff.maps import static_map

PRIORITY_NAMES = {1: "Urgent", 2: "High", 3: "Normal", 4: "Low"}
# Refused before it is read: larger than any file case_attach_file accepts (cases.limits).
MAX_UPLOAD = max(MAX_PHOTO_BYTES, MAX_DOCUMENT_BYTES)


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
            councils=request.staff.councils, user=request.staff.user)
    return case


def _timeline(case, principal, choices) -> list[dict[str, Any]]:
    workflow = workflow_for_version(case.service_version)

    def state_name(code: str) -> str:
        return workflow.states[code].name if code in workflow.states else code

    entries = []
    for event in case_timeline(case=case, principal=principal):
        p = event.payload
        text, title = "", ""
        kind = event.kind
        if kind == "case.created":
            title = "Reported"
        elif kind == "case.transitioned":
            title = f"Status changed from {state_name(p.get('from_state', ''))} to " \
                    f"{state_name(p.get('to_state', ''))}"
            text = p.get("message", "")
        elif kind == "case.assigned":
            who = choices.staff.get(p.get("assignee_id"), "no one") if p.get("assignee_id") \
                else "no one"
            team = choices.teams.get(p.get("team_id"), "no team")
            title = f"Assigned to {who} ({team})"
        elif kind == "case.public_update":
            title = "Public update"
            text = p.get("message", "")
        elif kind == "case.citizen_update":
            title = "Update from the public"
            text = p.get("message", "")
        elif kind == "case.internal_note":
            title = "Internal note"
            text = p.get("note", "")
        elif kind == "case.merged_into":
            title = f"Closed as a duplicate of {p.get('original_reference', '')}"
        elif kind == "case.duplicate_merged":
            title = f"{p.get('duplicate_reference', '')} merged into this case as a duplicate"
        elif kind == "case.priority_set":
            title = f"Priority changed to {PRIORITY_NAMES.get(p.get('priority'), '')}"
        elif kind == "case.attachment_added":
            title = "Photo attached" if str(p.get("content_type", "")).startswith("image/") \
                else "Document attached"
            title += " (public)" if p.get("is_public") else " (internal)"
        elif kind == "case.linked":
            title = f"Linked to related case {p.get('other_reference', '')}"
        elif kind == "case.supported":
            title = "Supported by a member of the public"
        elif kind == "case.reporter_linked":
            title = "The reporter signed in; the case is now in their account"
        elif kind == "case.anonymised":
            title = "Personal data removed (retention period ended)"
        else:
            title = kind.replace("case.", "").replace("_", " ").capitalize()
        entries.append({"at": event.created_at, "title": title, "text": text,
                        "public": event.visibility == "public", "actor": event.actor_label,
                        "kind": kind})
    entries.reverse()  # newest first
    return entries


# Where an error about a whole form (or a field with no control of its own) points.
_FORM_FIRST_CONTROL = {
    "transition": "transition-to_state", "update": "update-message", "note": "note-note",
    "assign": "assign-team", "priority": "priority-priority", "attach": "attach-file",
    "link": "link-related", "merge": "merge-original",
}
_CONTROLS = {"transition-to_state", "transition-message", "update-message", "note-note",
             "assign-team", "assign-assignee", "priority-priority", "attach-file",
             "link-related", "merge-original"}


def _error_anchor(key: str) -> str:
    form, _, field = key.partition("_")
    anchor = f"{form}-{field}"
    return anchor if anchor in _CONTROLS else _FORM_FIRST_CONTROL.get(form, "main-content")


HIDDEN_FROM_ROLE = "Shown to the team or person the case is assigned to, and to supervisors"


def _page(request: HttpRequest, case, *, errors: dict[str, str] | None = None,
          posted: dict[str, Any] | None = None, conflict: str = "", status: int = 200
          ) -> HttpResponse:
    staff = request.staff
    principal = staff.principal
    workflow = workflow_for_version(case.service_version)
    document = case.service_version.document
    roles = policies.effective_roles(principal, case.council_id)
    choices = queue_choices(principal=principal, council_id=case.council_id)
    now = clock.now()
    can_see_contact = sees_reporter_contact(principal, case)
    fields = []
    for f in sorted(document.get("fields", []), key=lambda f: f.get("order", 0)):
        if f["code"] not in case.values:
            continue
        value = case.values[f["code"]]
        names = {v["key"]: v["name"] for v in f.get("values", [])}
        if isinstance(value, list):
            shown = ", ".join(names.get(v, str(v)) for v in value)
        else:
            shown = names.get(value, str(value))
        private = f.get("private", False)
        if private and not can_see_contact:
            shown = HIDDEN_FROM_ROLE
        fields.append({"label": f["label"], "value": shown, "private": private})
    candidates = casework.duplicate_candidates(case=case) if \
        policies.can_merge_cases(principal, case.council_id) else []
    templates = [{"code": code, "name": s.name, "text": s.message}
                 for code, s in workflow.states.items() if s.message]
    chosen_template = request.GET.get("template", "")
    update_text = (posted or {}).get("message") or next(
        (t["text"] for t in templates if t["code"] == chosen_template), "")
    attachments = casework.case_attachments(case=case)
    # What the drop-downs show: what this person chose if their change came back (refused, or
    # a conflict), else the case as it stands.
    form = (posted or {}).get("form")
    selected = {
        "team": posted["team"] if form == "assign" and "team" in posted
        else str(case.team_id or ""),
        "assignee": posted["assignee"] if form == "assign" and "assignee" in posted
        else str(case.assignee_id or ""),
        "priority": posted["priority"] if form == "priority" and "priority" in posted
        else str(case.priority),
    }
    context = {
        "selected": selected,
        "case": case,
        "state": workflow.states.get(case.state),
        "sla": sla_state(is_open=case.is_open, due_at=case.resolve_due_at, now=now),
        "response_sla": sla_state(is_open=case.is_open and case.responded_at is None,
                                  due_at=case.response_due_at, now=now),
        "priority_name": PRIORITY_NAMES.get(case.priority, str(case.priority)),
        "priorities": [(p, PRIORITY_NAMES[p]) for p in PRIORITIES],
        "fields": fields,
        "transitions": workflow.transitions_from(case.state, roles),
        "can_merge": policies.can_merge_cases(principal, case.council_id) and case.is_open,
        "can_see_reporter": policies.can_see_reporter(principal, case.council_id),
        "can_see_contact": can_see_contact,
        "choices": choices,
        "assignee_name": choices.staff.get(case.assignee_id, ""),
        "timeline": _timeline(case, principal, choices),
        "photos": [a for a in attachments if a.content_type.startswith("image/") or a.url],
        # An application's documents are the applicant's personal data (ADR 24).
        "documents": [a for a in attachments if a.content_type == "application/pdf"
                      and (case.is_public or can_see_contact)],
        "documents_hidden": not case.is_public and not can_see_contact and any(
            a.content_type == "application/pdf" for a in attachments),
        "related": casework.related_cases(case=case),
        "duplicates": casework.duplicates_of(case=case),
        "candidates": candidates,
        "map": static_map(lat=case.lat, lng=case.lng,
                          boundary=case.area.boundary if case.area_id else None,
                          others=[]),
        "templates": templates,
        "update_text": update_text,
        "errors": errors or {},
        "transition_error": next((errors[k] for k in ("transition_to_state", "transition_state",
                                                      "transition_main") if k in (errors or {})),
                                 ""),
        "merge_error": (errors or {}).get("merge_original") or (errors or {}).get("merge_main"),
        "error_links": [(_error_anchor(key), message) for key, message in (errors or {}).items()],
        "posted": posted or {},
        "conflict": conflict,
        "live_fragment": f"{reverse('staff:case', args=[case.reference])}?fragment=timeline",
    }
    if request.GET.get("fragment") == "timeline":
        return render(request, "staff/case_timeline.html", context)
    # Recipients come masked; staff see whether the reporter and followers were told.
    context["deliveries"] = deliveries_for_case(case.id)
    return staff_render(request, "staff/case.html", context, status=status)


@require_GET
@staff_view(policies.can_view_case)
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, _case_or_404(request, reference))


def _revision(request: HttpRequest) -> int | None:
    return whole_number(request.POST.get("revision", ""))


def _handle(request: HttpRequest, reference: str, form: str, action, success: str
            ) -> HttpResponse:
    """Run `action(case)`; on success go back to the case with `success` as a notice."""
    case = _case_or_404(request, reference)
    posted = {k: v[:4000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        result = action(case)
    except Conflict as exc:
        fresh = _case_or_404(request, reference)
        return _page(request, fresh, posted={**posted, "form": form}, conflict=exc.message,
                     status=409)
    except InvalidInput as exc:
        errors = {f"{form}_{field if field != '__all__' else 'main'}": msgs[0]
                  for field, msgs in exc.errors.items()}
        return _page(request, case, errors=errors, posted={**posted, "form": form},
                     status=400)
    except PermissionDenied as exc:
        return _page(request, case, errors={f"{form}_main": exc.message},
                     posted={**posted, "form": form}, status=403)
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
        return case_transition(case=case, to_state=to_state, actor=request.staff.principal,
                               message=request.POST.get("message", ""),
                               expected_revision=_revision(request))

    return _handle(request, reference, "transition", act,
                   lambda c: f"{c.reference} is now {workflow_for_version(c.service_version).state(c.state).name}")  # noqa: E501


@require_POST
@staff_view(policies.can_assign_case)
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        team_value = request.POST.get("team", "")
        team = None
        if team_value:
            team = Team.objects.filter(id=whole_number(team_value) or 0,
                                       council_id=case.council_id).first()
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
        return case_assign(case=case, actor=request.staff.principal, team=team,
                           assignee_id=assignee_id, expected_revision=_revision(request))

    return _handle(request, reference, "assign", act, "Assignment saved")


@require_POST
@staff_view(policies.can_handle_case)
def priority(request: HttpRequest, reference: str) -> HttpResponse:
    value = request.POST.get("priority", "")

    def act(case):
        return case_set_priority(case=case, actor=request.staff.principal,
                                 priority=whole_number(value, largest=9) or 0,
                                 expected_revision=_revision(request))

    return _handle(request, reference, "priority", act, "Priority saved")


@require_POST
@staff_view(policies.can_handle_case)
def public_update(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        return case_post_public_update(case=case, actor=request.staff.principal,
                                       message=request.POST.get("message", ""),
                                       expected_revision=_revision(request))

    return _handle(request, reference, "update", act, "Public update posted")


@require_POST
@staff_view(policies.can_handle_case)
def note(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        return case_add_internal_note(case=case, actor=request.staff.principal,
                                      note=request.POST.get("note", ""))

    return _handle(request, reference, "note", act, "Internal note added")


@require_POST
@staff_view(policies.can_handle_case)
def attach(request: HttpRequest, reference: str) -> HttpResponse:
    upload = request.FILES.get("file")

    def act(case):
        if upload is None:
            raise InvalidInput({"file": ["Choose a file to attach"]})
        if upload.size > MAX_UPLOAD:
            raise InvalidInput({"file": [f"The file is larger than "
                                         f"{MAX_UPLOAD // (1024 * 1024)} MB"]})
        case_attach_file(case=case, actor=request.staff.principal, data=upload.read(),
                         name=upload.name, is_public=request.POST.get("public") == "yes")
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
                principal=request.staff.principal, reference=wanted,
                council_id=case.council_id)
        except NotFound as exc:
            raise InvalidInput({"original": [exc.message]}) from exc
        return case_merge_duplicate(duplicate=case, original=original,
                                    actor=request.staff.principal)

    return _handle(request, reference, "merge", act,
                   lambda c: f"{c.reference} was closed as a duplicate of "
                             f"{c.duplicate_of.reference}")


@require_POST
@staff_view(policies.can_handle_case)
def link(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case):
        wanted = request.POST.get("related", "").strip()
        if not wanted:
            raise InvalidInput({"related": ["Enter the reference of the related case"]})
        try:
            other = casework.case_by_reference_in_council(
                principal=request.staff.principal, reference=wanted,
                council_id=case.council_id)
        except NotFound as exc:
            raise InvalidInput({"related": [exc.message]}) from exc
        case_link(case=case, other=other, actor=request.staff.principal)
        return case

    return _handle(request, reference, "link", act, "Related case linked")


@require_GET
@staff_view(policies.can_view_case)
def attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    try:
        item = casework.case_attachment(principal=request.staff.principal,
                                        reference=reference.upper(),
                                        attachment_id=attachment_id)
    except (NotFound, DomainError):
        raise Http404("No such file") from None
    case = item.case
    if not item.content_type.startswith("image/") and not case.is_public and \
            not sees_reporter_contact(request.staff.principal, case):
        raise Http404("No such file")
    response = FileResponse(item.file.open("rb"), content_type=item.content_type or
                            "application/octet-stream")
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{reference}-{item.id}.' \
                                      f'{item.file.name.rsplit(".", 1)[-1]}"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
