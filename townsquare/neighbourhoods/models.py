"""Neighbourhood discussion: threads on a ward's or a street's page, posts in them, and the
moderation that answers for them (ADR 180).

A page is a council's ward (councils.Area) or a street in that ward (councils.Place of kind
street); nothing is stored for the page itself, so every ward and street has one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What the public sees instead of a thread's title when its opening post is not shown.
WITHHELD_TITLE = _("A discussion whose first post is not shown")


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HELD = "held", "Held for review"
    HIDDEN = "hidden", "Hidden"
    REMOVED = "removed", "Removed"
    DELETED = "deleted", "Deleted by its author"


class Neighbour(models.Model):
    """What a resident chose to be called on neighbourhood pages, and whether a moderator has
    let their posts through yet (a new account's first post is held)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="neighbour"
    )
    display_name = models.CharField(max_length=60)
    trusted = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.display_name


class Thread(models.Model):
    council = models.ForeignKey("councils.Council", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("councils.Area", on_delete=models.PROTECT, related_name="+")
    # A street page's thread; null for the ward's own page.
    street = models.ForeignKey(
        "councils.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=150)
    locked = models.BooleanField(default=False)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_post_at = models.DateTimeField()
    # Visible posts, kept here so a ward page of a thousand threads needs no count query.
    post_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["area", "-last_post_at"], name="nh_thread_area_idx"),
            models.Index(fields=["street", "-last_post_at"], name="nh_thread_street_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def public_title(self) -> str:
        """The title as the public sees it: the opening post's author wrote it, so when that
        post is hidden, removed, held or deleted, its title goes with it (selectors annotate
        `opening_visibility`; without it the title is shown)."""
        shown = getattr(self, "opening_visibility", Visibility.VISIBLE) == Visibility.VISIBLE
        return self.title if shown else str(WITHHELD_TITLE)


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    display_name = models.CharField(max_length=60)
    # For an officer's post: the role and council it was written in, shown beside it.
    officer_role = models.CharField(max_length=60, blank=True)
    officer_council = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # A digest of the normalised body, to find the same text posted again.
    fingerprint = models.CharField(max_length=64, db_index=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    created_at = models.DateTimeField()
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["author", "-created_at"], name="nh_post_author_idx")]

    def __str__(self) -> str:
        return f"Post {self.pk} in thread {self.thread_id}"


class Rule(models.Model):
    """One of a council's house rules, published on its rules page; every moderation decision
    names one."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=40)
    title = models.CharField(max_length=120)
    title_cy = models.CharField(max_length=120, blank=True)
    description = models.TextField()
    description_cy = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="nh_rule_code_per_council")
        ]

    def __str__(self) -> str:
        return self.title


class Action(models.TextChoices):
    HIDE = "hide", "Hide"
    REMOVE = "remove", "Remove"
    EDIT_REQUEST = "edit_request", "Ask for an edit"
    LOCK = "lock", "Lock thread"
    BAN = "ban", "Ban"
    HOLD = "hold", "Hold for review"
    RESTORE = "restore", "Restore"
    RELEASE = "release", "Release held post"


class Decision(models.Model):
    """One moderation decision with the fields of an EU DSA statement of reasons: what was
    done, on which ground (the rule), the facts (the explanation), whether automated means
    found or decided it, who decided and when. The author is told, with a way to appeal."""

    council = models.ForeignKey("councils.Council", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=15, choices=Action.choices)
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    # Whom the decision is about (the post's author, or the person banned).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="decisions")
    explanation = models.TextField()
    automated = models.BooleanField(default=False)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator_label = models.CharField(max_length=200)
    decided_at = models.DateTimeField()
    # For a ban: until when (null: until lifted).
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["council", "decided_at"], name="nh_decision_log_idx")]

    def __str__(self) -> str:
        return f"{self.action} under {self.rule_id} at {self.decided_at:%Y-%m-%d}"


class Appeal(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        UPHELD = "upheld", "Decision upheld"
        REVERSED = "reversed", "Decision reversed"

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    answer = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Appeal of decision {self.decision_id}"


class PostReport(models.Model):
    """A resident's report that a post breaks a rule."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Report of post {self.post_id}"


class Notice(models.Model):
    """A council notice for a ward (road works, an event, a consultation) between two dates."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("councils.Area", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=150)
    body = models.TextField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["area", "ends_on"], name="nh_notice_area_idx")]

    def __str__(self) -> str:
        return self.title
