"""Reads for payments, access-checked where staff read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.catalogue.fees import Fee
from townsquare.core.errors import PermissionDenied
from townsquare.councils.models import Council
from townsquare.payments import policies
from townsquare.payments.models import Method, PayAccount, Payment, Refund, Status
from townsquare.payments.services import case_fee, refund_available


@dataclass(frozen=True)
class CasePayment:
    """Where a case stands on its fee, for the applicant's and the staff's pages."""

    fee: Fee | None
    paid: Payment | None  # the successful payment, if any (never paid without one)
    awaiting: Payment | None  # an offline payment staff have still to record
    last: Payment | None  # the latest attempt of any kind
    attempts: list[Payment] = field(default_factory=list)
    refunded: int = 0
    refund_available: int = 0
    online: bool = False

    @property
    def due(self) -> bool:
        return self.fee is not None and self.fee.amount > 0 and self.paid is None


def case_payment(*, case: Case) -> CasePayment:
    attempts = list(
        Payment.objects.filter(case=case).prefetch_related("refunds").order_by("created_at", "id")
    )
    paid = next((p for p in attempts if p.status == Status.SUCCESS), None)
    awaiting = next((p for p in attempts if p.status == Status.AWAITING), None)
    refunded = sum(
        r.amount for p in attempts for r in p.refunds.all() if r.status != Refund.Status.ERROR
    )
    account = PayAccount.objects.filter(council_id=case.council_id).first()
    return CasePayment(
        fee=case_fee(case),
        paid=paid,
        awaiting=awaiting,
        last=attempts[-1] if attempts else None,
        attempts=attempts,
        refunded=refunded,
        refund_available=refund_available(paid) if paid else 0,
        online=bool(account and account.online_enabled and account.api_key_sealed),
    )


def case_payment_for_staff(*, principal: Principal, case: Case) -> CasePayment:
    if not policies.can_see_payments(principal, case.council_id):
        raise PermissionDenied("You cannot see this council's payments")
    return case_payment(case=case)


def pay_account_for(*, council: Council) -> PayAccount | None:
    return PayAccount.objects.filter(council=council).first()


def payment_get_for_staff(*, principal: Principal, payment_id: int, case: Case) -> Payment:
    if not policies.can_see_payments(principal, case.council_id):
        raise PermissionDenied("You cannot see this council's payments")
    return Payment.objects.select_related("case").get(pk=payment_id, case=case)


# -- reconciliation


@dataclass
class ReconciliationLine:
    service_code: str
    finance_code: str
    method: str
    payments: int = 0
    payments_count: int = 0
    refunds: int = 0
    refunds_count: int = 0

    @property
    def net(self) -> int:
        return self.payments - self.refunds


@dataclass
class Reconciliation:
    council: Council
    day: dt.date
    lines: list[ReconciliationLine]
    payment_rows: list[Payment]
    refund_rows: list[Refund]

    @property
    def total_payments(self) -> int:
        return sum(line.payments for line in self.lines)

    @property
    def total_refunds(self) -> int:
        return sum(line.refunds for line in self.lines)

    @property
    def net(self) -> int:
        return self.total_payments - self.total_refunds

    def total_for(self, method: str) -> int:
        return sum(line.net for line in self.lines if line.method == method)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The council's day (Europe/London), as the finance team counts it."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    return start, end


def reconciliation(*, principal: Principal, council: Council, day: dt.date) -> Reconciliation:
    """A council's takings for a day: successful payments by when they were paid, refunds by
    when they were made (failed refunds left out), per service, finance code and method."""
    if not policies.can_reconcile(principal, council.id):
        raise PermissionDenied("Only a supervisor can see the council's reconciliation")
    start, end = _day_bounds(day)
    payments = list(
        Payment.objects.filter(
            council=council, status=Status.SUCCESS, paid_at__gte=start, paid_at__lt=end
        )
        .select_related("case")
        .order_by("paid_at", "id")
    )
    refunds = list(
        Refund.objects.filter(council=council, created_at__gte=start, created_at__lt=end)
        .exclude(status=Refund.Status.ERROR)
        .select_related("payment", "payment__case")
        .order_by("created_at", "id")
    )
    table: dict[tuple[str, str, str], ReconciliationLine] = {}
    for payment in payments:
        key = (payment.service_code, payment.finance_code, payment.method)
        line = table.setdefault(key, ReconciliationLine(*key))
        line.payments += payment.amount
        line.payments_count += 1
    for refund in refunds:
        p = refund.payment
        key = (p.service_code, p.finance_code, p.method)
        line = table.setdefault(key, ReconciliationLine(*key))
        line.refunds += refund.amount
        line.refunds_count += 1
    return Reconciliation(
        council=council,
        day=day,
        lines=[table[k] for k in sorted(table)],
        payment_rows=payments,
        refund_rows=refunds,
    )


METHOD_NAMES = dict(Method.choices)
