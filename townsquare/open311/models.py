from __future__ import annotations

from django.db import models


class PendingRequest(models.Model):
    """A request to a batch service: accepted and validated, given a token, created by the worker.

    `payload` holds the validated arguments for case_create; it is cleared once the case exists.
    """

    token = models.CharField(max_length=40, unique=True)
    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict)
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.token


class ClientRequestKey(models.Model):
    """A client's idempotency key (Idempotency-Key header, or FixMyStreet's report URL) and
    what it created, so a retried POST returns the first answer instead of a second case."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.CASCADE, related_name="+")
    pending = models.ForeignKey(
        PendingRequest, null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "key_hash"], name="one_request_per_client_key"
            )
        ]

    def __str__(self) -> str:
        return self.key_hash[:12]


class ClientUpdate(models.Model):
    """An update a client posted (FixMyStreet's update_id) and the event it became."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    # "<api key id>:<the client's id>": up to 19 digits, a colon and 100 characters.
    client_update_id = models.CharField(max_length=120)
    event_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "client_update_id"], name="one_event_per_client_update"
            )
        ]

    def __str__(self) -> str:
        return self.client_update_id
