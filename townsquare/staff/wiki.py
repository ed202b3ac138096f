"""Municipedia pages under /wiki/: staff read, search, write, compare, revert, copy and discuss
articles; anyone else (residents, anonymous people) reads public articles only.

Every read goes through townsquare.wiki.selectors, which check who may read what; these views
only parse, call and render.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.principal import Principal
from townsquare.catalogue.selectors import service_get
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.councils.selectors import council_get
from townsquare.insights.selectors import dashboard_get, default_filters
from townsquare.staff.access import staff_context, staff_render, staff_view
from townsquare.wiki import selectors, services
from townsquare.wiki.models import Article, Visibility
from townsquare.wiki.rendering import render as render_markdown

PAGE_SIZE = 20


def _principal(request: HttpRequest) -> Principal:
    staff = getattr(request, "staff", None)
    if staff is not None:
        return staff.principal
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # A resident: no roles, so public articles only.
        return Principal(user_id=user.pk, label=str(user))
    return Principal.anonymous()


def _open_to_all(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff see the staff page; anyone else is served the public page (public articles)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = staff_context(request)
        if context is not None:
            request.staff = context
        response = view(request, *args, **kwargs)
        if context is not None:
            response.headers.setdefault("Cache-Control", "no-store, private")
        return response

    return wrapped


def figures_renderer() -> Callable[[str, str], str]:
    """figure_html for one render: each council's dashboard is read once however many of its
    figures the article embeds."""
    boards: dict[int, tuple[Any, Any]] = {}

    def board(council: Any) -> tuple[Any, Any]:
        if council.id not in boards:
            filters = default_filters(council=council)
            boards[council.id] = (filters, dashboard_get(council=council, filters=filters))
        return boards[council.id]

    return functools.partial(figure_html, dashboards=board)


def figure_html(
    council_slug: str,
    service_code: str,
    *,
    dashboards: Callable[[Any], tuple[Any, Any]] | None = None,
) -> str:
    """A council's live figures for one public service over the last 12 months of data, from
    insights' dashboard selector. Nothing for a private service or an unknown one."""
    try:
        council = council_get(slug=council_slug)
        service = service_get(council=council, code=service_code)
    except NotFound:
        return format_html(
            '<p class="govuk-body ts-secondary">No figures: {} has no service {}.</p>',
            council_slug,
            service_code,
        )
    if service.privacy != "public":
        return ""
    if dashboards is not None:
        filters, dashboard = dashboards(council)
    else:
        filters = default_filters(council=council)
        dashboard = dashboard_get(council=council, filters=filters)
    row = next((c for c in dashboard.categories if c.service_id == service.id), None)
    opened = row.opened if row else 0
    closed = row.closed if row else 0
    median = (
        f"{row.median_hours / 24:.1f} days" if row and row.median_hours is not None else "none yet"
    )
    within = f"{row.sla_percent:.0f}%" if row and row.sla_percent is not None else "none yet"
    return format_html(
        '<figure class="ts-wiki-figure" aria-labelledby="fig-{}-{}">'
        '<figcaption class="govuk-heading-s" id="fig-{}-{}">{}: {}, live figures, {} to {}'
        "</figcaption>"
        '<dl class="govuk-summary-list govuk-summary-list--no-border">'
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Reported</dt>'
        '<dd class="govuk-summary-list__value">{}</dd></div>'
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Fixed</dt>'
        '<dd class="govuk-summary-list__value">{}</dd></div>'
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Median time '
        'to fix</dt><dd class="govuk-summary-list__value">{}</dd></div>'
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Fixed within '
        'target</dt><dd class="govuk-summary-list__value">{}</dd></div></dl></figure>',
        council.slug,
        service.code,
        council.slug,
        service.code,
        council.name,
        service.name,
        filters.start.strftime("%-d %b %Y"),
        filters.end.strftime("%-d %b %Y"),
        f"{opened:,}",
        f"{closed:,}",
        median,
        within,
    )


def article_html(
    *, principal: Principal, article: Article, body: str, staff: bool, figures: bool = True
) -> str:
    def resolve(titles: list[str]) -> dict[str, str | None]:
        found = selectors.links_resolve(
            principal=principal, titles=titles, prefer_space_id=article.space_id
        )
        return {t: reverse("wiki:article", args=[i]) if i else None for t, i in found.items()}

    def missing(title: str) -> str:
        return f"{reverse('wiki:new')}?{urlencode({'title': title})}" if staff else ""

    return render_markdown(
        body,
        resolve_links=resolve,
        render_figure=figures_renderer() if figures else None,
        missing_link_url=missing,
    ).html


