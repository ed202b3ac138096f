"""Consultations in the staff web: draft one and its questions, open and close it, analyse the
responses (themes, counts by theme and ward, considered marks), record what changed with the
service template version it led to, and publish the outcome. Every write is a service call,
so every action is in the event log (the audit trail)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.catalogue.selectors import services_of_council
from townsquare.consultations import policies
from townsquare.consultations.models import Consultation, QuestionKind
from townsquare.consultations.selectors import (
    analysis_get,
    answer_for_staff,
    consultation_for_staff,
    consultations_of_council,
    outcome_changes,
    questions_of,
    response_for_staff,
    responses_page,
    service_versions_of_council,
    themes_of,
)
from townsquare.consultations.services import (
    answer_text_publish,
    consultation_create,
    consultation_move,
    outcome_change_add,
    outcome_publish,
    question_add,
    response_consider,
    response_tag,
    theme_add,
)
from townsquare.core.errors import DomainError, InvalidInput, NotFound
from townsquare.staff.access import staff_render, staff_view

NOTICE = "staff.consultations.notice"
NEXT_ACTION = {
    "draft": ("open", "Open for answers"),
    "open": ("closed", "Close"),
    "closed": ("analysis", "Start the analysis"),
}


def _errors(exc: DomainError) -> dict[str, list[str]]:
    if isinstance(exc, InvalidInput):
        return {k if k != "__all__" else "main": v for k, v in exc.errors.items()}
    return {"main": [exc.message]}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _get(request: HttpRequest, consultation_id: int) -> Consultation:
    return consultation_for_staff(
        principal=request.staff.principal,
        council=request.staff.council,
        consultation_id=consultation_id,
    )


def _notice(request: HttpRequest, text: str) -> None:
    request.session[NOTICE] = text


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_view_consultations)
def index(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        opens_on, closes_on = (
            _date(request.POST.get("opens_on", "")),
            _date(request.POST.get("closes_on", "")),
        )
        service_id = request.POST.get("service", "")
        service = next(
            (
                s
                for s in services_of_council(council_id=staff.council.id)
                if str(s.pk) == service_id
            ),
            None,
        )
        if opens_on is None:
            errors["opens_on"] = ["Enter the day it opens, like 2026-12-01"]
        if closes_on is None:
            errors["closes_on"] = ["Enter the day it closes, like 2027-01-31"]
        if not errors:
            try:
                created = consultation_create(
                    council=staff.council,
                    title=request.POST.get("title", ""),
                    title_cy=request.POST.get("title_cy", ""),
                    summary=request.POST.get("summary", ""),
                    summary_cy=request.POST.get("summary_cy", ""),
                    opens_on=opens_on,
                    closes_on=closes_on,
                    email_confirmation=request.POST.get("email_confirmation") == "yes",
                    service=service,
                    actor=staff.principal,
                )
            except DomainError as exc:
                errors = _errors(exc)
            else:
                _notice(request, "Draft saved: add its questions, then open it.")
                return redirect("staff:consultation", created.pk)
    return staff_render(
        request,
        "staff/consultations/index.html",
        {
            "consultations": consultations_of_council(
                principal=staff.principal, council=staff.council
            ),
            "services": services_of_council(council_id=staff.council.id),
            "can_run": staff.allows(policies.can_run_consultations),
            "errors": errors,
            "posted": request.POST if errors else {},
        },
        status=400 if errors else 200,
    )


def _page(request: HttpRequest, found: Consultation, extra: dict[str, Any], status: int = 200):
    staff = request.staff
    return staff_render(
        request,
        "staff/consultations/consultation.html",
        {
            "consultation": found,
            "questions": questions_of(consultation=found),
            "kinds": QuestionKind.choices,
            "next_action": NEXT_ACTION.get(found.state),
            "can_run": staff.allows(policies.can_run_consultations),
            "analysis": analysis_get(consultation=found),
            "changes": outcome_changes(consultation=found),
            "versions": service_versions_of_council(council=staff.council)
            if found.state == "analysis"
            else [],
            "notice": request.session.pop(NOTICE, None),
            "errors": {},
            "posted": {},
            **extra,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_view_consultations)
def consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    try:
        found = _get(request, consultation_id)
    except NotFound:
        return staff_render(request, "staff/errors/404.html", {}, status=404)
    if request.method != "POST":
        return _page(request, found, {})
    principal = request.staff.principal
    op = request.POST.get("op", "")
    try:
        if op == "question":
            options = [
                {"name": en.strip(), "name_cy": cy.strip()}
                for en, cy in zip(
                    request.POST.get("options", "").splitlines(),
                    request.POST.get("options_cy", "").splitlines()
                    + [""] * len(request.POST.get("options", "").splitlines()),
                    strict=False,
                )
            ]
            question_add(
                consultation=found,
                kind=request.POST.get("kind", ""),
                label=request.POST.get("label", ""),
                label_cy=request.POST.get("label_cy", ""),
                options=options,
                required=request.POST.get("required") == "yes",
                publish_text=request.POST.get("publish_text") == "yes",
                actor=principal,
            )
            _notice(request, "Question added.")
        elif op == "move":
            found = consultation_move(
                consultation=found, to_state=request.POST.get("to", ""), actor=principal
            )
            _notice(request, f"The consultation is now {found.get_state_display().lower()}.")
        elif op == "change":
            changed_on = _date(request.POST.get("changed_on", ""))
            if changed_on is None:
                raise InvalidInput({"changed_on": ["Enter the day the change applied"]})
            version_id = request.POST.get("version", "")
            version = next(
                (
                    v
                    for v in service_versions_of_council(council=request.staff.council)
                    if str(v.pk) == version_id
                ),
                None,
            )
            outcome_change_add(
                consultation=found,
                you_said=request.POST.get("you_said", ""),
                you_said_cy=request.POST.get("you_said_cy", ""),
                we_did=request.POST.get("we_did", ""),
                we_did_cy=request.POST.get("we_did_cy", ""),
                version=version,
                changed_on=changed_on,
                actor=principal,
            )
            _notice(request, "Change recorded.")
        elif op == "publish":
            outcome_publish(
                consultation=found,
                outcome=request.POST.get("outcome", ""),
                outcome_cy=request.POST.get("outcome_cy", ""),
                actor=principal,
            )
            _notice(request, "The outcome is published.")
        else:
            raise InvalidInput("Choose an action")
    except DomainError as exc:
        return _page(request, found, {"errors": _errors(exc), "posted": request.POST}, status=400)
    return redirect("staff:consultation", found.pk)


def _whole(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_view_consultations)
def responses(request: HttpRequest, consultation_id: int) -> HttpResponse:
    try:
        found = _get(request, consultation_id)
    except NotFound:
        return staff_render(request, "staff/errors/404.html", {}, status=404)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            theme_add(
                consultation=found, name=request.POST.get("name", ""), actor=request.staff.principal
            )
            _notice(request, "Theme added.")
            return redirect(request.get_full_path())
        except DomainError as exc:
            errors = _errors(exc)
    theme_id = _whole(request.GET.get("theme", ""))
    waiting = request.GET.get("waiting") == "1"
    rows, pages = responses_page(
        consultation=found,
        page=_whole(request.GET.get("page", "")) or 1,
        theme_id=theme_id,
        waiting_only=waiting,
    )
    page = min(max(1, _whole(request.GET.get("page", "")) or 1), pages)
    return staff_render(
        request,
        "staff/consultations/responses.html",
        {
            "consultation": found,
            "analysis": analysis_get(consultation=found),
            "themes": themes_of(consultation=found),
            "rows": rows,
            "page": page,
            "pages": pages,
            "theme_id": theme_id,
            "waiting": waiting,
            "can_analyse": found.state in ("closed", "analysis")
            and request.staff.allows(policies.can_analyse_responses),
            "can_publish_text": found.state != "open"
            and request.staff.allows(policies.can_run_consultations),
            "notice": request.session.pop(NOTICE, None),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@require_POST
@staff_view(policies.can_analyse_responses)
def response_mark(request: HttpRequest, consultation_id: int, number: int) -> HttpResponse:
    """Save one response's themes and whether it was considered."""
    try:
        found = _get(request, consultation_id)
        response = response_for_staff(consultation=found, number=number)
    except NotFound:
        return staff_render(request, "staff/errors/404.html", {}, status=404)
    principal = request.staff.principal
    try:
        response_tag(
            response=response,
            theme_ids=[t for t in map(_whole, request.POST.getlist("theme")) if t is not None],
            actor=principal,
        )
        response_consider(
            response=response,
            considered=request.POST.get("considered") == "yes",
            actor=principal,
        )
    except DomainError as exc:
        _notice(request, f"Response {number} was not saved: {exc.message}")
    else:
        _notice(request, f"Response {number} saved.")
    back = request.POST.get("back", "")
    if not back.startswith(reverse("staff:consultation_responses", args=[found.pk])):
        back = reverse("staff:consultation_responses", args=[found.pk])
    return redirect(f"{back}#response-{number}" if "#" not in back else back)


