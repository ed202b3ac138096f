"""Municipedia: articles that councils share, each one owned by a space.

A space is a council's own, a shared space (the commons, or a named group of councils such as a
shared service), or a partner body's (a health trust). Councils that are members of a space may
edit its articles and read its private ones; `open_to_all_councils` makes every council a member
(the commons) without listing them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SpaceKind(models.TextChoices):
    COUNCIL = "council", "Council"
    SHARED = "shared", "Shared space"
    PARTNER = "partner", "Partner body"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    STAFF = "staff", "Staff of every council"
    PRIVATE = "private", "Private to its owner"


class Space(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SpaceKind.choices)
    # The council a council space belongs to; empty for shared and partner spaces.
    council = models.OneToOneField(
        "councils.Council", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    members = models.ManyToManyField("councils.Council", blank=True, related_name="+")
    open_to_all_councils = models.BooleanField(default=False)
    # A draft in such a space waits for a member's approval before it is published.
    requires_approval = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="articles")
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # False while waiting for approval in a space that asks for one: until then only the
    # space's own councils may read it, whatever its visibility.
    published = models.BooleanField(default=True)
    # The current text, copied from the newest revision: reads never join the revisions.
    body = models.TextField(blank=True)
    title_cy = models.CharField(max_length=200, blank=True)
    body_cy = models.TextField(blank=True)
    revision_number = models.PositiveIntegerField(default=0)
    # Lower-case, space-separated: searched with the title and the body.
    tags = models.CharField(max_length=500, blank=True)
    # Service codes (catalogue) the article is about, space-separated.
    service_codes = models.CharField(max_length=500, blank=True)
    # The Local Government Service List number, where one exists.
    lgsl = models.PositiveIntegerField(null=True, blank=True)
    owner_name = models.CharField(max_length=200, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reviewed = models.DateField(null=True, blank=True)
    review_by = models.DateField(null=True, blank=True)
    # Where a copy came from: the source revision it was taken from (or last brought up to).
    copied_from = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    # Title, tags and body in one column: what full-text search indexes (SQLite FTS5 mirror,
    # PostgreSQL GIN index over its tsvector).
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "slug"], name="wiki_one_slug_per_space")
        ]
        indexes = [models.Index(fields=["visibility", "space"], name="wiki_article_vis")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def service_list(self) -> list[str]:
        return self.service_codes.split()


class Revision(models.Model):
    """Every edit, revert and copy is a revision; none is ever changed or removed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    title_cy = models.CharField(max_length=200, blank=True)
    body_cy = models.TextField(blank=True)
    summary = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    author_council = models.ForeignKey(
        "councils.Council", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="wiki_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class Comment(models.Model):
    """The talk page: staff discuss an article; staff of its owner hide a comment with a reason."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by_label = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"comment {self.id} on {self.article_id}"


class Watch(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The revision the watcher's last digest covered.
    seen_revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="wiki_one_watch_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.article_id}"