def _article_page(request: HttpRequest, article_id: int) -> selectors.ArticlePage:
    try:
        return selectors.article_get(principal=_principal(request), article_id=article_id)
    except NotFound:
        raise Http404("No such article") from None


def _editable(request: HttpRequest, article_id: int) -> selectors.ArticlePage:
    try:
        return selectors.article_for_edit(principal=request.staff.principal, article_id=article_id)
    except NotFound:
        raise Http404("No such article") from None


@_open_to_all
def index(request: HttpRequest) -> HttpResponse:
    principal = _principal(request)
    recent = selectors.recent_articles(principal=principal, limit=PAGE_SIZE)
    if getattr(request, "staff", None) is None:
        return render(request, "wiki_public/index.html", {"articles": recent})
    overdue = selectors.overdue_for_review(principal=principal, council_id=request.staff.council.id)
    return staff_render(
        request,
        "wiki/index.html",
        {
            "articles": recent,
            "overdue": overdue,
            "spaces": selectors.spaces_list(),
            "watched": selectors.watched_changes(principal=principal),
        },
    )


@staff_view()
@require_POST
def watched_seen(request: HttpRequest) -> HttpResponse:
    services.watches_mark_seen(principal=request.staff.principal)
    return redirect("wiki:index")


@_open_to_all
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    filters = {
        name: request.GET.get(name, "")[:100].strip() for name in ("space", "tag", "service")
    }
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    hits = selectors.articles_search(
        principal=_principal(request),
        query=query,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
        **filters,
    )
    more = len(hits) > PAGE_SIZE
    context = {
        "q": query,
        "filters": filters,
        "hits": hits[:PAGE_SIZE],
        "page": page,
        "next_page": page + 1 if more else None,
        "spaces": selectors.spaces_list(),
    }
    if getattr(request, "staff", None) is None:
        return render(request, "wiki_public/search.html", context)
    return staff_render(request, "wiki/search.html", context)


@_open_to_all
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    principal = _principal(request)
    staff = getattr(request, "staff", None) is not None
    item = page.article
    if not staff:
        welsh = translation.get_language() == "cy" and item.body_cy.strip()
        return render(
            request,
            "wiki_public/article.html",
            {
                "article": item,
                "title": item.title_cy if welsh and item.title_cy else item.title,
                "body_html": article_html(
                    principal=principal,
                    article=item,
                    body=item.body_cy if welsh else item.body,
                    staff=False,
                ),
            },
        )
    return staff_render(
        request,
        "wiki/article.html",
        {
            "page": page,
            "article": item,
            "body_html": article_html(
                principal=principal, article=item, body=item.body, staff=True
            ),
            "watching": selectors.is_watching(user_id=principal.user_id, article=item)
            if principal.user_id
            else False,
            "own_council_space": selectors.council_space(council_id=request.staff.council.id),
        },
    )


def _form_values(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "title": post.get("title", "").strip(),
        "body": post.get("body", "").replace("\r\n", "\n"),
        "title_cy": post.get("title_cy", "").strip(),
        "body_cy": post.get("body_cy", "").replace("\r\n", "\n"),
        "summary": post.get("summary", "").strip(),
        "visibility": post.get("visibility", Visibility.PRIVATE),
        "tags": post.get("tags", ""),
        "service_codes": post.get("service_codes", ""),
        "lgsl": post.get("lgsl", "").strip(),
        "owner_name": post.get("owner_name", "").strip(),
        "review_by": post.get("review_by", "").strip(),
    }


def _parse_extras(values: dict[str, Any]) -> tuple[int | None, dt.date | None, dict[str, str]]:
    errors = {}
    lgsl = None
    if values["lgsl"]:
        try:
            lgsl = int(values["lgsl"])
        except ValueError:
            errors["lgsl"] = "Enter the Local Government Service List number as digits"
    review_by = None
    if values["review_by"]:
        try:
            review_by = dt.date.fromisoformat(values["review_by"])
        except ValueError:
            errors["review_by"] = "Enter the review date as YYYY-MM-DD, for example 2027-06-30"
    return lgsl, review_by, errors


def _problems(exc: InvalidInput) -> dict[str, str]:
    return {field: str(problems[0]) for field, problems in exc.problems.items()}


