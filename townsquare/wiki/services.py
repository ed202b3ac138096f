"""Writes to articles: keyword-only, atomic, each one a revision and an event in the log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from townsquare.accounts.principal import Principal
from townsquare.core import clock
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.eventlog import append_event
from townsquare.wiki import events, policies
from townsquare.wiki.diffing import merge
from townsquare.wiki.models import Article, Comment, Revision, Space, SpaceKind, Visibility, Watch
from townsquare.wiki.rendering import search_text
from townsquare.wiki.selectors import readable_articles, space_members

COMMONS = "commons"


class EditConflict(Conflict):
    """Someone saved the article after the editor opened it, and the two edits touch the same
    lines: nothing is saved, and both texts go back to the editor."""

    def __init__(self, *, theirs: Revision, mine_title: str, mine_body: str) -> None:
        super().__init__("Someone else changed this article while you were editing it")
        self.theirs = theirs
        self.mine_title = mine_title
        self.mine_body = mine_body


@dataclass(frozen=True)
class EditOutcome:
    article: Article
    revision: Revision | None  # None: nothing changed
    merged: bool = False


def commons_ensure() -> Space:
    space, _ = Space.objects.get_or_create(
        slug=COMMONS,
        defaults={"name": "Commons", "kind": SpaceKind.SHARED, "open_to_all_councils": True},
    )
    return space


def council_space_ensure(*, council) -> Space:
    space = Space.objects.filter(council=council).first()
    if space is None:
        space = Space.objects.create(
            slug=f"council-{council.slug}",
            name=council.name,
            kind=SpaceKind.COUNCIL,
            council=council,
        )
    return space


def normalise_words(value: str) -> str:
    return " ".join(dict.fromkeys(value.casefold().replace(",", " ").split()))


def _check(title: str, visibility: str) -> None:
    problems = {}
    if not title.strip():
        problems["title"] = [Problem("Enter a title", code="required")]
    elif len(title) > 200:
        problems["title"] = [Problem("Title must be 200 characters or fewer", code="too_long")]
    if visibility not in Visibility.values:
        problems["visibility"] = [Problem("Choose who may read it", code="required")]
    if problems:
        raise InvalidInput(problems)


def _unique_slug(space: Space, title: str) -> str:
    base = slugify(title)[:100] or "article"
    slug, n = base, 1
    while Article.objects.filter(space=space, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _require_edit(principal: Principal, space: Space) -> frozenset[int] | None:
    members = space_members(space)
    if not policies.may_edit(principal, members=members):
        raise PermissionDenied("Only the space's councils may change its articles")
    return members


def _revise(
    *,
    article: Article,
    principal: Principal,
    council_id: int | None,
    title: str,
    body: str,
    title_cy: str,
    body_cy: str,
    summary: str,
    how: str,
) -> Revision:
    now = clock.now()
    number = article.revision_number + 1
    revision = Revision.objects.create(
        article=article,
        number=number,
        title=title,
        body=body,
        title_cy=title_cy,
        body_cy=body_cy,
        summary=summary[:300],
        author_id=principal.user_id,
        author_label=principal.label[:200],
        author_council_id=council_id,
        created_at=now,
    )
    article.title, article.body = title, body
    article.title_cy, article.body_cy = title_cy, body_cy
    article.revision_number = number
    article.updated_at = now
    article.search_text = search_text(title=title, tags=article.tag_list, body=body)
    article.save()
    append_event(
        events.ArticleRevised(
            article_id=article.id, title=title, revision=number, summary=summary[:300], how=how
        ),
        council_id=council_id,
        stream="wiki_article",
        stream_id=article.id,
        actor=principal.as_actor(),
    )
    return revision


def article_create(
    *,
    principal: Principal,
    council_id: int | None,
    space: Space,
    title: str,
    body: str,
    visibility: str = Visibility.PRIVATE,
    tags: str = "",
    service_codes: str = "",
    lgsl: int | None = None,
    title_cy: str = "",
    body_cy: str = "",
    owner_name: str = "",
    review_by: dt.date | None = None,
    summary: str = "Created",
    copied_from: Revision | None = None,
) -> Article:
    _check(title, visibility)
    with transaction.atomic():
        _require_edit(principal, space)
        now = clock.now()
        article = Article.objects.create(
            space=space,
            slug=_unique_slug(space, title),
            title=title.strip(),
            visibility=visibility,
            tags=normalise_words(tags),
            service_codes=" ".join(service_codes.split()),
            lgsl=lgsl,
            owner_name=owner_name or principal.label,
            owner_user_id=principal.user_id,
            review_by=review_by,
            last_reviewed=now.date(),
            published=not space.requires_approval,
            copied_from=copied_from,
            created_at=now,
            updated_at=now,
        )
        append_event(
            events.ArticleCreated(
                article_id=article.id,
                title=article.title,
                space=space.slug,
                article_visibility=visibility,
            ),
            council_id=council_id,
            stream="wiki_article",
            stream_id=article.id,
            actor=principal.as_actor(),
        )
        _revise(
            article=article,
            principal=principal,
            council_id=council_id,
            title=title.strip(),
            body=body,
            title_cy=title_cy,
            body_cy=body_cy,
            summary=summary,
            how="edit",
        )
    return article


def article_edit(
    *,
    principal: Principal,
    council_id: int | None,
    article: Article,
    base_revision: int,
    title: str,
    body: str,
    title_cy: str = "",
    body_cy: str = "",
    summary: str = "",
) -> EditOutcome:
    """Save an edit made from revision `base_revision`. When someone saved since, their changes
    and these are merged line by line; where they touch the same lines, EditConflict (nothing
    saved, both texts kept for the editor)."""
    _check(title, article.visibility)
    with transaction.atomic():
        # The row lock makes concurrent saves queue here, so each sees the other's revision.
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        _require_edit(principal, locked.space)
        merged = False
        if locked.revision_number != base_revision:
            base = Revision.objects.filter(article=locked, number=base_revision).first()
            theirs = Revision.objects.get(article=locked, number=locked.revision_number)
            combined = merge(base.body, body, theirs.body) if base else None
            if combined is None or (
                title != base.title and theirs.title != base.title and title != theirs.title
            ):
                raise EditConflict(theirs=theirs, mine_title=title, mine_body=body)
            body = combined
            title = title if title != base.title else theirs.title
            merged = True
        if (title, body, title_cy, body_cy) == (
            locked.title,
            locked.body,
            locked.title_cy,
            locked.body_cy,
        ):
            return EditOutcome(article=locked, revision=None)
        revision = _revise(
            article=locked,
            principal=principal,
            council_id=council_id,
            title=title.strip(),
            body=body,
            title_cy=title_cy,
            body_cy=body_cy,
            summary=summary or ("Merged with a concurrent edit" if merged else "Edited"),
            how="merge" if merged else "edit",
        )
    return EditOutcome(article=locked, revision=revision, merged=merged)


def article_revert(
    *, principal: Principal, council_id: int | None, article: Article, to_number: int
) -> Revision:
    """Make the text of revision `to_number` current again, as a new revision."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        _require_edit(principal, locked.space)
        old = Revision.objects.filter(article=locked, number=to_number).first()
        if old is None:
            raise NotFound("No such revision")
        return _revise(
            article=locked,
            principal=principal,
            council_id=council_id,
            title=old.title,
            body=old.body,
            title_cy=old.title_cy,
            body_cy=old.body_cy,
            summary=f"Reverted to revision {to_number}",
            how="revert",
        )


