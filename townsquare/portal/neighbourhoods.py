"""Neighbourhood pages on the citizen web (issue 17): council -> ward -> street, threads and
replies by signed-in residents, reporting a post, deleting one's own, appealing a decision,
and each council's public rules and moderation log. Every form works without JavaScript.

Residents post here as themselves: an officer's post, marked with role and council, is
written in the staff web (after both sign-in factors), never here (ADR 180)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts.principal import Principal
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.councils.selectors import council_get, council_list
from townsquare.neighbourhoods import rules as post_rules
from townsquare.neighbourhoods import selectors, services

# The domain's problems in the visitor's language, by (field, code).
_WORDS = {
    ("title", "title_required"): gettext_lazy("Enter a title"),
    ("title", "title_too_long"): gettext_lazy("Title must be %(limit)s characters or fewer"),
    ("body", "body_required"): gettext_lazy("Enter your message"),
    ("body", "body_too_long"): gettext_lazy("Message must be %(limit)s characters or fewer"),
    ("body", "duplicate"): gettext_lazy("You have already posted this message"),
    ("display_name", "display_name_required"): gettext_lazy(
        "Enter the name to show beside your posts"
    ),
    ("display_name", "display_name_too_long"): gettext_lazy(
        "Name must be %(limit)s characters or fewer"
    ),
    ("rule", "rule_required"): gettext_lazy("Select the rule the post breaks"),
    ("reason", "reason_required"): gettext_lazy("Say why the decision is wrong"),
    ("reason", "reason_too_long"): gettext_lazy("Reason must be %(limit)s characters or fewer"),
    ("reason", "appealed"): gettext_lazy("You have already appealed this decision"),
}
_REFUSED = {
    "locked": gettext_lazy("This thread is locked: no new replies can be added."),
    "banned": gettext_lazy("You cannot post on this council's neighbourhood pages at the moment."),
}


def _errors(exc: InvalidInput) -> dict[str, str]:
    found = {}
    for name, problems in exc.problems.items():
        problem = problems[0]
        words = _WORDS.get((name, problem.code))
        found[name] = str(words) % problem.params if words is not None else problem.message
    return found


def _summary(errors: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"#{name.replace('_', '-')}", message) for name, message in errors.items()]


def _resident(request: HttpRequest) -> Principal:
    """A resident acts as themselves here, whatever staff roles they also hold."""
    user = request.user
    return Principal(user_id=user.pk, label=getattr(user, "email", "") or "Resident")


def _sign_in(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('portal:sign_in')}?{urlencode({'next': request.path})}")


def _not_found(exc: NotFound):
    raise Http404(str(exc)) from exc


def _council(slug: str):
    try:
        return council_get(slug=slug)
    except NotFound as exc:
        _not_found(exc)


def _area(council, code: str):
    try:
        return selectors.area_get(council=council, code=code)
    except NotFound as exc:
        _not_found(exc)


@require_safe
def councils(request: HttpRequest) -> HttpResponse:
    return render(request, "neighbourhoods/councils.html", {"councils": council_list()})


@require_safe
def council(request: HttpRequest, slug: str) -> HttpResponse:
    found = _council(slug)
    return render(
        request,
        "neighbourhoods/council.html",
        {"council": found, "page_council": found, "wards": selectors.wards_of(council=found)},
    )


@require_safe
def rules_page(request: HttpRequest, slug: str) -> HttpResponse:
    found = _council(slug)
    return render(
        request,
        "neighbourhoods/rules.html",
        {
            "council": found,
            "page_council": found,
            "rules": services.rules_ensure(council=found),
            "welsh": (get_language() or "en").startswith("cy"),
        },
    )


@require_safe
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    found = _council(slug)
    return render(
        request,
        "neighbourhoods/log.html",
        {
            "council": found,
            "page_council": found,
            "rows": selectors.moderation_log(council=found),
            "welsh": (get_language() or "en").startswith("cy"),
        },
    )


def _page(request, *, council, area, street, status=200, form=None, errors=None):
    offset = max(0, min(_int(request.GET.get("older")) or 0, 100_000))
    threads = selectors.threads_of(area=area, street=street, offset=offset)
    neighbour = services.neighbour_for(user=request.user) if request.user.is_authenticated else None
    context = {
        "council": council,
        "page_council": council,
        "area": area,
        "street": street,
        "threads": threads[: selectors.THREADS_PER_PAGE],
        "older": offset + selectors.THREADS_PER_PAGE
        if len(threads) > selectors.THREADS_PER_PAGE
        else None,
        "notices": selectors.notices_current(area=area) if street is None else [],
        "reports": _report_rows(selectors.reports_nearby(area=area, street=street)),
        "streets": selectors.streets_of(area=area, starting=request.GET.get("streets", "")[:40])
        if street is None
        else [],
        "neighbour": neighbour,
        "form": form or {},
        "errors": errors or {},
        "error_summary": _summary(errors or {}),
    }
    return render(request, "neighbourhoods/area.html", context, status=status)


def _report_rows(nearby) -> dict[str, list[dict]]:
    found = {}
    for name, listing in (("open", nearby.open), ("fixed", nearby.fixed)):
        for row in listing.rows:
            row["service_name"] = listing.services[row["service_id"]].display_name
        found[name] = listing.rows
    return found


@require_safe
def ward(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    found = _council(slug)
    return _page(request, council=found, area=_area(found, code), street=None)


@require_safe
def street(request: HttpRequest, slug: str, code: str, street_id: int) -> HttpResponse:
    found = _council(slug)
    area = _area(found, code)
    try:
        place = selectors.street_get(area=area, street_id=street_id)
    except NotFound as exc:
        _not_found(exc)
    return _page(request, council=found, area=area, street=place)


@csrf_protect
@require_POST
def thread_new(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    found = _council(slug)
    area = _area(found, code)
    place = None
    if request.POST.get("street"):
        try:
            place = selectors.street_get(area=area, street_id=int(request.POST["street"]))
        except (NotFound, ValueError) as exc:
            raise Http404("No such street") from exc
    if not request.user.is_authenticated:
        return _sign_in(request)
    form = {k: request.POST.get(k, "") for k in ("title", "body", "display_name")}
    if request.POST.get("website"):  # the honeypot: a person never sees it to fill it in
        return redirect(request.path.rsplit("/new", 1)[0] + "/")
    try:
        thread = services.thread_start(
            user=request.user,
            principal=_resident(request),
            area=area,
            street=place,
            title=form["title"],
            body=form["body"],
            display_name=form["display_name"] or None,
        )
    except InvalidInput as exc:
        return _page(
            request,
            council=found,
            area=area,
            street=place,
            status=400,
            form=form,
            errors=_errors(exc),
        )
    except PermissionDenied as exc:
        return _refused(request, exc)
    response = redirect("portal:neighbourhood_thread", thread_id=thread.id)
    response.status_code = 303
    return response


def _refused(request, exc: PermissionDenied) -> HttpResponse:
    message = _REFUSED.get(exc.code)
    return render(
        request,
        "neighbourhoods/refused.html",
        {"message": message or exc.message},
        status=403,
    )


def _thread_page(request, thread, *, status=200, form=None, errors=None):
    user_id = request.user.pk if request.user.is_authenticated else None
    posts = selectors.thread_posts(thread=thread, user_id=user_id, principal=Principal.anonymous())
    neighbour = services.neighbour_for(user=request.user) if user_id else None
    # No suggestion once the council is already dealing with it.
    suggestions = {} if thread.case_id else selectors.report_suggestions(thread=thread, posts=posts)
    return render(
        request,
        "neighbourhoods/thread.html",
        {
            "thread": thread,
            "council": thread.council,
            "page_council": thread.council,
            "posts": [
                (post, post_rules.render(post.body), suggestions.get(post.id)) for post in posts
            ],
            "case": selectors.case_status(thread=thread, language=get_language()),
            "rules": services.rules_ensure(council=thread.council),
            "neighbour": neighbour,
            "banned": bool(user_id)
            and bool(services.banned_until(user=request.user, council_id=thread.council_id)),
            "form": form or {},
            "errors": errors or {},
            "error_summary": _summary(errors or {}),
            "user_id": user_id,
        },
        status=status,
    )


def _thread(thread_id: int):
    try:
        return selectors.thread_get(thread_id=thread_id)
    except NotFound as exc:
        _not_found(exc)


@require_safe
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    return _thread_page(request, _thread(thread_id))


@csrf_protect
@require_POST
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    found = _thread(thread_id)
    if not request.user.is_authenticated:
        return _sign_in(request)
    if request.POST.get("website"):
        return redirect("portal:neighbourhood_thread", thread_id=found.id)
    form = {k: request.POST.get(k, "") for k in ("body", "display_name")}
    try:
        post = services.post_add(
            thread=found,
            user=request.user,
            principal=_resident(request),
            body=form["body"],
            display_name=form["display_name"] or None,
        )
    except InvalidInput as exc:
        return _thread_page(request, found, status=400, form=form, errors=_errors(exc))
    except PermissionDenied as exc:
        return _refused(request, exc)
    response = redirect(
        reverse("portal:neighbourhood_thread", kwargs={"thread_id": found.id}) + f"#post-{post.id}"
    )
    response.status_code = 303
    return response


def _post(post_id: int):
    try:
        return selectors.post_get(post_id=post_id)
    except NotFound as exc:
        _not_found(exc)


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def report_post(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post(post_id)
    if not request.user.is_authenticated:
        return _sign_in(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.post_report(
                post=post,
                user=request.user,
                principal=_resident(request),
                rule_id=_int(request.POST.get("rule")),
                note=request.POST.get("note", ""),
            )
        except InvalidInput as exc:
            errors = _errors(exc)
        else:
            return render(request, "neighbourhoods/reported.html", {"thread": post.thread})
    return render(
        request,
        "neighbourhoods/report.html",
        {
            "post": post,
            "rules": services.rules_ensure(council=post.thread.council),
            "errors": errors,
            "error_summary": _summary(errors),
            "welsh": (get_language() or "en").startswith("cy"),
        },
        status=400 if errors else 200,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def delete_post(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post(post_id)
    if not request.user.is_authenticated:
        return _sign_in(request)
    if post.author_id != request.user.pk:
        raise Http404("Not your post")
    if request.method == "POST":
        services.post_delete_own(post=post, user=request.user, principal=_resident(request))
        response = redirect("portal:neighbourhood_mine")
        response.status_code = 303
        return response
    return render(request, "neighbourhoods/delete.html", {"post": post})


@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    return render(
        request,
        "neighbourhoods/mine.html",
        {
            "posts": selectors.posts_of(user_id=request.user.pk),
            "decisions": selectors.decisions_about(user_id=request.user.pk),
            "welsh": (get_language() or "en").startswith("cy"),
        },
    )


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def appeal(request: HttpRequest, decision_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    try:
        decision = selectors.decision_for_subject(decision_id=decision_id, user_id=request.user.pk)
    except NotFound as exc:
        _not_found(exc)
    errors: dict[str, str] = {}
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            services.appeal_make(
                decision=decision, user=request.user, principal=_resident(request), reason=reason
            )
        except InvalidInput as exc:
            errors = _errors(exc)
        else:
            response = redirect(reverse("portal:neighbourhood_mine") + "#decisions")
            response.status_code = 303
            return response
    return render(
        request,
        "neighbourhoods/appeal.html",
        {
            "decision": decision,
            "reason": reason,
            "errors": errors,
            "error_summary": _summary(errors),
            "welsh": (get_language() or "en").startswith("cy"),
        },
        status=400 if errors else 200,
    )
