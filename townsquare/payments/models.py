"""Payments for cases: a council's GOV.UK Pay account, each attempt to pay, and refunds.

A case is paid when one of its payments succeeded (the constraint keeps it to one): the state is
never a flag on the case that could disagree with the payments behind it (ADR 163).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class PayAccount(models.Model):
    """A council's GOV.UK Pay service: its API key and webhook signing secret, both sealed
    (core.sealed) and never shown again once saved."""

    council = models.OneToOneField(
        "councils.Council", on_delete=models.CASCADE, related_name="pay_account"
    )
    api_key_sealed = models.TextField(blank=True, default="")
    webhook_secret_sealed = models.TextField(blank=True, default="")
    # The last characters of the key, so staff can tell which key is in use.
    api_key_hint = models.CharField(max_length=8, blank=True, default="")
    online_enabled = models.BooleanField(default=True)
    # "Pay by phone" and "pay at the counter": the case waits for staff to record the payment.
    offline_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Pay account of council {self.council_id}"


class Method(models.TextChoices):
    CARD_ONLINE = "card_online", "Card online (GOV.UK Pay)"
    PHONE = "phone", "Card payment by phone"
    COUNTER = "counter", "At the council's counter"


class Status(models.TextChoices):
    CREATED = "created", "Created"  # made here, not yet at Pay (or Pay did not answer)
    STARTED = "started", "Started"  # Pay made it: the person is on Pay's pages
    AWAITING = "awaiting", "Awaiting payment"  # offline: staff will record it
    SUCCESS = "success", "Paid"
    FAILED = "failed", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    ERROR = "error", "Error"


FINISHED = (Status.SUCCESS, Status.FAILED, Status.CANCELLED, Status.EXPIRED, Status.ERROR)


class Payment(models.Model):
    council = models.ForeignKey("councils.Council", on_delete=models.PROTECT)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="payments")
    service_code = models.CharField(max_length=50)
    finance_code = models.CharField(max_length=50, blank=True, default="")
    description = models.CharField(max_length=255)
    amount = models.PositiveIntegerField()  # pence
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    # Our reference at Pay (the case reference and attempt number) and Pay's id for it.
    reference = models.CharField(max_length=255)
    provider_id = models.CharField(max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=64, unique=True)
    # The secret part of the return address: only the browser we sent to Pay comes back with it.
    return_token = models.CharField(max_length=64, unique=True)
    next_url = models.URLField(max_length=2000, blank=True, default="")
    language = models.CharField(max_length=5, default="en")
    failure_code = models.CharField(max_length=20, blank=True, default="")
    # Offline payments: what staff recorded (a till receipt, a phone payment reference).
    offline_reference = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="success"), name="payments_one_success_per_case"
            ),
            models.UniqueConstraint(
                fields=["council", "provider_id"],
                condition=~Q(provider_id=""),
                name="payments_provider_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["council", "paid_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"


class Refund(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SUCCESS = "success", "Refunded"
        ERROR = "error", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    council = models.ForeignKey("councils.Council", on_delete=models.PROTECT)
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices)
    provider_id = models.CharField(max_length=64, blank=True, default="")
    actor_user_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["council", "created_at"])]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.payment_id}"
