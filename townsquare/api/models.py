"""The REST API's own state (ADR 121): idempotency records and the call
log. None of it is domain data; townsquare/api/store.py is the one module that reads and
writes it."""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    """A create sent with an Idempotency-Key, and the answer it got: a retry with the same key
    and body gets the same answer instead of a second case."""

    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="one_answer_per_idem_key")
        ]

    def __str__(self) -> str:
        return self.key


class ApiCall(models.Model):
    """One call to the REST API, with the key that made it: the audit of reads as well as
    writes (writes also append their events, whose actor names the key)."""

    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.CASCADE, related_name="+")
    council_id = models.BigIntegerField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["council_id", "at"], name="api_call_council_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
