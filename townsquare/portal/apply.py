"""Apply for a service: one question per page, conditional questions from the template,
supporting documents, contact details, "Check your answers", save and return. No JavaScript
needed. The draft rules live in drafts.py; case_create checks the answers once more."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.limits import MAX_DOCUMENT_BYTES, MAX_DOCUMENTS
from townsquare.cases.services import Reporter, reporter_clean
from townsquare.catalogue import dates
from townsquare.catalogue.autocomplete import autocomplete_for
from townsquare.catalogue.fees import FeeSummary, fee_for, fee_summary, pounds
from townsquare.catalogue.fields import DEFAULT_MAX_LENGTH, answer_in_words, clean_field_value
from townsquare.catalogue.questions import (
    date_inputs,
    date_parts_from,
    first_wrong_input,
    questions_for,
)
from townsquare.catalogue.selectors import (
    document_in_language,
    service_get,
    services_for_council,
)
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.core.links import public_link
from townsquare.core.numbers import whole_number
from townsquare.core.ratelimit import limit_email
from townsquare.councils.selectors import council_get, council_list
from townsquare.messaging.services import MessageNotQueued, transactional_message_send
from townsquare.portal import applicant, drafts, oidc_views
from townsquare.portal.account import see_other
from townsquare.portal.error_messages import NOT_SENT, error_parts, input_text, question_text
from townsquare.portal.expected import expected_by_context, expected_within
from townsquare.portal.models import ApplicationDraft
from townsquare.portal.payment import payment_panel
from townsquare.portal.service_help import service_help
from townsquare.portal.signin import email_clean
from townsquare.portal.uploads import display_name, document_check

log = logging.getLogger(__name__)


def _council_or_404(slug: str):
    try:
        return council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None


def _application_services(council) -> list:
    return services_for_council(council=council, kind="application", include_private=True)


@require_safe
def councils(request: HttpRequest) -> HttpResponse:
    return render(request, "apply/councils.html", {"councils": council_list()})


@require_safe
def services(request: HttpRequest, slug: str) -> HttpResponse:
    council = _council_or_404(slug)
    return render(
        request,
        "apply/services.html",
        {
            "page_council": council,
            "council": council,
            "services": _application_services(council),
        },
    )


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, slug: str, service_code: str) -> HttpResponse:
    council = _council_or_404(slug)
    if service_code not in {s.code for s in _application_services(council)}:
        raise Http404(_("This council does not take applications of that kind online"))
    service = service_get(council=council, code=service_code)
    gate = oidc_views.identity_gate(request, service.current_version.document, request.path)
    if gate is not None:
        return gate
    if request.method == "POST":
        draft = drafts.draft_start(request, council=council, service_code=service_code)
        return see_other("portal:apply_continue", key=draft.key)
    # A service may need to know who the applicant is before they start (a level of
    # confidence in the template): those below it sign in at that level first.
    gate = oidc_views.identity_gate(request, service.current_version.document, request.path)
    if gate is not None:
        return gate
    saved = []
    if request.user.is_authenticated:
        saved = [
            d
            for d in drafts.drafts_for_user(user=request.user)
            if d.council_id == council.id and d.service_code == service_code
        ]
    document = document_in_language(service.current_version, get_language())
    return render(
        request,
        "apply/start.html",
        {
            "page_council": council,
            "council": council,
            "service": service,
            "intro": document["description"],
            "saved": saved,
            "fee": fee_context(fee_summary(document)),
            "help": service_help(
                council_id=council.id, service_code=service.code, language=get_language()
            ),
        },
    )


def fee_context(summary: FeeSummary | None) -> dict[str, Any] | None:
    """The fee's rules as the start page and the builder's preview state them."""
    if summary is None:
        return None
    return {
        "fixed": pounds(summary.fixed) if summary.fixed is not None else "",
        "per_label": summary.per_label,
        "table": [(name, pounds(amount)) for name, amount in summary.table],
        "concessions": summary.concessions,
    }


def _draft_or_404(request: HttpRequest, key: str) -> ApplicationDraft:
    draft = drafts.draft_for_request(request, key)
    if draft is None:
        raise Http404(
            _(
                "We cannot find that application. It may have been sent already, "
                "or it expired after 30 days without changes."
            )
        )
    return draft


def _page_url(draft: ApplicationDraft, page: str, *, returning: bool = False) -> str:
    if page == drafts.CHECK:
        return reverse("portal:apply_check", kwargs={"key": draft.key})
    if page == drafts.DOCUMENTS:
        url = reverse("portal:apply_documents", kwargs={"key": draft.key})
    elif page == drafts.CONTACT:
        url = reverse("portal:apply_contact", kwargs={"key": draft.key})
    else:
        url = reverse("portal:apply_question", kwargs={"key": draft.key, "code": page})
    return url + ("?return=check" if returning else "")


def _go(draft: ApplicationDraft, page: str, *, returning: bool = False) -> HttpResponse:
    response = redirect(_page_url(draft, page, returning=returning))
    response.status_code = 303
    return response


def _after(
    request: HttpRequest, draft: ApplicationDraft, flow: drafts.Flow, page: str
) -> HttpResponse:
    """Where a page's buttons lead: "save" to the saved page; back to "Check your answers"
    when changing an answer (unless it opened a question not yet answered); else onwards."""
    if request.POST.get("action") == "save":
        return see_other("portal:apply_saved", key=draft.key)
    if request.GET.get("return") == "check":
        unanswered = flow.first_unanswered(draft)
        return _go(draft, unanswered, returning=unanswered != drafts.CHECK)
    return _go(draft, flow.next_page(draft, page))


def _common(
    draft: ApplicationDraft, service, flow: drafts.Flow, page: str, request: HttpRequest
) -> dict[str, Any]:
    previous = flow.previous_page(draft, page)
    returning = request.GET.get("return") == "check"
    if returning:
        back = _page_url(draft, drafts.CHECK)
    elif previous:
        back = _page_url(draft, previous)
    else:
        back = reverse(
            "portal:apply_start",
            kwargs={"slug": draft.council.slug, "service_code": draft.service_code},
        )
    return {
        "page_council": draft.council,
        "council": draft.council,
        "service": service,
        "draft": draft,
        "back": back,
        "returning": returning,
        "action": request.get_full_path(),
    }


@require_safe
def resume_continue(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    _service, flow = drafts.flow_for(draft)
    return _go(draft, flow.first_unanswered(draft))


# One question.


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def question(request: HttpRequest, key: str, code: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    service, flow = drafts.flow_for(draft)
    field = flow.field(code)
    if field is None:
        raise Http404(_("That question is not part of this application"))
    if code not in flow.pages(draft.values):
        # Hidden by an earlier answer: go where the person should be instead.
        return _go(draft, flow.first_unanswered(draft))
    error = ""
    wrong_parts: tuple[str, ...] = ()
    if request.method == "POST":
        raw = _raw_value(field, request.POST)
        try:
            value = field_clean(field, raw)
        except AnswerRefused as exc:
            error, wrong_parts = str(exc), exc.parts
            if request.POST.get("action") == "save":
                return see_other("portal:apply_saved", key=draft.key)
        else:
            drafts.draft_answer(draft, code=code, value=value)
            return _after(request, draft, flow, code)
        shown = raw
    else:
        shown = _answer_text(field, draft.values.get(code, ""))
    context = _common(draft, service, flow, code, request)
    context["q"] = _question(field, shown, error, wrong_parts)
    return render(request, "apply/question.html", context, status=400 if error else 200)


def _raw_value(field: dict[str, Any], data: Any) -> Any:
    if field["datatype"] == "multivaluelist":
        return [v for v in data.getlist("answer") if v]
    if field["datatype"] == "date":
        return date_parts_from(data, "answer")
    return data.get("answer", "")


class AnswerRefused(ValueError):
    """An answer the catalogue refused, worded for the person; `parts`: which parts of a date
    input to mark (empty: the whole question)."""

    def __init__(self, message: str, parts: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.parts = parts


def field_clean(field: dict[str, Any], raw: Any) -> Any:
    """The stored answer, or AnswerRefused with a message for the person (translated).

    The catalogue decides what an answer may be, with the check case_create makes when the
    application is sent (so an answer accepted here is never refused then); this only reads a
    date and time typed without a zone as local time, and words the problem."""
    try:
        value = clean_field_value(field, raw, local_zone=timezone.get_current_timezone())
    except InvalidInput as exc:
        problem = exc.first(field["code"])
        raise AnswerRefused(
            question_text(problem, label=field["label"], datatype=field["datatype"]),
            error_parts(problem),
        ) from None
    return "" if value is None else value


def _answer_text(field: dict[str, Any], value: Any) -> Any:
    """An answer as the person would type it: a stored date and time in local time."""
    if field["datatype"] != "datetime" or not isinstance(value, str) or not value:
        return value
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # kept from before answers were checked: shown as typed
    if moment.tzinfo is None:
        return value
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _question(
    field: dict[str, Any], value: Any, error: str, wrong_parts: tuple[str, ...] = ()
) -> dict[str, Any]:
    datatype = field["datatype"]
    autocomplete = autocomplete_for(field)
    chosen = set(value) if isinstance(value, list) else {value} if isinstance(value, str) else set()
    options = [
        {
            "id": "answer" if i == 0 else f"answer-{i + 1}",
            "key": option["key"],
            "name": option["name"],
            "checked": option["key"] in chosen,
        }
        for i, option in enumerate(field.get("values", []))
    ]
    # The report form's hints (the format of a date, a number's range), from one definition.
    hint = questions_for([field], None)[0].hint
    return {
        "code": field["code"],
        "label": field["label"],
        "datatype": datatype,
        "hint": hint,
        "required": bool(field.get("required")),
        "error": error,
        "value": value if isinstance(value, str) else "",
        "options": options,
        "max_length": field.get("max_length", DEFAULT_MAX_LENGTH.get(datatype)),
        "autocomplete": autocomplete,
        "id": "answer",
        "date_inputs": date_inputs(
            "answer",
            dates.parts_of(value),
            autocomplete=autocomplete,
            error=bool(error),
            error_parts=wrong_parts,
        )
        if datatype == "date"
        else [],
        "error_target": first_wrong_input("answer", wrong_parts)
        if datatype == "date"
        else "answer",
    }


# Supporting documents.


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def documents(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    service, flow = drafts.flow_for(draft)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        remove = request.POST.get("remove", "")
        upload = request.FILES.get("document")
        if whole_number(remove) is not None:
            drafts.document_remove(draft, whole_number(remove))
            return redirect(request.get_full_path())
        if upload is not None:
            if draft.documents.count() >= MAX_DOCUMENTS:
                error = _("You can upload up to %(max)d documents. Remove one to add another.") % {
                    "max": MAX_DOCUMENTS
                }
            else:
                try:
                    document = document_check(upload)
                except InvalidInput as exc:
                    error = exc.errors["document"][0]
                else:
                    drafts.document_add(
                        draft, name=display_name(upload.name or ""), document=document
                    )
            if error or action == "upload":
                status = 400 if error else 200
                if not error:
                    return redirect(request.get_full_path())
        elif action == "upload":
            error = _("Select a file to upload")
            status = 400
        if not error:
            drafts.draft_mark_answered(draft, drafts.DOCUMENTS)
            return _after(request, draft, flow, drafts.DOCUMENTS)
    context = _common(draft, service, flow, drafts.DOCUMENTS, request)
    context.update(
        documents=list(draft.documents.all()),
        error=error,
        can_add=draft.documents.count() < MAX_DOCUMENTS,
        max_documents=MAX_DOCUMENTS,
        document_mb=MAX_DOCUMENT_BYTES // (1024 * 1024),
    )
    return render(request, "apply/documents.html", context, status=status)


# How to contact the applicant.


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    service, flow = drafts.flow_for(draft)
    errors: dict[str, str] = {}
    data = {"email": draft.contact_email, "phone": draft.contact_phone}
    if request.method == "POST":
        data = {
            "email": request.POST.get("email", "")[:300].strip(),
            "phone": request.POST.get("phone", "")[:60].strip(),
        }
        try:
            data["email"] = email_clean(data["email"])
        except InvalidInput as exc:
            errors["email"] = exc.errors["email"][0]
        phone = data["phone"]
        try:
            # The rule case_create holds the reporter's phone number to, checked now.
            reporter_clean(Reporter(phone=phone))
        except InvalidInput as exc:
            problem = exc.first("phone")
            if problem is not None:
                errors["phone"] = input_text("phone", problem)
        if not errors:
            drafts.draft_contact(draft, email=data["email"], phone=phone)
            return _after(request, draft, flow, drafts.CONTACT)
        if request.POST.get("action") == "save":
            return see_other("portal:apply_saved", key=draft.key)
    context = _common(draft, service, flow, drafts.CONTACT, request)
    context.update(
        data=data, errors=errors, error_summary=[(f"#{k}", v) for k, v in errors.items()]
    )
    return render(request, "apply/contact.html", context, status=400 if errors else 200)


# Check your answers, and send.

# The page that asks for each of case_create's own arguments (the rest are questions).
_PAGES = {"email": drafts.CONTACT, "phone": drafts.CONTACT, "documents": drafts.DOCUMENTS}


def _answers(draft: ApplicationDraft, flow: drafts.Flow) -> list[dict[str, Any]]:
    rows = []
    for field in flow.visible(draft.values):
        value = _answer_text(field, draft.values.get(field["code"], ""))
        language = get_language() or "en"
        if isinstance(value, list):
            shown = [answer_in_words(field, v, language) for v in value]
        else:
            shown = [answer_in_words(field, value, language)] if value != "" else []
        rows.append(
            {
                "label": field["label"],
                "lines": shown,
                "url": _page_url(draft, field["code"], returning=True),
                "missing": field.get("required") and not shown,
            }
        )
    return rows


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    service, flow = drafts.flow_for(draft)
    unanswered = flow.first_unanswered(draft)
    problems: list[tuple[str, str]] = []
    fee = fee_for(service.current_version.document, draft.values)
    amount_changed = False
    if request.method == "POST":
        if unanswered != drafts.CHECK:
            return _go(draft, unanswered)
        # The amount is always worked out here from the answers; what the page showed only
        # tells us whether the person saw this amount (ADR 161).
        seen = whole_number(request.POST.get("amount_seen", ""))
        if fee is not None and fee.amount and seen != fee.amount:
            amount_changed = True
            problems.append(
                (
                    "#fee",
                    _("The amount to pay has changed to %(amount)s. Check it before you continue.")
                    % {"amount": pounds(fee.amount)},
                )
            )
    if request.method == "POST" and not amount_changed:
        principal = (
            principal_for_user(request.user)
            if request.user.is_authenticated
            else Principal.anonymous()
        )
        try:
            case = drafts.draft_submit(
                draft, actor=principal, identity_level=oidc_views.session_level(request)
            )
        except PermissionDenied:
            # The service needs a stronger sign-in than this session's (the template changed,
            # or the person signed out and in differently): sign in at that level, come back.
            return oidc_views.identity_gate(
                request, service.current_version.document, request.path
            ) or see_other("portal:apply")
        except InvalidInput as exc:
            # The template changed under the draft, or an answer was edited elsewhere: send
            # the person to the question concerned.
            for code, found in exc.problems.items():
                field = flow.field(code)
                if field is not None:
                    problems.append(
                        (
                            _page_url(draft, code, returning=True),
                            question_text(
                                found[0], label=field["label"], datatype=field["datatype"]
                            ),
                        )
                    )
                else:
                    page = _PAGES.get(code)
                    problems.append(
                        (
                            _page_url(draft, page, returning=True) if page else "#answers",
                            input_text(code, found[0]),
                        )
                    )
        else:
            drafts.remember_submitted(request, case.reference)
            if fee is not None and fee.amount:
                return see_other("portal:apply_pay", reference=case.reference)
            return see_other("portal:apply_done", reference=case.reference)
    context = _common(draft, service, flow, drafts.CHECK, request)
    context.update(
        answers=_answers(draft, flow),
        documents=list(draft.documents.all()),
        unanswered=None if unanswered == drafts.CHECK else _page_url(draft, unanswered),
        documents_url=_page_url(draft, drafts.DOCUMENTS, returning=True),
        contact_url=_page_url(draft, drafts.CONTACT, returning=True),
        error_summary=problems,
        fee=fee if fee is not None and fee.amount else None,
        fee_amount=pounds(fee.amount) if fee is not None else "",
        fee_unit=pounds(fee.unit_amount) if fee is not None and fee.unit_amount else "",
    )
    return render(request, "apply/check.html", context, status=400 if problems else 200)


@require_safe
def done(request: HttpRequest, reference: str) -> HttpResponse:
    from townsquare.cases.selectors import applicant_document_names, citizen_case_by_reference

    try:
        listing = citizen_case_by_reference(
            reference=reference.upper()[:40],
            user_id=request.user.pk if request.user.is_authenticated else None,
            references=drafts.submitted_references(request),
        )
    except NotFound:
        raise Http404(_("We cannot find an application with that reference")) from None
    row = listing.rows[0]
    version = listing.versions[row["service_version_id"]]
    council = listing.councils[row["council_id"]]
    try:
        payment = payment_panel(applicant.applicant_case(request, row["reference"]))
    except NotFound:
        payment = None
    return render(
        request,
        "apply/done.html",
        {
            "payment": payment,
            "page_council": council,
            "council": council,
            "reference": row["reference"],
            "service_name": listing.services[row["service_id"]].display_name,
            "expected": expected_within(version.document["sla"]),
            **expected_by_context(
                row["resolve_due_at"],
                is_open=row["is_open"],
                sla=version.document["sla"],
                gss_code=council.gss_code,
            ),
            "document_names": applicant_document_names(listing=listing),
            "first_message": document_in_language(version, get_language())["workflow"]["states"][
                0
            ].get("message", ""),
        },
    )


# Save and come back later.


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def saved(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    service, flow = drafts.flow_for(draft)
    error = ""
    sent_to = ""
    email = draft.contact_email
    if request.method == "POST" and draft.user_id is None:
        email = request.POST.get("email", "")[:300]
        try:
            email = email_clean(email)
        except InvalidInput as exc:
            error = exc.errors["email"][0]
        else:
            limit_email(email)  # a resume link goes to the address typed (ADR 133)
            try:
                # One transaction: the new link replaces the old one only if it is on its way.
                with transaction.atomic():
                    token = drafts.resume_token_issue(draft)
                    _send_resume_link(request, draft, service, email, token)
            except MessageNotQueued:
                log.exception("Could not queue a resume link")
                error = str(NOT_SENT)
            else:
                sent_to = email
    context = _common(draft, service, flow, drafts.CHECK, request)
    context.update(
        email=email,
        error=error,
        sent_to=sent_to,
        continue_url=reverse("portal:apply_continue", kwargs={"key": draft.key}),
        expires_at=draft.expires_at,
    )
    return render(request, "apply/saved.html", context, status=400 if error else 200)


def _send_resume_link(
    request: HttpRequest, draft: ApplicationDraft, service, email: str, token: str
) -> None:
    """Queue the link in the page's language (MessageNotQueued when it cannot be)."""
    from django.utils import formats, timezone

    transactional_message_send(
        kind="application_resume",
        to=email,
        language=get_language() or "en",
        link=public_link("portal:apply_resume", token=token),
        council=draft.council,
        values={
            "service_name": service.display_name,
            "expires_on": formats.date_format(timezone.localtime(draft.expires_at), "j F Y"),
        },
    )


@require_safe
def resume(request: HttpRequest, token: str) -> HttpResponse:
    draft = drafts.draft_by_resume_token(token)
    if draft is None:
        raise Http404(_("This link has expired or been replaced by a newer one."))
    if not drafts.draft_open_in_session(request, draft):
        return redirect(reverse("portal:sign_in") + "?next=" + request.path)
    _service, flow = drafts.flow_for(draft)
    return _go(draft, flow.first_unanswered(draft))


@csrf_protect
@require_POST
def discard(request: HttpRequest, key: str) -> HttpResponse:
    draft = _draft_or_404(request, key)
    drafts.draft_discard(draft)
    return see_other("portal:my_requests" if request.user.is_authenticated else "portal:apply")
