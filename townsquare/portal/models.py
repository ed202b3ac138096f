"""State of the citizen web itself: one-time sign-in links and application drafts.

Neither is domain data. A case exists only once an application is submitted; until then the
answers belong to the person filling in the form, and are deleted after submission or expiry
(docs/adr/0060-citizen-web-state-in-portal.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SignInLink(models.Model):
    """A one-time link sent by email. Only a hash of the token is kept, so a copy of the
    database cannot be used to sign in."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    # Where to go after signing in (a path on this site, checked when the link is made).
    next_path = models.CharField(max_length=300, blank=True)
    # A keyed hash of the requester's address: enough to throttle, not to identify anyone.
    requester = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="signin_email_idx"),
            models.Index(fields=["requester", "created_at"], name="signin_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"sign-in link for {self.email}"


class ApplicationDraft(models.Model):
    """An application being filled in: answers so far, uploaded documents, and who may see it
    (a signed-in citizen, or the browser session that started it and anyone holding the resume
    link sent by email)."""

    key = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="application_drafts",
    )
    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    service_code = models.CharField(max_length=50)
    values = models.JSONField(default=dict, blank=True)
    # Codes of the questions answered, so "continue" goes to the first one not yet answered.
    answered = models.JSONField(default=list, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    resume_token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "updated_at"], name="draft_user_idx"),
            models.Index(fields=["expires_at"], name="draft_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"draft {self.service_code} {self.key[:6]}…"


class DraftDocument(models.Model):
    """A supporting document uploaded to a draft, checked and stored under a random name."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="drafts/%Y/%m/")
    # The name the person gave it, cleaned for display only; never used as a path.
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["draft_id", "id"]

    def __str__(self) -> str:
        return self.original_name
