"""Track a request: where a report or application stands, and everything public that happened.

Public reports can be tracked by anyone with the reference. Applications are private: only the
person who made them sees them (signed in, in the browser that sent them, or by the link emailed
to them), and only they see their answers, documents, stages and moves (portal.applicant, ADR
100). The timeline, the status summary and an application's stages are also served alone
(`?fragment=timeline`, `?fragment=summary`, `?fragment=stages`) for the live updates script
(ui/static/ui/live.js), which fetches them again on each event of the case's stream (ADR 40).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from townsquare.cases.selectors import (
    APPLICANT_TIMELINE_KINDS,
    PUBLIC_TIMELINE_KINDS,
    citizen_case_by_reference,
    public_timelines,
)
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.councils.selectors import (
    gazetteer_about,
    place_in_words,
    place_in_words_translated,
)
from townsquare.portal import applicant, drafts, following, static_map
from townsquare.portal.error_messages import NOT_SENT, input_text
from townsquare.portal.expected import expected_by_context
from townsquare.portal.payment import payment_panel
from townsquare.portal.signin import email_clean

log = logging.getLogger(__name__)

_REFERENCE = re.compile(r"[A-Za-z]{2,5}-\d{2}-\d{1,9}")


@dataclass(frozen=True)
class Note:
    at: datetime
    summary: str
    message: str
    documents: tuple[str, ...] = ()


@require_safe
def find(request: HttpRequest) -> HttpResponse:
    if "reference" not in request.GET:  # the page itself, before anything was sent
        return render(request, "track/find.html", {"reference": ""})
    reference = request.GET["reference"].strip().upper()[:40]
    if not reference:
        problem = Problem("Enter a reference", code="required")
    elif not _REFERENCE.fullmatch(reference):
        problem = Problem("Enter a reference like BRS-26-000123", code="invalid_reference")
    else:
        return redirect("portal:track_case", reference=reference)
    error = input_text("reference", problem)
    return render(request, "track/find.html", {"reference": reference, "error": error}, status=400)


@lru_cache(maxsize=1)
def _live_js() -> str:
    """The live updates script's URL, once the insights app ships it; until then, nothing."""
    return static("ui/live.js") if finders.find("ui/live.js") else ""


def _listing(request: HttpRequest, reference: str):
    return citizen_case_by_reference(
        reference=reference.upper()[:40],
        user_id=request.user.pk if request.user.is_authenticated else None,
        references=drafts.submitted_references(request),
    )


def not_found(request: HttpRequest, reference: str) -> HttpResponse:
    return render(
        request,
        "track/find.html",
        {
            "reference": reference[:40],
            "error": _(
                "We cannot find a request with that reference. Check it and try again. "
                "Applications can only be seen by the person who made them: sign in "
                "first."
            ),
            "sign_in": True,
        },
        status=404,
    )


