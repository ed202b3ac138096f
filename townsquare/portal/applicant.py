"""What the applicant does on their application's track page (ADR 100): see their answers and
documents and where the application stands, take the moves the workflow gives them (each behind
a confirmation page), and reply to a request for more information with text and documents.

Who the applicant is: the account the case belongs to, or a browser holding its reference
(the one that sent it, or one that opened the track link emailed to the applicant, whose key is
turned into that proof here). The case services check it again (cases.policies); these views
only parse, call one service and render.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.applicant_links import case_id_for_applicant_link_key
from townsquare.cases.casework import applicant_attachment
from townsquare.cases.limits import MAX_DOCUMENT_BYTES, MAX_DOCUMENTS
from townsquare.cases.selectors import applicant_case_get, applicant_view_for
from townsquare.cases.services import (
    Document,
    case_applicant_reply,
    case_applicant_transition,
)
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.catalogue.workflow import Workflow
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.numbers import whole_number
from townsquare.messaging.services import MessageNotQueued, officer_tell_of_applicant_reply
from townsquare.portal import drafts
from townsquare.portal.error_messages import input_text, input_texts
from townsquare.portal.uploads import display_name, document_check
from townsquare.ui.downloads import attachment_response, stored_extension

if TYPE_CHECKING:
    from townsquare.cases.models import Case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str
    status: str  # "done", "current", "to_come" or "finished" (the outcome reached)
    hint: str = ""


@dataclass(frozen=True)
class Move:
    to_state: str
    label: str
    question: str
    confirm: str
    warning: bool


def _principal(request: HttpRequest) -> Principal:
    user = request.user
    return principal_for_user(user) if user.is_authenticated else Principal.anonymous()


def _holds(request: HttpRequest, reference: str) -> bool:
    return reference in drafts.submitted_references(request)


def applicant_case(request: HttpRequest, reference: str) -> Case:
    """The application if this visitor is its applicant; NotFound otherwise."""
    return applicant_case_get(
        reference=reference,
        principal=_principal(request),
        holds_reference=_holds(request, reference),
    )


def accept_link_key(request: HttpRequest, reference: str, key: str) -> bool:
    """The track link emailed to the applicant carries a key naming the case: holding it
    makes this browser one that may follow and act on the application, as the one that sent
    it may (its session remembers the reference). True when the key is this case's."""
    case_id = case_id_for_applicant_link_key(key)
    if case_id is None:
        return False
    try:
        case = applicant_case_get(
            reference=reference, principal=_principal(request), holds_reference=True
        )
    except NotFound:
        return False
    if case.id != case_id:
        return False
    drafts.remember_submitted(request, case.reference)
    return True


# The stage indicator.


def _names(workflow: Workflow, codes: list[str]) -> str:
    names = [workflow.state(code).name for code in codes]
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def stages(workflow: Workflow, *, state: str, visited: list[str]) -> list[Stage]:
    """The workflow's public states as steps: done, current, to come, or finished (the
    outcome reached: where the application is, and done).

    A state that waits for the applicant ("more information needed") is a detour, shown only
    while the application is in it, just after the state it came from. Closed states are
    alternatives: one step, "Decision", names them until one is reached. Once the application
    is closed, only the steps it went through are shown before its outcome."""
    public = [s for s in workflow.states.values() if s.public or s.code == state]
    waiting = {s.code for s in public if workflow.reply_transition(s.code) is not None}
    steps = [
        s.code for s in public if not s.is_closed and (s.code not in waiting or s.code == state)
    ]
    if state in waiting:
        came_from = next(
            (code for code in reversed(visited) if code in steps and code != state), None
        )
        if came_from is not None:
            steps.remove(state)
            steps.insert(steps.index(came_from) + 1, state)
    closed = [s.code for s in public if s.is_closed]
    current = workflow.states.get(state)
    if current is not None and current.is_closed:
        steps = [code for code in steps if code in visited] + [state]
        decision = None
    else:
        decision = Stage(name=_("Decision"), status="to_come", hint=_names(workflow, closed))
    position = steps.index(state) if state in steps else -1
    # An outcome reached ends the journey: it is where the application is, but not a stage
    # still going on, so it reads "Done" rather than "Current stage".
    finished = current is not None and current.is_closed
    result = [
        Stage(
            name=workflow.state(code).name,
            status="done"
            if i < position
            else ("to_come" if i > position else ("finished" if finished else "current")),
        )
        for i, code in enumerate(steps)
    ]
    return result + ([decision] if decision else [])


def moves(workflow: Workflow, *, state: str) -> list[Move]:
    """The workflow's `citizen` moves from `state`, but the reply (taken by the reply form)."""
    reply = workflow.reply_transition(state)
    found = []
    for transition in workflow.citizen_transitions(state):
        if reply is not None and transition.target == reply.target:
            continue
        target = workflow.state(transition.target)
        if target.fms == "cancelled":
            found.append(
                Move(
                    to_state=target.code,
                    label=_("Withdraw your application"),
                    question=_("Are you sure you want to withdraw your application?"),
                    confirm=_("Yes, withdraw my application"),
                    warning=True,
                )
            )
        else:
            found.append(
                Move(
                    to_state=target.code,
                    label=_("Move your application to “%(state)s”") % {"state": target.name},
                    question=_("Are you sure you want to move your application to “%(state)s”?")
                    % {"state": target.name},
                    confirm=_("Yes, continue"),
                    warning=target.is_closed,
                )
            )
    return found


