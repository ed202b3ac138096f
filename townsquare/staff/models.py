from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A queue filter and sort a staff member saved under a name, in one council."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    # The filter as URL parameters (cases.queues.QueueFilter.to_query) plus "sort".
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "council", "name"], name="saved_view_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
