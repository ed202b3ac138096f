"""Reads of articles, every one access-checked: reading, searching, linking and listing all go
through `_scope_for` / `readable_articles`, so none of them can show an article to someone it is
not shared with (tests/test_isolation.py proves it for each)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from townsquare.accounts.principal import Principal
from townsquare.core import clock
from townsquare.core.errors import NotFound
from townsquare.wiki import policies
from townsquare.wiki.diffing import DiffRow, has_changes, side_by_side
from townsquare.wiki.models import Article, Comment, Revision, Space, Visibility, Watch
from townsquare.wiki.search import Scope, search_matches


def _member_space_ids(principal: Principal) -> set[int]:
    if not principal.roles:
        return set()
    councils = set(principal.council_ids)
    return set(
        Space.objects.filter(
            Q(council_id__in=councils) | Q(members__in=councils) | Q(open_to_all_councils=True)
        ).values_list("id", flat=True)
    )


def _scope_for(principal: Principal) -> Scope:
    if principal.is_platform_admin:
        return Scope(everything=True)
    return Scope(
        staff=policies.is_council_staff(principal),
        space_ids=tuple(sorted(_member_space_ids(principal))),
    )


def readable_articles(*, principal: Principal) -> QuerySet[Article]:
    scope = _scope_for(principal)
    qs = Article.objects.select_related("space")
    if scope.everything:
        return qs
    shared = Q(visibility=Visibility.PUBLIC)
    if scope.staff:
        shared |= Q(visibility=Visibility.STAFF)
    return qs.filter((Q(published=True) & shared) | Q(space_id__in=scope.space_ids))


def space_members(space: Space) -> frozenset[int] | None:
    """The councils owning a space, or None when every council does (the commons)."""
    if space.open_to_all_councils:
        return None
    ids = {m.id for m in space.members.all()}
    if space.council_id:
        ids.add(space.council_id)
    return frozenset(ids)


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    members: frozenset[int] | None
    may_edit: bool
    may_comment: bool
    may_moderate: bool
    # Awaiting approval, and whether this reader may give it (a member, not its author).
    may_approve: bool
    # A copy's source, when the reader may still read it; its newer revision, if any.
    source: Article | None
    source_changed: bool
    review_overdue: bool


def article_get(*, principal: Principal, article_id: int) -> ArticlePage:
    article = readable_articles(principal=principal).filter(id=article_id).first()
    if article is None:
        raise NotFound("No such article")
    members = space_members(article.space)
    source = None
    changed = False
    if article.copied_from_id:
        base = Revision.objects.select_related("article").get(id=article.copied_from_id)
        source = readable_articles(principal=principal).filter(id=base.article.id).first()
        changed = source is not None and source.revision_number > base.number
    return ArticlePage(
        article=article,
        members=members,
        may_edit=policies.may_edit(principal, members=members),
        may_comment=policies.may_comment(principal, visibility=article.visibility, members=members),
        may_moderate=policies.may_moderate_talk(principal, members=members),
        may_approve=not article.published
        and policies.may_approve(principal, members=members, author_id=article.owner_user_id),
        source=source,
        source_changed=changed,
        review_overdue=bool(article.review_by and article.review_by < clock.now().date()),
    )


def article_for_edit(*, principal: Principal, article_id: int) -> ArticlePage:
    page = article_get(principal=principal, article_id=article_id)
    if not page.may_edit:
        raise NotFound("No such article")
    return page


def links_resolve(
    *, principal: Principal, titles: list[str], prefer_space_id: int | None = None
) -> dict[str, int | None]:
    """Each [[title]] to the id of an article the reader may open, or None (missing, or not
    shared with the reader: the two look the same). The article's own space wins, then any."""
    if not titles:
        return {}
    wanted = Q()
    for title in titles:
        wanted |= Q(title__iexact=title)
    found: dict[str, int | None] = {t: None for t in titles}
    rows = (
        readable_articles(principal=principal).filter(wanted).values_list("id", "title", "space_id")
    )
    by_title: dict[str, list[tuple[int, int]]] = {}
    for article_id, title, space_id in rows:
        by_title.setdefault(title.casefold(), []).append((article_id, space_id))
    for title in titles:
        candidates = sorted(
            by_title.get(title.casefold(), []), key=lambda c: (c[1] != prefer_space_id, c[0])
        )
        if candidates:
            found[title] = candidates[0][0]
    return found


@dataclass(frozen=True)
class SearchHit:
    article: Article
    snippet_html: str