@staff_view()
def new(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    spaces = selectors.spaces_for_editing(principal=staff.principal)
    own = selectors.council_space(council_id=staff.council.id)
    if own is None:
        own = services.council_space_ensure(council=staff.council)
        spaces = selectors.spaces_for_editing(principal=staff.principal)
    values: dict[str, Any] = {
        "title": request.GET.get("title", "")[:200],
        "visibility": Visibility.PRIVATE,
        "space": own.slug,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {**_form_values(request), "space": request.POST.get("space", "")}
        space = next((s for s in spaces if s.slug == values["space"]), None)
        lgsl, review_by, errors = _parse_extras(values)
        if space is None:
            errors["space"] = "Choose where the article belongs"
        if not errors:
            try:
                created = services.article_create(
                    principal=staff.principal,
                    council_id=staff.council.id,
                    space=space,
                    title=values["title"],
                    body=values["body"],
                    visibility=values["visibility"],
                    tags=values["tags"],
                    service_codes=values["service_codes"],
                    lgsl=lgsl,
                    title_cy=values["title_cy"],
                    body_cy=values["body_cy"],
                    owner_name=values["owner_name"],
                    review_by=review_by,
                )
                return redirect("wiki:article", created.id)
            except InvalidInput as exc:
                errors = _problems(exc)
    return staff_render(
        request,
        "wiki/edit.html",
        {
            "values": values,
            "errors": errors,
            "spaces": spaces,
            "visibilities": Visibility.choices,
            "creating": True,
        },
        status=400 if errors else 200,
    )


@staff_view()
def edit(request: HttpRequest, article_id: int) -> HttpResponse:
    staff = request.staff
    page = _editable(request, article_id)
    item = page.article
    values: dict[str, Any] = {
        "title": item.title,
        "body": item.body,
        "title_cy": item.title_cy,
        "body_cy": item.body_cy,
        "visibility": item.visibility,
        "tags": item.tags,
        "service_codes": item.service_codes,
        "lgsl": item.lgsl or "",
        "owner_name": item.owner_name,
        "review_by": item.review_by.isoformat() if item.review_by else "",
        "summary": "",
    }
    base = item.revision_number
    errors: dict[str, str] = {}
    conflict = None
    if request.method == "POST":
        values = _form_values(request)
        try:
            base = int(request.POST.get("base_revision", ""))
        except ValueError:
            base = item.revision_number
        lgsl, review_by, errors = _parse_extras(values)
        if not errors:
            try:
                outcome = services.article_edit(
                    principal=staff.principal,
                    council_id=staff.council.id,
                    article=item,
                    base_revision=base,
                    title=values["title"],
                    body=values["body"],
                    title_cy=values["title_cy"],
                    body_cy=values["body_cy"],
                    summary=values["summary"],
                )
                changed_settings = (
                    values["visibility"],
                    services.normalise_words(values["tags"]),
                    " ".join(values["service_codes"].split()),
                    lgsl,
                    values["owner_name"],
                    review_by,
                ) != (
                    item.visibility,
                    item.tags,
                    item.service_codes,
                    item.lgsl,
                    item.owner_name,
                    item.review_by,
                )
                if changed_settings:
                    services.article_settings_set(
                        principal=staff.principal,
                        council_id=staff.council.id,
                        article=outcome.article,
                        visibility=values["visibility"],
                        tags=values["tags"],
                        service_codes=values["service_codes"],
                        lgsl=lgsl,
                        owner_name=values["owner_name"],
                        review_by=review_by,
                    )
                url = reverse("wiki:article", args=[item.id])
                return redirect(f"{url}?merged=1" if outcome.merged else url)
            except services.EditConflict as exc:
                conflict = exc.theirs
                base = exc.theirs.number
            except InvalidInput as exc:
                errors = _problems(exc)
    return staff_render(
        request,
        "wiki/edit.html",
        {
            "page": page,
            "article": item,
            "values": values,
            "errors": errors,
            "base_revision": base,
            "conflict": conflict,
            "visibilities": Visibility.choices,
            "creating": False,
        },
        status=409 if conflict else 400 if errors else 200,
    )


@staff_view()
def history(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    return staff_render(
        request,
        "wiki/history.html",
        {
            "page": page,
            "article": page.article,
            "revisions": selectors.revisions_of(article=page.article),
        },
    )


@staff_view()
@require_GET
def diff(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    item = page.article
    try:
        old = int(request.GET.get("old", max(1, item.revision_number - 1)))
        new = int(request.GET.get("new", item.revision_number))
        comparison = selectors.revisions_compare(article=item, old=old, new=new)
    except (ValueError, NotFound):
        raise Http404("No such revision") from None
    return staff_render(
        request, "wiki/diff.html", {"page": page, "article": item, "comparison": comparison}
    )


@staff_view()
@require_POST
def revert(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _editable(request, article_id)
    try:
        number = int(request.POST.get("number", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose a revision to revert to")
    try:
        services.article_revert(
            principal=request.staff.principal,
            council_id=request.staff.council.id,
            article=page.article,
            to_number=number,
        )
    except NotFound:
        raise Http404("No such revision") from None
    return redirect("wiki:article", page.article.id)


@staff_view()
@require_POST
def copy(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    staff = request.staff
    try:
        created = services.article_copy(
            principal=staff.principal,
            council_id=staff.council.id,
            council=staff.council,
            source=page.article,
        )
    except (NotFound, PermissionDenied):
        raise Http404("No such article") from None
    return redirect("wiki:article", created.id)


@staff_view()
def source_changes(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    comparison = selectors.source_changes(principal=request.staff.principal, article=page.article)
    return staff_render(
        request,
        "wiki/source_changes.html",
        {"page": page, "article": page.article, "comparison": comparison, "conflict": None},
    )


@staff_view()
@require_POST
def bring_in(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _editable(request, article_id)
    try:
        services.article_bring_in_source(
            principal=request.staff.principal,
            council_id=request.staff.council.id,
            article=page.article,
        )
    except NotFound:
        # Not a copy, or its source is no longer shared with this council: nothing to bring in.
        return redirect("wiki:article", page.article.id)
    except services.EditConflict as exc:
        comparison = selectors.source_changes(
            principal=request.staff.principal, article=page.article
        )
        return staff_render(
            request,
            "wiki/source_changes.html",
            {"page": page, "article": page.article, "comparison": comparison, "conflict": exc},
            status=409,
        )
    return redirect("wiki:article", page.article.id)


@staff_view()
@require_POST
def approve(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    if page.article.published:
        return redirect("wiki:article", page.article.id)
    if not page.may_approve:
        return staff_render(request, "staff/forbidden.html", {}, status=403)
    services.article_approve(
        principal=request.staff.principal,
        council_id=request.staff.council.id,
        article=page.article,
    )
    return redirect("wiki:article", page.article.id)


@staff_view()
@require_POST
def reviewed(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _editable(request, article_id)
    try:
        days = int(request.POST.get("review_in_days", "180"))
    except ValueError:
        days = 180
    services.article_mark_reviewed(
        principal=request.staff.principal,
        council_id=request.staff.council.id,
        article=page.article,
        review_in_days=days,
    )
    return redirect("wiki:article", page.article.id)


@staff_view()
@require_POST
def watch(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    services.watch_set(
        principal=request.staff.principal,
        article=page.article,
        watching=request.POST.get("watch") == "on",
    )
    return redirect("wiki:article", page.article.id)


@staff_view()
def talk(request: HttpRequest, article_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    error = ""
    if request.method == "POST":
        try:
            services.comment_post(
                principal=request.staff.principal,
                council_id=request.staff.council.id,
                article=page.article,
                body=request.POST.get("body", ""),
            )
            return redirect("wiki:talk", page.article.id)
        except InvalidInput as exc:
            error = next(iter(_problems(exc).values()))
        except PermissionDenied:
            raise Http404("No such article") from None
    return staff_render(
        request,
        "wiki/talk.html",
        {
            "page": page,
            "article": page.article,
            "comments": selectors.comments_of(article=page.article),
            "error": error,
            "reason_needed": request.GET.get("reason-needed", ""),
        },
        status=400 if error else 200,
    )


@staff_view()
@require_POST
def hide_comment(request: HttpRequest, article_id: int, comment_id: int) -> HttpResponse:
    page = _article_page(request, article_id)
    comment = next(
        (c for c in selectors.comments_of(article=page.article) if c.id == comment_id), None
    )
    if comment is None or not page.may_moderate:
        raise Http404("No such comment")
    try:
        services.comment_hide(
            principal=request.staff.principal,
            council_id=request.staff.council.id,
            comment=comment,
            reason=request.POST.get("reason", ""),
        )
    except InvalidInput:
        return redirect(
            f"{reverse('wiki:talk', args=[page.article.id])}?reason-needed={comment.id}"
        )
    return redirect("wiki:talk", page.article.id)
