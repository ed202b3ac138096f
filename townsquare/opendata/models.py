from __future__ import annotations

from django.db import models


class ImportedRecord(models.Model):
    """One row of another system already imported as a case: what makes re-running an import
    change nothing. Written in the same transaction as the case."""

    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    source = models.CharField(max_length=40)
    source_id = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "source", "source_id"], name="imported_once_per_council"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"