def articles_search(
    *,
    principal: Principal,
    query: str,
    space: str = "",
    tag: str = "",
    service: str = "",
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """Ranked matches among the articles the reader may read, with a highlighted snippet."""
    space_id = None
    if space:
        space_id = Space.objects.filter(slug=space).values_list("id", flat=True).first()
        if space_id is None:
            return []
    matches = search_matches(
        query,
        scope=_scope_for(principal),
        space_id=space_id,
        tag=tag.casefold().strip() or None,
        service=service.strip() or None,
        limit=limit,
        offset=offset,
    )
    articles = Article.objects.select_related("space").in_bulk([m.article_id for m in matches])
    return [
        SearchHit(article=articles[m.article_id], snippet_html=m.snippet_html)
        for m in matches
        if m.article_id in articles
    ]


def spaces_list() -> list[Space]:
    return list(Space.objects.order_by("kind", "name"))


def spaces_for_editing(*, principal: Principal) -> list[Space]:
    if principal.is_platform_admin:
        return spaces_list()
    ids = _member_space_ids(principal)
    return list(Space.objects.filter(id__in=ids).order_by("kind", "name"))


def council_space(*, council_id: int) -> Space | None:
    return Space.objects.filter(council_id=council_id).first()


def recent_articles(*, principal: Principal, limit: int = 20) -> list[Article]:
    return list(readable_articles(principal=principal).order_by("-updated_at", "-id")[:limit])


def overdue_for_review(*, principal: Principal, council_id: int) -> list[Article]:
    """Pages of the council's own space whose review date has passed, by owner."""
    today = clock.now().date()
    return list(
        readable_articles(principal=principal)
        .filter(space__council_id=council_id, review_by__lt=today)
        .order_by("owner_name", "review_by")
    )


def revisions_of(*, article: Article) -> list[Revision]:
    return list(article.revisions.order_by("-number"))


def revision_get(*, article: Article, number: int) -> Revision:
    revision = article.revisions.filter(number=number).first()
    if revision is None:
        raise NotFound("No such revision")
    return revision


@dataclass(frozen=True)
class Comparison:
    old: Revision
    new: Revision
    title_changed: bool
    rows: list[DiffRow]


def revisions_compare(*, article: Article, old: int, new: int) -> Comparison:
    a, b = revision_get(article=article, number=old), revision_get(article=article, number=new)
    return Comparison(
        old=a, new=b, title_changed=a.title != b.title, rows=side_by_side(a.body, b.body)
    )


def source_changes(*, principal: Principal, article: Article) -> Comparison | None:
    """What changed in a copy's source since the revision it was copied from (or last brought
    up to): None when it has not changed, or the reader may no longer read the source."""
    if not article.copied_from_id:
        return None
    base = Revision.objects.get(id=article.copied_from_id)
    source = readable_articles(principal=principal).filter(id=base.article_id).first()
    if source is None or source.revision_number <= base.number:
        return None
    return revisions_compare(article=source, old=base.number, new=source.revision_number)


def comments_of(*, article: Article) -> list[Comment]:
    return list(article.comments.order_by("created_at", "id"))


def is_watching(*, user_id: int, article: Article) -> bool:
    return Watch.objects.filter(user_id=user_id, article=article).exists()


def source_differs(*, article: Article, source: Article) -> bool:
    return has_changes(article.body, source.body)


def review_due(*, today: dt.date, article: Article) -> bool:
    return bool(article.review_by and article.review_by < today)


def help_for_service(*, council_id: int, service_code: str) -> Article | None:
    """The public article that is a service's help for residents ("Before you start"): the
    council's own first, else one in a space open to every council (the commons)."""
    candidates = (
        Article.objects.select_related("space")
        .filter(visibility=Visibility.PUBLIC, published=True)
        .filter(Q(space__council_id=council_id) | Q(space__open_to_all_councils=True))
        .filter(service_codes__contains=service_code)
        .order_by("-updated_at", "id")
    )
    found = [a for a in candidates[:20] if service_code in a.service_list]
    found.sort(key=lambda a: a.space.council_id != council_id)
    return found[0] if found else None


@dataclass(frozen=True)
class WatchedChange:
    article: Article
    seen_revision: int


def watched_changes(*, principal: Principal) -> list[WatchedChange]:
    """The digest: pages the person watches that changed since they last marked them seen,
    among those they may still read."""
    if principal.user_id is None:
        return []
    readable = readable_articles(principal=principal)
    watches = Watch.objects.filter(user_id=principal.user_id).values_list(
        "article_id", "seen_revision"
    )
    seen = dict(watches)
    changed = readable.filter(id__in=seen.keys()).order_by("-updated_at")
    return [
        WatchedChange(article=a, seen_revision=seen[a.id])
        for a in changed
        if a.revision_number > seen[a.id]
    ]
