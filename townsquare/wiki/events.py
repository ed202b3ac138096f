"""What happens to Municipedia articles, as typed events other apps may subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ArticleEvent(DomainEvent):
    # Articles may be private to their owner: the log shows them to staff only.
    visibility: ClassVar[str] = Visibility.INTERNAL
    article_id: int
    title: str


@dataclass(frozen=True)
class ArticleCreated(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_created"
    space: str
    article_visibility: str


@dataclass(frozen=True)
class ArticleRevised(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_revised"
    revision: int
    summary: str
    # "edit", "revert", "merge" (a concurrent edit merged), "source" (brought in from the source)
    how: str = "edit"


@dataclass(frozen=True)
class ArticleSettingsChanged(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_settings"
    article_visibility: str
    tags: str
    service_codes: str


@dataclass(frozen=True)
class ArticleCopied(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_copied"
    source_article_id: int
    source_revision: int


@dataclass(frozen=True)
class ArticleReviewed(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_reviewed"
    review_by: str


@dataclass(frozen=True)
class CommentPosted(ArticleEvent):
    kind: ClassVar[str] = "wiki.comment_posted"
    comment_id: int


@dataclass(frozen=True)
class CommentHidden(ArticleEvent):
    kind: ClassVar[str] = "wiki.comment_hidden"
    comment_id: int
    reason: str


@dataclass(frozen=True)
class ArticleApproved(ArticleEvent):
    kind: ClassVar[str] = "wiki.article_approved"