@require_POST
@staff_view(policies.can_run_consultations)
def answer_publish(
    request: HttpRequest, consultation_id: int, number: int, question_code: str
) -> HttpResponse:
    """Publish one free-text answer as open data, as edited to remove personal data."""
    try:
        found = _get(request, consultation_id)
        response = response_for_staff(consultation=found, number=number)
        answer = answer_for_staff(response=response, question_code=question_code)
    except NotFound:
        return staff_render(request, "staff/errors/404.html", {}, status=404)
    try:
        answer_text_publish(
            answer=answer, text=request.POST.get("text", ""), actor=request.staff.principal
        )
    except DomainError as exc:
        _notice(request, f"Response {number} was not published: {exc.message}")
    else:
        _notice(request, f"Response {number}: the answer is published as you edited it.")
    return redirect(
        reverse("staff:consultation_responses", args=[found.pk]) + f"#response-{number}"
    )


urlpatterns = [
    path("", index, name="consultations"),
    path("<int:consultation_id>/", consultation, name="consultation"),
    path("<int:consultation_id>/responses", responses, name="consultation_responses"),
    path(
        "<int:consultation_id>/responses/<int:number>",
        response_mark,
        name="consultation_response_mark",
    ),
    path(
        "<int:consultation_id>/responses/<int:number>/publish/<slug:question_code>",
        answer_publish,
        name="consultation_answer_publish",
    ),
]
