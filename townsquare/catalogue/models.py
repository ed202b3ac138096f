from __future__ import annotations

from django.db import models
from django.utils import translation

from townsquare.catalogue.translations import translation_for


class ServiceTemplate(models.Model):
    """A council's service (e.g. "Pothole"). Its definition lives in versions; the newest
    published version is what new cases are created under."""

    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="services"
    )
    code = models.CharField(max_length=50)
    # Copied from the current version so catalogue listings need no JSON parsing.
    name = models.CharField(max_length=200)
    group = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    privacy = models.CharField(max_length=10)
    current_version = models.ForeignKey(
        "ServiceTemplateVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="service_code_per_council")
        ]

    def __str__(self) -> str:
        return self.name

    # What residents read: the name and group in the page's language when the template has a
    # translation (ADR 63), else the English ones. Load `current_version` with the service.
    @property
    def display_name(self) -> str:
        return self._translated("name") or self.name

    @property
    def display_group(self) -> str:
        return self._translated("group") or self.group

    def _translated(self, key: str) -> str:
        version = self.current_version
        if version is None or translation.get_language() in (None, "en"):
            return ""
        return translation_for(version.document, translation.get_language()).get(key, "")


class ServiceTemplateVersion(models.Model):
    """An immutable snapshot of a template; cases keep the version they were created under."""

    template = models.ForeignKey(ServiceTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["template_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"


class ServiceDraft(models.Model):
    """A template being edited in the service builder, not yet published. It may be invalid
    while being worked on; publishing validates it and makes a new ServiceTemplateVersion."""

    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="service_drafts"
    )
    document = models.JSONField()
    # Where it started: "scratch", "library:<file>", "service:<council slug>/<code>".
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by_label = models.CharField(max_length=200, blank=True)
    # Bumped by every save: two admins editing one draft get a conflict, not a lost edit.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Draft of {self.document.get('code', '?')}"
