"""Neighbourhood pages in the staff web (issue 17): what waits for a moderator (held posts,
reported posts, appeals), a thread with every post and its state, an officer's reply (marked
with role and council), moderation that names a rule and explains itself, turning a thread
into a case, appeals decided by another moderator, and council notices for a ward."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from townsquare.accounts import policies
from townsquare.catalogue.selectors import service_of_council_by_code, services_for_council
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.core.links import public_link
from townsquare.neighbourhoods import rules as post_rules
from townsquare.neighbourhoods import selectors, services
from townsquare.neighbourhoods.models import Action
from townsquare.staff.access import staff_render, staff_view

# The actions a moderator may take on a post, and on a whole thread.
POST_ACTIONS = [
    (Action.HIDE, "Hide the post"),
    (Action.REMOVE, "Remove the post"),
    (Action.EDIT_REQUEST, "Ask the author to edit"),
    (Action.HOLD, "Hold for review"),
    (Action.RELEASE, "Release (show it, trust the author)"),
    (Action.RESTORE, "Restore the post"),
    (Action.BAN, "Ban the author from posting"),
]
THREAD_ACTIONS = [(Action.LOCK, "Lock the thread")]


def _errors(exc: InvalidInput) -> dict[str, str]:
    return {name: msgs[0] for name, msgs in exc.errors.items()}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_safe
@staff_view(policies.is_staff_of)
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


def _overview(request: HttpRequest, errors=None, posted=None, status=200) -> HttpResponse:
    council = request.staff.council
    return staff_render(
        request,
        "staff/neighbourhoods/overview.html",
        {
            "held": selectors.held_posts(council_id=council.id),
            "reports": selectors.open_reports(council_id=council.id),
            "appeals": selectors.pending_appeals(council_id=council.id),
            "threads": selectors.threads_for_staff(council_id=council.id),
            "wards": selectors.wards_of(council=council),
            "errors": errors or {},
            "posted": posted or {},
        },
        status=status,
    )


def _thread_or_404(request, thread_id: int):
    try:
        return selectors.thread_for_staff(thread_id=thread_id, council_id=request.staff.council.id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _required_fields(council_id: int, service_code: str) -> list[dict]:
    """The questions a case of this service cannot be made without: the officer answers
    them beside the service when the one click is not enough."""
    try:
        service = service_of_council_by_code(council_id=council_id, code=service_code)
    except NotFound:
        return []
    version = service.current_version
    document = version.document if version is not None else {}
    return [f for f in document.get("fields", []) if f.get("required") and not f.get("show_if")]


def _thread_page(request, thread, *, errors=None, posted=None, status=200):
    chosen = (posted or {}).get("service", "") if (posted or {}).get("form") == "case" else ""
    posts = selectors.thread_posts(
        thread=thread, user_id=request.user.pk, principal=request.staff.principal
    )
    return staff_render(
        request,
        "staff/neighbourhoods/thread.html",
        {
            "thread": thread,
            "posts": [(post, post_rules.render(post.body)) for post in posts],
            "rules": services.rules_ensure(council=thread.council),
            "post_actions": POST_ACTIONS,
            "thread_actions": THREAD_ACTIONS,
            "decisions": selectors.decisions_on_thread(thread=thread),
            "services": services_for_council(council=thread.council, kind="report"),
            "case": selectors.case_status(thread=thread, language="en"),
            "chosen_service": chosen,
            "case_fields": _required_fields(thread.council_id, chosen) if chosen else [],
            "public_url": reverse("portal:neighbourhood_thread", kwargs={"thread_id": thread.id}),
            "errors": errors or {},
            "posted": posted or {},
        },
        status=status,
    )


@require_safe
@staff_view(policies.is_staff_of)
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    return _thread_page(request, _thread_or_404(request, thread_id))


def _act(request, thread, form: str, action, success: str) -> HttpResponse:
    posted = {k: v[:4000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        action()
    except InvalidInput as exc:
        errors = {f"{form}_{name}": message for name, message in _errors(exc).items()}
        return _thread_page(
            request, thread, errors=errors, posted={**posted, "form": form}, status=400
        )
    except (PermissionDenied, NotFound) as exc:
        return _thread_page(
            request,
            thread,
            errors={f"{form}___all__": exc.message},
            posted={**posted, "form": form},
            status=403,
        )
    messages.success(request, success)
    return redirect("staff:neighbourhood_thread", thread_id=thread.id)


@require_POST
@staff_view(policies.is_staff_of)
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    found = _thread_or_404(request, thread_id)
    user = request.user
    return _act(
        request,
        found,
        "reply",
        lambda: services.post_add(
            thread=found,
            user=user,
            principal=request.staff.principal,
            body=request.POST.get("body", ""),
            display_name=(getattr(user, "full_name", "") or request.staff.principal.label)[:60],
        ),
        "Reply posted",
    )


@require_POST
@staff_view(policies.is_staff_of)
def make_case(request: HttpRequest, thread_id: int) -> HttpResponse:
    found = _thread_or_404(request, thread_id)
    service_code = request.POST.get("service", "")[:50]

    def act():
        if not service_code:
            raise InvalidInput({"service": ["Choose the service"]})
        values = {}
        for field in _required_fields(found.council_id, service_code):
            answer = request.POST.get(f"field_{field['code']}", "").strip()[:500]
            if answer:
                multiple = field.get("datatype") == "multivaluelist"
                values[field["code"]] = [answer] if multiple else answer
        case = services.thread_to_case(
            thread=found,
            principal=request.staff.principal,
            service_code=service_code,
            link=public_link("portal:neighbourhood_thread", thread_id=found.id),
            values=values,
        )
        found.case = case

    return _act(request, found, "case", act, "The thread is now a case")


@require_POST
@staff_view(policies.is_staff_of)
def moderate(request: HttpRequest, thread_id: int) -> HttpResponse:
    found = _thread_or_404(request, thread_id)
    post_id = _int(request.POST.get("post"))
    form = f"post{post_id}" if post_id else "thread"

    def act():
        post = (
            selectors.post_for_staff(post_id=post_id, council_id=found.council_id)
            if post_id
            else None
        )
        if post is not None and post.thread_id != found.id:
            raise NotFound("No such post in this thread")
        services.moderate(
            principal=request.staff.principal,
            action=request.POST.get("action", ""),
            rule_id=_int(request.POST.get("rule")),
            explanation=request.POST.get("explanation", ""),
            post=post,
            thread=found,
            ban_days=_int(request.POST.get("ban_days")),
        )

    return _act(request, found, form, act, "Decision recorded; the author can see it and appeal")


@staff_view(policies.is_staff_of)
def appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    try:
        found = selectors.appeal_for_staff(appeal_id=appeal_id, council_id=request.staff.council.id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.appeal_decide(
                appeal=found,
                principal=request.staff.principal,
                reverse=request.POST.get("outcome") == "reverse",
                answer=request.POST.get("answer", ""),
            )
        except InvalidInput as exc:
            errors, status = _errors(exc), 400
        except PermissionDenied as exc:
            errors, status = {"__all__": exc.message}, 403
        else:
            messages.success(request, "Appeal decided; the author can see the answer")
            return redirect("staff:neighbourhoods")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    own = found.decision.moderator_id == request.user.pk
    return staff_render(
        request,
        "staff/neighbourhoods/appeal.html",
        {"appeal": found, "decision": found.decision, "own": own, "errors": errors},
        status=status,
    )


@require_POST
@staff_view(policies.is_staff_of)
def notice(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    posted = {k: v[:4000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        area = selectors.area_get(council=council, code=request.POST.get("area", ""))
        starts, ends = (
            _date(request.POST.get("starts_on", ""), "starts_on"),
            _date(request.POST.get("ends_on", ""), "ends_on"),
        )
        services.notice_post(
            principal=request.staff.principal,
            area=area,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            starts_on=starts,
            ends_on=ends,
        )
    except NotFound:
        return _overview(request, errors={"area": "Choose the ward"}, posted=posted, status=400)
    except InvalidInput as exc:
        return _overview(request, errors=_errors(exc), posted=posted, status=400)
    messages.success(request, "Notice posted on the ward's page")
    return redirect("staff:neighbourhoods")


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput({name: ["Enter a date like 2026-12-24"]}) from None


@staff_view(policies.can_administer_council)
def rules(request: HttpRequest) -> HttpResponse:
    """The council's rules (its public rules page), each editable; a new code adds one."""
    council = request.staff.council
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        posted = {k: v[:4000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            services.rule_save(
                principal=request.staff.principal,
                council=council,
                code=posted.get("code", ""),
                title=posted.get("title", ""),
                description=posted.get("description", ""),
                title_cy=posted.get("title_cy", ""),
                description_cy=posted.get("description_cy", ""),
            )
        except InvalidInput as exc:
            errors, status = _errors(exc), 400
        else:
            messages.success(request, "Rule saved; the public rules page shows it")
            return redirect("staff:neighbourhood_rules")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return staff_render(
        request,
        "staff/neighbourhoods/rules.html",
        {"rules": services.rules_ensure(council=council), "errors": errors, "posted": posted},
        status=status,
    )