def applicant_context(case: Case, *, visited: list[str]) -> dict:
    """What the track page shows the applicant beyond the public columns."""
    workflow = workflow_for_version(case.service_version, language=get_language())
    view = applicant_view_for(case=case, language=get_language())
    papers = sorted(
        [*view.documents, *(a for a in view.photos if not a.is_public and not a.url)],
        key=lambda a: a.id,
    )
    return {
        "view": view,
        "documents": papers,
        "stages": stages(workflow, state=case.state, visited=visited),
        "moves": moves(workflow, state=case.state) if case.is_open else [],
        "awaits_reply": workflow.reply_transition(case.state) is not None,
    }


@require_safe
def document(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """One of the files the applicant sent with their application or a reply, for them alone
    (signed in, or in the browser that holds the emailed link): 404 for anyone else."""
    try:
        case = applicant_case(request, reference.upper()[:40])
        item = applicant_attachment(case=case, attachment_id=attachment_id)
        name = item.original_name or f"{case.reference}-{item.id}.{stored_extension(item)}"
        return attachment_response(item, filename=name.replace('"', ""))
    except NotFound:
        raise Http404(_("No such file")) from None


# Moves, each behind a confirmation page.


def _back_to_case(reference: str, **query: str) -> HttpResponse:
    target = reverse("portal:track_case", kwargs={"reference": reference})
    if query:
        target += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = redirect(target)
    response.status_code = 303
    return response


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def move(request: HttpRequest, reference: str, to_state: str) -> HttpResponse:
    reference = reference.upper()[:40]
    try:
        case = applicant_case(request, reference)
    except NotFound:
        return _missing(request, reference)
    workflow = workflow_for_version(case.service_version, language=get_language())
    chosen = next((m for m in moves(workflow, state=case.state) if m.to_state == to_state), None)
    error = ""
    status = 200
    if chosen is None:
        error = _state_error(workflow, case.state)
        status = 400
    elif request.method == "POST":
        try:
            case_applicant_transition(
                case=case,
                actor=_principal(request),
                holds_reference=_holds(request, reference),
                to_state=to_state,
                expected_revision=whole_number(request.POST.get("revision", "")),
            )
        except Conflict:
            error = _stale()
            status = 409
            case = applicant_case(request, reference)
        except (InvalidInput, PermissionDenied):
            error = _state_error(workflow, case.state)
            status = 400
        else:
            return _back_to_case(reference, moved=to_state[:40])
    return render(
        request,
        "track/move.html",
        {
            "reference": reference,
            "service_name": case.service.display_name,
            "move": chosen,
            "revision": case.revision,
            "error": error,
        },
        status=status,
    )


def _state_error(workflow: Workflow, state: str) -> str:
    name = workflow.state(state).name if state in workflow.states else state
    return input_text(
        "state", Problem("not allowed", code="illegal_transition", params={"state": name})
    )


def _stale() -> str:
    return _(
        "Your application changed while you were looking at it. Check where it stands now, "
        "then try again."
    )


def _missing(request: HttpRequest, reference: str) -> HttpResponse:
    from townsquare.portal.track import not_found

    return not_found(request, reference)


# Replying to a request for more information.


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    reference = reference.upper()[:40]
    try:
        case = applicant_case(request, reference)
    except NotFound:
        return _missing(request, reference)
    workflow = workflow_for_version(case.service_version, language=get_language())
    errors: dict[str, str] = {}
    message = ""
    status = 200
    if workflow.reply_transition(case.state) is None:
        errors["message"] = input_text("message", Problem("not waiting", code="not_waiting"))
        status = 400
    elif request.method == "POST":
        message = request.POST.get("message", "")[:20_000]
        documents = _documents(request, errors)
        if not errors:
            try:
                with transaction.atomic():
                    case = case_applicant_reply(
                        case=case,
                        actor=_principal(request),
                        holds_reference=_holds(request, reference),
                        message=message,
                        documents=documents,
                        expected_revision=whole_number(request.POST.get("revision", "")),
                    )
                    _tell_officer(case, len(documents))
            except Conflict:
                errors["message"] = _stale()
                case = applicant_case(request, reference)
            except InvalidInput as exc:
                errors.update(input_texts(exc))
            except PermissionDenied:
                return _missing(request, reference)
            else:
                return _back_to_case(reference, replied="yes")
        status = 400 if errors else 200
    return render(
        request,
        "track/reply.html",
        {
            "reference": reference,
            "service_name": case.service.display_name,
            "asked": case.status_notes,
            "message": message,
            "revision": case.revision,
            "errors": errors,
            "max_documents": MAX_DOCUMENTS,
            "document_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
            "waiting": workflow.reply_transition(case.state) is not None,
        },
        status=status,
    )


def _documents(request: HttpRequest, errors: dict[str, str]) -> list[Document]:
    """The uploaded files, each through the same check as the application's own documents."""
    uploads = [u for u in request.FILES.getlist("documents") if u.name or u.size]
    if len(uploads) > MAX_DOCUMENTS:
        errors["documents"] = input_text(
            "documents",
            Problem("too many", code="too_many", params={"max": MAX_DOCUMENTS}),
        )
        return []
    documents = []
    for upload in uploads:
        try:
            document = document_check(upload)
        except InvalidInput as exc:
            errors["documents"] = f"{display_name(upload.name or '')}: {exc.errors['document'][0]}"
            return []
        documents.append(dataclasses.replace(document, name=display_name(upload.name or "")))
    return documents


def _tell_officer(case: Case, documents: int) -> None:
    # A savepoint of its own: the reply stands even if the outbox refuses the message (the
    # officer still sees the case move in their queue).
    try:
        officer_tell_of_applicant_reply(case=case, documents=documents)
    except MessageNotQueued:
        log.warning("Could not tell the officer of %s about the applicant's reply", case.reference)