@require_safe
def photo(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """A photo on a track page: only a public photo, of a case this visitor may follow (any
    public case, or their own), so a hidden photo or a private case's photo is never served."""
    try:
        listing = _listing(request, reference)
    except NotFound:
        raise Http404(_("No such photo")) from None
    row = listing.rows[0]
    found = [a for a in listing.media.get(row["id"], []) if a.id == attachment_id and a.file]
    if not found:
        raise Http404(_("No such photo"))
    try:
        handle = found[0].file.open("rb")
    except OSError:
        raise Http404(_("No such photo")) from None
    response = FileResponse(handle, content_type=found[0].content_type)
    # Short-lived: staff may hide a photo, and shared caches must then stop serving it soon.
    # Another person's own (private) case is never put in a shared cache.
    visibility = "private" if row.get("is_mine") else "public"
    response["Cache-Control"] = f"{visibility}, max-age=600"
    return response


@require_safe
def case(request: HttpRequest, reference: str) -> HttpResponse:
    key = request.GET.get("key", "")
    if key:
        # The link emailed to the applicant: remember the proof in this browser, then show
        # the page at its plain address (the key stays out of history and Referer headers).
        applicant.accept_link_key(request, reference.upper()[:40], key)
        response = redirect("portal:track_case", reference=reference.upper()[:40])
        response.status_code = 303
        return response
    try:
        listing = _listing(request, reference)
    except NotFound:
        return not_found(request, reference)
    row = listing.rows[0]
    version = listing.versions[row["service_version_id"]]
    workflow = workflow_for_version(version, language=get_language())
    english = workflow_for_version(version)
    is_application = version.document["kind"] == "application"
    own_case = None
    if is_application and row.get("is_mine"):
        try:
            own_case = applicant.applicant_case(request, row["reference"])
        except NotFound:
            own_case = None  # retention removed who made it: the public columns only
    council = listing.councils[row["council_id"]]
    summary = {
        "reference": row["reference"],
        "service_name": listing.services[row["service_id"]].display_name,
        "council_name": council.name,
        "status_name": workflow.state(row["state"]).name,
        "is_open": row["is_open"],
        "is_application": is_application,
        "status_notes": _standard_message_translated(
            row["status_notes"], row["state"], workflow, english
        ),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        **expected_by_context(
            row["resolve_due_at"],
            is_open=row["is_open"],
            sla=version.document["sla"],
            gss_code=council.gss_code,
        ),
        **_where(row, is_application),
        "location_approximate": row["location_approximate"],
        "description": row["description"],
        "support_count": row["support_count"],
        "duplicate_of": listing.duplicates_of.get(row["duplicate_of_id"]),
    }
    # What live.js fetches again on each change: only what that fragment shows is worked out.
    fragment = request.GET.get("fragment")
    if fragment == "summary":
        return render(request, "track/summary.html", {"case": summary})
    kinds = APPLICANT_TIMELINE_KINDS if own_case is not None else PUBLIC_TIMELINE_KINDS
    events = public_timelines(case_ids=[row["id"]], kinds=kinds)[row["id"]]
    timeline = [_note(event, workflow, english, is_application) for event in reversed(events)]
    if fragment == "timeline":
        return render(request, "track/timeline.html", {"timeline": timeline})
    mine: dict[str, Any] = {}
    if own_case is not None:
        mine = applicant.applicant_context(own_case, visited=_visited(events, workflow))
        if fragment == "stages":
            return render(request, "track/stages.html", {"case": summary, **mine})
    context = {
        "page_council": council,
        "case": summary,
        "photos": listing.media.get(row["id"], []),
        "map": None
        if is_application
        else static_map.case_map(council_id=row["council_id"], lat=row["lat"], lng=row["lng"]),
        "timeline": timeline,
        # An application's stream is its applicant's alone (ADR 100).
        "live": not is_application or own_case is not None,
        "live_js": _live_js(),
        "mine": mine,
        # The fee, for the applicant only (a payment is their business, ADR 161).
        "payment": payment_panel(own_case) if own_case is not None else None,
        "moved": _moved_to(workflow, request.GET.get("moved", "")) if mine else "",
        "replied": bool(mine) and request.GET.get("replied") == "yes",
        "can_follow": following.available() and not is_application,
        "is_following": request.user.is_authenticated
        and following.available()
        and row["id"] in following.followed_ids(user=request.user),
        "followed": request.GET.get("followed", "")[:10],
    }
    return render(request, "track/case.html", context)


def _where(row: dict, is_application: bool) -> dict:
    """Where a report is, in words: the nearest street or postcode from the council's gazetteer
    (kept when it was made; worked out now for reports made before, or imported), then the
    reporter's own description. Bare coordinates only when there is nothing else."""
    words = row.get("place_in_words", "")
    if (
        not words
        and not is_application
        and row["lat"] is not None
        and not row["location_approximate"]
    ):
        words = place_in_words(council_id=row["council_id"], lat=row["lat"], lng=row["lng"])
    address = row["address"]
    # Stored in English (ADR 58); the postcode form has words of its own to translate.
    shown = place_in_words_translated(words)
    # A street chosen from the search, with the reporter's words after it, holds both already.
    merged = bool(words) and address.startswith(words)
    place = address if merged else (shown or address)
    coordinates = (
        f"{row['lat']:.5f}, {row['lng']:.5f}" if row["lat"] is not None and not place else ""
    )
    return {
        "place": place or coordinates,
        "place_detail": "" if merged or not words else address,
        "place_in_words": shown,
        "place_attribution": gazetteer_about(council_id=row["council_id"]).attribution
        if words
        else "",
    }


def _visited(events, workflow) -> list[str]:
    """The states the case has been in, in order (from its public timeline)."""
    visited = [workflow.initial]
    for event in events:
        if event.kind == "case.transitioned":
            visited.append(event.payload.get("to_state", ""))
    return visited


def _moved_to(workflow, code: str) -> str:
    """The state named in the address after a move, for the success banner (or "")."""
    code = code[:40]
    return workflow.states[code].name if code in workflow.states else ""


def _standard_message_translated(message: str, state: str, workflow, english) -> str:
    """A state's standard message as stored (staff send it in the template's own language) in
    the page's language where the template translates it (ADR 63); other words as written."""
    standard = english.states.get(state)
    if message and standard is not None and message.strip() == standard.message.strip():
        return workflow.states[state].message or message
    return message


def _note(event, workflow, english, is_application: bool) -> Note:
    payload = event.payload
    if event.kind == "case.created":
        summary = _("Application received") if is_application else _("Reported")
    elif event.kind in ("case.transitioned", "case.merged_into"):
        target = payload.get("to_state", "")
        name = workflow.states[target].name if target in workflow.states else target
        summary = _("Status changed to %(status)s") % {"status": name}
    elif event.kind == "case.citizen_update":
        summary = _("Update from the public")
    elif event.kind == "case.applicant_reply":
        summary = _("Your reply")
        return Note(
            at=event.created_at,
            summary=summary,
            message=payload.get("message", ""),
            documents=tuple(payload.get("documents", ())),
        )
    else:
        summary = _("Update from the council")
    message = payload.get("message", "")
    if event.kind == "case.transitioned":
        message = _standard_message_translated(
            message, payload.get("to_state", ""), workflow, english
        )
    return Note(at=event.created_at, summary=summary, message=message)


@csrf_protect
@require_POST
def follow(request: HttpRequest, reference: str) -> HttpResponse:
    """Follow (or stop following) a public report: by account when signed in, else by an
    email address (messaging confirms it before sending anything)."""
    if not following.available():
        raise Http404(_("Following requests is not available here yet"))
    from townsquare.cases.selectors import public_case_get_for_update

    try:
        case = public_case_get_for_update(reference=reference.upper()[:40])
    except NotFound:
        return not_found(request, reference)
    stop = request.POST.get("action") == "unfollow"
    user = request.user if request.user.is_authenticated else None
    email = None
    if user is None:
        try:
            email = email_clean(request.POST.get("email", "")[:300])
        except InvalidInput as exc:
            return _follow_error(request, reference, exc.errors["email"][0])
    if stop:
        following.unfollow(case=case, user=user, email=email)
        outcome = "stopped"
    else:
        try:
            outcome = "yes" if following.follow(case=case, user=user, email=email) else "confirm"
        except InvalidInput:
            return _follow_error(
                request,
                reference,
                _("Enter an email address in the correct format, like name@example.com"),
            )
        except PermissionDenied:
            return not_found(request, reference)
        except following.NotQueued:
            log.exception("Could not queue a follow confirmation for %s", case.reference)
            return _follow_error(request, reference, str(NOT_SENT), status=503)
    target = reverse("portal:track_case", kwargs={"reference": case.reference})
    response = redirect(f"{target}?followed={outcome}")
    response.status_code = 303
    return response


def _follow_error(
    request: HttpRequest, reference: str, message: str, *, status: int = 400
) -> HttpResponse:
    return render(
        request,
        "track/follow_error.html",
        {
            "reference": reference.upper()[:40],
            "error": message,
            "email": request.POST.get("email", "")[:300],
        },
        status=status,
    )