def article_settings_set(
    *,
    principal: Principal,
    council_id: int | None,
    article: Article,
    visibility: str,
    tags: str,
    service_codes: str,
    lgsl: int | None,
    owner_name: str,
    review_by: dt.date | None,
) -> Article:
    _check(article.title, visibility)
    with transaction.atomic():
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        _require_edit(principal, locked.space)
        locked.visibility = visibility
        locked.tags = normalise_words(tags)
        locked.service_codes = " ".join(service_codes.split())
        locked.lgsl = lgsl
        locked.owner_name = owner_name.strip()[:200]
        locked.review_by = review_by
        locked.search_text = search_text(title=locked.title, tags=locked.tag_list, body=locked.body)
        locked.updated_at = clock.now()
        locked.save()
        append_event(
            events.ArticleSettingsChanged(
                article_id=locked.id,
                title=locked.title,
                article_visibility=visibility,
                tags=locked.tags,
                service_codes=locked.service_codes,
            ),
            council_id=council_id,
            stream="wiki_article",
            stream_id=locked.id,
            actor=principal.as_actor(),
        )
    return locked


def article_copy(*, principal: Principal, council_id: int, council, source: Article) -> Article:
    """Copy an article the principal may read into their council's space, private, keeping a
    link to the source revision it was taken from."""
    if not readable_articles(principal=principal).filter(id=source.id).exists():
        raise NotFound("No such article")
    with transaction.atomic():
        space = council_space_ensure(council=council)
        revision = Revision.objects.get(article=source, number=source.revision_number)
        copy = article_create(
            principal=principal,
            council_id=council_id,
            space=space,
            title=source.title,
            body=source.body,
            visibility=Visibility.PRIVATE,
            tags=source.tags,
            service_codes=source.service_codes,
            lgsl=source.lgsl,
            title_cy=source.title_cy,
            body_cy=source.body_cy,
            summary=f"Copied from {source.space.name}, revision {revision.number}",
            copied_from=revision,
        )
        append_event(
            events.ArticleCopied(
                article_id=copy.id,
                title=copy.title,
                source_article_id=source.id,
                source_revision=revision.number,
            ),
            council_id=council_id,
            stream="wiki_article",
            stream_id=copy.id,
            actor=principal.as_actor(),
        )
    return copy


