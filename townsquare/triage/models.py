from __future__ import annotations

from django.conf import settings
from django.db import models


class PrivateOriginal(models.Model):
    """The words a person sent, kept for staff, when the public copy on the case had personal
    data taken out of it (ADR 201). Deleted with the case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=30)
    original = models.TextField()
    # The kinds hidden (townsquare.triage.personal_data.KINDS), never the values.
    kinds = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "field"], name="triage_one_original_per_field")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}.{self.field}"


class SuggestionKind(models.TextChoices):
    CATEGORY = "category", "Category"
    DUPLICATE = "duplicate", "Duplicate"


class SuggestionDecision(models.Model):
    """A member of staff accepting or rejecting one suggestion on a case: what the acceptance
    rates per council and month are counted from."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=SuggestionKind.choices)
    # A service code or a case reference.
    suggested = models.CharField(max_length=100)
    accepted = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["council", "decided_at"], name="triage_decision_council_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.suggested}: {'yes' if self.accepted else 'no'}"
