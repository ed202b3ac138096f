"""What happens to payments, as typed events on the case's stream (the timeline and audit).

Internal: staff see them on the case's timeline; the applicant sees the payment on the track
page from the payments themselves. messaging sends the receipt on PaymentSucceeded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class PaymentEvent(DomainEvent):
    visibility: ClassVar[str] = Visibility.INTERNAL
    case_id: int
    reference: str
    payment_id: int
    amount: int
    method: str


@dataclass(frozen=True)
class PaymentStarted(PaymentEvent):
    kind: ClassVar[str] = "payment.started"


@dataclass(frozen=True)
class PaymentSucceeded(PaymentEvent):
    kind: ClassVar[str] = "payment.succeeded"
    provider_id: str = ""
    offline_reference: str = ""


@dataclass(frozen=True)
class PaymentNotCompleted(PaymentEvent):
    """Declined, cancelled, expired or failed at Pay: the person may try again."""

    kind: ClassVar[str] = "payment.not_completed"
    status: str = ""
    failure_code: str = ""


@dataclass(frozen=True)
class RefundRequested(PaymentEvent):
    kind: ClassVar[str] = "payment.refund"
    refund_id: int = 0
    refund_amount: int = 0
    reason: str = ""
    status: str = ""