def article_bring_in_source(
    *, principal: Principal, council_id: int | None, article: Article
) -> EditOutcome:
    """Bring the source's changes since the copy into the copy, keeping the council's own
    changes; where both changed the same lines, EditConflict (nothing saved)."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        _require_edit(principal, locked.space)
        if locked.copied_from_id is None:
            raise NotFound("This article is not a copy")
        base = Revision.objects.get(id=locked.copied_from_id)
        if not readable_articles(principal=principal).filter(id=base.article_id).exists():
            raise NotFound("The source is no longer shared with you")
        latest = Revision.objects.filter(article_id=base.article_id).order_by("-number").first()
        combined = merge(base.body, locked.body, latest.body)
        if combined is None:
            raise EditConflict(theirs=latest, mine_title=locked.title, mine_body=locked.body)
        revision = None
        if combined != locked.body:
            revision = _revise(
                article=locked,
                principal=principal,
                council_id=council_id,
                title=locked.title,
                body=combined,
                title_cy=locked.title_cy,
                body_cy=locked.body_cy,
                summary=f"Brought in the source's changes up to revision {latest.number}",
                how="source",
            )
        Article.objects.filter(id=locked.id).update(copied_from=latest)
        locked.copied_from = latest
    return EditOutcome(article=locked, revision=revision, merged=True)


def article_mark_reviewed(
    *, principal: Principal, council_id: int | None, article: Article, review_in_days: int
) -> Article:
    with transaction.atomic():
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        _require_edit(principal, locked.space)
        today = clock.now().date()
        locked.last_reviewed = today
        locked.review_by = today + dt.timedelta(days=max(1, min(review_in_days, 3 * 366)))
        locked.save(update_fields=["last_reviewed", "review_by"])
        append_event(
            events.ArticleReviewed(
                article_id=locked.id, title=locked.title, review_by=locked.review_by.isoformat()
            ),
            council_id=council_id,
            stream="wiki_article",
            stream_id=locked.id,
            actor=principal.as_actor(),
        )
    return locked


def comment_post(
    *, principal: Principal, council_id: int | None, article: Article, body: str
) -> Comment:
    if not body.strip():
        raise InvalidInput({"body": [Problem("Enter a comment", code="required")]})
    members = space_members(article.space)
    if not policies.may_comment(principal, visibility=article.visibility, members=members):
        raise PermissionDenied("Only council staff who may read the article may comment")
    with transaction.atomic():
        comment = Comment.objects.create(
            article=article,
            body=body.strip()[:5000],
            author_id=principal.user_id,
            author_label=principal.label[:200],
            created_at=clock.now(),
        )
        append_event(
            events.CommentPosted(article_id=article.id, title=article.title, comment_id=comment.id),
            council_id=council_id,
            stream="wiki_article",
            stream_id=article.id,
            actor=principal.as_actor(),
        )
    return comment


def comment_hide(
    *, principal: Principal, council_id: int | None, comment: Comment, reason: str
) -> Comment:
    if not reason.strip():
        raise InvalidInput({"reason": [Problem("Say why the comment is hidden", code="required")]})
    article = comment.article
    if not policies.may_moderate_talk(principal, members=space_members(article.space)):
        raise PermissionDenied("Only staff of the article's owner may hide comments")
    with transaction.atomic():
        comment.hidden_reason = reason.strip()[:300]
        comment.hidden_by_label = principal.label[:200]
        comment.save(update_fields=["hidden_reason", "hidden_by_label"])
        append_event(
            events.CommentHidden(
                article_id=article.id,
                title=article.title,
                comment_id=comment.id,
                reason=comment.hidden_reason,
            ),
            council_id=council_id,
            stream="wiki_article",
            stream_id=article.id,
            actor=principal.as_actor(),
        )
    return comment


def watch_set(*, principal: Principal, article: Article, watching: bool) -> None:
    if principal.user_id is None:
        raise PermissionDenied("Sign in to watch a page")
    if watching:
        Watch.objects.get_or_create(
            article=article,
            user_id=principal.user_id,
            defaults={"seen_revision": article.revision_number},
        )
    else:
        Watch.objects.filter(article=article, user_id=principal.user_id).delete()


def watches_mark_seen(*, principal: Principal) -> int:
    """The digest has been read: every watched page counts as seen at its current revision."""
    if principal.user_id is None:
        return 0
    marked = 0
    with transaction.atomic():
        for watch in (
            Watch.objects.select_for_update()
            .filter(user_id=principal.user_id)
            .select_related("article")
        ):
            if watch.seen_revision != watch.article.revision_number:
                watch.seen_revision = watch.article.revision_number
                watch.save(update_fields=["seen_revision"])
                marked += 1
    return marked


def article_approve(*, principal: Principal, council_id: int | None, article: Article) -> Article:
    """Publish an article waiting for approval in a space that asks for one."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().select_related("space").get(id=article.id)
        if locked.published:
            return locked
        members = space_members(locked.space)
        if not policies.may_approve(principal, members=members, author_id=locked.owner_user_id):
            raise PermissionDenied("Another member of the space must approve it")
        locked.published = True
        locked.save(update_fields=["published"])
        append_event(
            events.ArticleApproved(article_id=locked.id, title=locked.title),
            council_id=council_id,
            stream="wiki_article",
            stream_id=locked.id,
            actor=principal.as_actor(),
        )
    return locked
