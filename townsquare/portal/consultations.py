"""Consultations on the citizen web: the list, a consultation's page with its questions (one
plain form that works without JavaScript), the results, the outcome ("you said, we did") with
each changed service's figures before and after, and the open results (CSV, JSON Lines).

Anyone may answer, signed in or not; every answer spends from the consultation's budget for
the client's address and from the person's (core.ratelimit, across processes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.consultations import policies
from townsquare.consultations.models import Consultation, QuestionKind
from townsquare.consultations.questions import (
    STATEMENT_VOTES,
    label_in,
    options_in,
    ranking_from_positions,
)
from townsquare.consultations.selectors import (
    consultation_public_get,
    consultations_public,
    open_results_columns,
    open_results_rows,
    opinion_groups_get,
    outcome_changes,
    questions_of,
    results_get,
    text_in,
)
from townsquare.consultations.services import response_confirm, response_submit
from townsquare.core import clock
from townsquare.core.errors import Conflict, InvalidInput, NotFound, Problem
from townsquare.core.links import public_url
from townsquare.core.ratelimit import client_address, limit_email
from townsquare.councils.selectors import areas_of_council
from townsquare.insights.figures import council_zone
from townsquare.insights.selectors import Filters, dashboard_get
from townsquare.portal.error_messages import input_text, question_text

# The figures before and after a change cover this many days each side of it.
FIGURE_DAYS = 91


def _language() -> str:
    return "cy" if (get_language() or "en").startswith("cy") else "en"


def _get(council_slug: str, slug: str) -> Consultation:
    try:
        return consultation_public_get(council_slug=council_slug, slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that consultation")) from None


def _view(consultation: Consultation, language: str) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "title": text_in(consultation, "title", language),
        "summary": text_in(consultation, "summary", language),
        "page_council": consultation.council,
        "council": consultation.council,
    }


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = _language()
    rows = [
        {"consultation": c, "title": text_in(c, "title", language)} for c in consultations_public()
    ]
    return render(request, "consultations/index.html", {"rows": rows})


@dataclass
class FormQuestion:
    code: str
    kind: str
    label: str
    required: bool
    options: list[dict[str, Any]]
    value: Any = ""
    error: str = ""

    @property
    def id(self) -> str:
        return f"answer-{self.code}"

    @property
    def error_target(self) -> str:
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.STATEMENT):
            return f"{self.id}-1"
        if self.kind == QuestionKind.RANKING and self.options:
            return f"{self.id}-{self.options[0]['key']}"
        return self.id


def _form_questions(consultation: Consultation, data: Any, language: str) -> list[FormQuestion]:
    shown = []
    vote_names = {"agree": _("Agree"), "disagree": _("Disagree"), "pass": _("Pass or unsure")}
    for q in questions_of(consultation=consultation):
        name = f"answer-{q.code}"
        item = FormQuestion(
            code=q.code,
            kind=q.kind,
            label=label_in(q, language),
            required=q.required,
            options=[],
        )
        chosen = set(data.getlist(name)) if data is not None else set()
        if q.kind == QuestionKind.STATEMENT:
            item.options = [
                {"key": v, "name": vote_names[v], "checked": v in chosen} for v in STATEMENT_VOTES
            ]
        elif q.kind == QuestionKind.RANKING:
            count = len(q.options)
            item.options = [
                {
                    "key": o["key"],
                    "name": o["name"],
                    "position": data.get(f"{name}-{o['key']}", "") if data is not None else "",
                    "positions": [str(n) for n in range(1, count + 1)],
                }
                for o in options_in(q, language)
            ]
        elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            item.options = [{**o, "checked": o["key"] in chosen} for o in options_in(q, language)]
        elif data is not None:
            item.value = data.get(name, "")
        shown.append(item)
    return shown


def _raw_answers(consultation: Consultation, data: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for q in questions_of(consultation=consultation):
        name = f"answer-{q.code}"
        if q.kind == QuestionKind.MULTI:
            raw[q.code] = [v for v in data.getlist(name) if v]
        elif q.kind == QuestionKind.RANKING:
            keys = [o["key"] for o in q.options]
            raw[q.code] = ranking_from_positions(
                keys, {k: data.get(f"{name}-{k}", "") for k in keys}
            )
        else:
            raw[q.code] = data.get(name, "")
    return raw


def _errors(exc: InvalidInput, questions: list[FormQuestion]) -> list[tuple[str, str]]:
    """The error summary (link, message), in the form's order; each question's message set."""
    summary = []
    by_code = {q.code: q for q in questions}
    for name, problems in exc.problems.items():
        problem: Problem = problems[0]
        question = by_code.get(name)
        if question is not None:
            if problem.code == "invalid_ranking":
                message = _(
                    "Give each option in “%(label)s” a different position, from 1 for the one "
                    "you want most"
                ) % {"label": question.label}
            else:
                datatype = (
                    "singlevaluelist"
                    if question.kind in (QuestionKind.STATEMENT, QuestionKind.RANKING)
                    else question.kind
                )
                message = question_text(problem, label=question.label, datatype=datatype)
            question.error = message
            summary.append((f"#{question.error_target}", message))
        elif name == "email" and problem.code == "required":
            summary.append(("#email", _("Enter your email address, or sign in, to answer")))
        elif name == "area":
            summary.append(("#area", _("Choose your ward from the list")))
        elif name == "__all__":
            summary.append(
                (
                    f"#{questions[0].error_target}" if questions else "#",
                    _("Answer at least one question"),
                )
            )
        else:
            summary.append((f"#{name}", input_text(name, problem)))
    order = {f"#{q.error_target}": i for i, q in enumerate(questions)}
    return sorted(summary, key=lambda pair: order.get(pair[0], len(order)))


@require_http_methods(["GET", "HEAD", "POST"])
def consultation(request: HttpRequest, council_slug: str, slug: str) -> HttpResponse:
    found = _get(council_slug, slug)
    language = _language()
    context = _view(found, language)
    today = clock.now().date()
    is_open = policies.accepts_answers(found.state) and found.opens_on <= today <= found.closes_on
    user = request.user if request.user.is_authenticated else None
    data = request.POST if request.method == "POST" else None
    questions = _form_questions(found, data, language) if is_open else []
    error_summary: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        if not is_open:
            return redirect(reverse("portal:consultation", args=[council_slug, slug]))
        area = request.POST.get("area", "")
        if found.email_confirmation and user is None:
            # The confirmation email is a message a stranger can cause to an address.
            limit_email(request.POST.get("email", "").strip()[:254])
        try:
            response = response_submit(
                consultation=found,
                answers=_raw_answers(found, request.POST),
                address=client_address(request),
                user_id=user.pk if user else None,
                email="" if user else request.POST.get("email", ""),
                area_id=int(area) if area.isdigit() else None,
            )
        except InvalidInput as exc:
            error_summary = _errors(exc, questions)
            status = 400
        except Conflict as exc:
            error_summary = [("#", _conflict_words(exc))]
            status = 409
        else:
            done = reverse("portal:consultation_thanks", args=[council_slug, slug])
            if not response.confirmed:
                _confirmation_send(request, found, response, language)
                return redirect(f"{done}?check=email")
            return redirect(done)
    changes = []
    if found.state == "published":
        changes = _changes_with_figures(found, language)
    return render(
        request,
        "consultations/consultation.html",
        {
            **context,
            "is_open": is_open,
            "questions": questions,
            "wards": areas_of_council(council_id=found.council_id) if is_open else [],
            "form": {
                "area": request.POST.get("area", "") if data else "",
                "email": request.POST.get("email", "") if data else "",
            },
            "asks_email": is_open and user is None,
            "needs_email": found.email_confirmation and user is None,
            "signed_in": user is not None,
            "error_summary": error_summary,
            "outcome": text_in(found, "outcome", language),
            "changes": changes,
            "has_results": found.state != "open",
        },
        status=status,
    )


def _conflict_words(exc: Conflict) -> str:
    if exc.code == "already":
        return _("You have already answered this consultation. Thank you.")
    return _("This consultation is not taking answers now.")


def _confirmation_send(
    request: HttpRequest, consultation: Consultation, response: Any, language: str
) -> None:
    """Email the link that makes an answer count (messaging, when installed)."""
    try:
        from townsquare.messaging.services import transactional_message_send
    except ImportError:  # pragma: no cover - messaging is part of every deployment today
        return
    # From PUBLIC_URL, never the request's Host (ADR 130).
    link = public_url(reverse("portal:consultation_confirm", args=[response.confirm_token]))
    try:
        transactional_message_send(
            kind="consultation_confirm",
            to=response.email,
            link=link,
            language=language,
            values={"consultation": text_in(consultation, "title", language)},
            council=consultation.council,
        )
    except Exception:
        return


@require_safe
def thanks(request: HttpRequest, council_slug: str, slug: str) -> HttpResponse:
    found = _get(council_slug, slug)
    return render(
        request,
        "consultations/thanks.html",
        {**_view(found, _language()), "check_email": request.GET.get("check") == "email"},
    )


@require_safe
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        response = response_confirm(token=token[:64])
    except NotFound:
        raise Http404(_("That link does not work. It may have been copied wrongly.")) from None
    found = response.consultation
    return render(
        request, "consultations/thanks.html", {**_view(found, _language()), "confirmed": True}
    )


@require_safe
def results(request: HttpRequest, council_slug: str, slug: str) -> HttpResponse:
    found = _get(council_slug, slug)
    language = _language()
    return render(
        request,
        "consultations/results.html",
        {
            **_view(found, language),
            "results": results_get(consultation=found, language=language),
            "opinion": opinion_groups_get(consultation=found, language=language),
            "downloads": found.state != "open",
        },
    )


@dataclass(frozen=True)
class Figures:
    start: dt.date
    end: dt.date
    opened: int
    closed: int
    median_days: float | None


def _figures(council, service_id: int, start: dt.date, end: dt.date) -> Figures:
    totals = dashboard_get(
        council=council, filters=Filters(start=start, end=end, service_id=service_id)
    ).totals
    hours = totals.median_hours
    return Figures(
        start, end, totals.opened, totals.closed, None if hours is None else round(hours / 24, 1)
    )


def _changes_with_figures(found: Consultation, language: str) -> list[dict[str, Any]]:
    """Each change with the changed service's figures over the days before it and after it
    (from insights' maintained figures)."""
    today = dt.datetime.now(council_zone(found.council)).date()
    shown = []
    for change in outcome_changes(consultation=found, language=language):
        before = after = None
        if change.service_id is not None:
            day = change.change.changed_on
            before = _figures(
                found.council,
                change.service_id,
                day - dt.timedelta(days=FIGURE_DAYS),
                day - dt.timedelta(days=1),
            )
            if day <= today:
                after = _figures(
                    found.council,
                    change.service_id,
                    day,
                    min(today, day + dt.timedelta(days=FIGURE_DAYS - 1)),
                )
        shown.append({"view": change, "before": before, "after": after})
    return shown


def _export_rows(found: Consultation) -> Iterator[dict[str, Any]]:
    try:
        yield from open_results_rows(consultation=found)
    except NotFound:
        return


@require_safe
def export(request: HttpRequest, council_slug: str, slug: str, fmt: str) -> HttpResponse:
    """The open results: every counted response without personal fields (ADR 211)."""
    found = _get(council_slug, slug)
    if found.state == "open" or fmt not in ("csv", "jsonl"):
        raise Http404(_("Results are published once the consultation has closed"))
    name = f"{found.council.slug}-{found.slug}-responses.{fmt}"
    if fmt == "jsonl":
        body: Iterator[str] = (
            json.dumps(row, ensure_ascii=False) + "\n" for row in _export_rows(found)
        )
        content_type = "application/x-ndjson; charset=utf-8"
    else:
        body = _csv_lines(open_results_columns(consultation=found), _export_rows(found))
        content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_lines(columns: list[str], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


urlpatterns = [
    path("", index, name="consultations"),
    path("confirm/<str:token>", confirm, name="consultation_confirm"),
    path("<slug:council_slug>/<slug:slug>/", consultation, name="consultation"),
    path("<slug:council_slug>/<slug:slug>/thanks", thanks, name="consultation_thanks"),
    path("<slug:council_slug>/<slug:slug>/results", results, name="consultation_results"),
    path(
        "<slug:council_slug>/<slug:slug>/responses.<str:fmt>",
        export,
        name="consultation_export",
    ),
]
