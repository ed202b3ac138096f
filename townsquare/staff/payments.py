"""Payments in the staff web: the payment panel on a case (refund, record a payment taken by
phone or at the counter) and the council's daily reconciliation with its CSV (issue 15)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST, require_safe

from townsquare.catalogue.fees import pounds
from townsquare.core import clock
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.payments import policies as payment_policies
from townsquare.payments import selectors, services
from townsquare.payments.models import Method, Status
from townsquare.staff.access import staff_render, staff_view


def panel(case, principal) -> dict[str, Any] | None:
    """The case page's payment panel; None for a service without a fee and no payments."""
    try:
        state = selectors.case_payment_for_staff(principal=principal, case=case)
    except PermissionDenied:
        return None
    if (state.fee is None or not state.fee.amount) and not state.attempts:
        return None
    return {
        "fee": pounds(state.fee.amount) if state.fee else "",
        "paid": state.paid,
        "paid_amount": pounds(state.paid.amount) if state.paid else "",
        "awaiting": state.awaiting,
        "attempts": [
            {
                "reference": p.reference,
                "amount": pounds(p.amount),
                "method": p.get_method_display(),
                "status": p.get_status_display(),
                "success": p.status == Status.SUCCESS,
                "when": p.paid_at or p.created_at,
                "offline_reference": p.offline_reference,
                "provider_id": p.provider_id,
                "refunds": [
                    {
                        "amount": pounds(r.amount),
                        "status": r.get_status_display(),
                        "reason": r.reason,
                        "when": r.created_at,
                    }
                    for r in p.refunds.all()
                ],
            }
            for p in state.attempts
        ],
        "refunded": pounds(state.refunded) if state.refunded else "",
        "refund_available": state.refund_available,
        "refund_available_pounds": pounds(state.refund_available),
        "can_refund": state.paid is not None
        and state.refund_available > 0
        and payment_policies.can_refund(principal, case.council_id),
        "can_record": state.due
        and payment_policies.can_record_offline_payment(principal, case.council_id),
        "offline_methods": [(Method.PHONE, "Card by phone"), (Method.COUNTER, "At the counter")],
    }


def _pence(raw: str) -> int | None:
    """ "12.50" or "£12.50" as 1250 pence; None when it is not an amount of money."""
    text = raw.strip().lstrip("£").replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or value <= 0:
        return None
    return int(value * 100)


@require_POST
@staff_view(payment_policies.can_refund)
def refund(request: HttpRequest, reference: str) -> HttpResponse:
    from townsquare.staff import casework

    def act(case):
        state = selectors.case_payment_for_staff(principal=request.staff.principal, case=case)
        if state.paid is None:
            raise InvalidInput({"amount": ["This case has no payment to refund"]}, code="invalid")
        whole = request.POST.get("extent") == "full"
        amount = state.refund_available if whole else _pence(request.POST.get("amount", ""))
        if amount is None:
            raise InvalidInput({"amount": ["Enter the amount in pounds, like 12.50"]}, code="x")
        outcome = services.refund_create(
            payment=state.paid,
            actor=request.staff.principal,
            amount=amount,
            reason=request.POST.get("reason", ""),
        )
        if outcome.refund.status == "error":
            raise InvalidInput(
                {"main": ["GOV.UK Pay did not take the refund; nothing was refunded. Try again."]},
                code="refused",
            )
        return case

    return casework._handle(request, reference, "refund", act, "Refund made")


@require_POST
@staff_view(payment_policies.can_record_offline_payment)
def record(request: HttpRequest, reference: str) -> HttpResponse:
    from townsquare.staff import casework

    def act(case):
        services.payment_record_offline(
            case=case,
            actor=request.staff.principal,
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
        )
        return case

    return casework._handle(request, reference, "payment", act, "Payment recorded")


def _day(request: HttpRequest) -> tuple[dt.date, str]:
    raw = request.GET.get("date", "")[:10]
    if not raw:
        return clock.now().astimezone().date(), ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return clock.now().astimezone().date(), "Enter a date like 2026-12-06"


@require_safe
@staff_view(payment_policies.can_reconcile)
def reconciliation(request: HttpRequest) -> HttpResponse:
    day, error = _day(request)
    found = selectors.reconciliation(
        principal=request.staff.principal, council=request.staff.council, day=day
    )
    return staff_render(
        request,
        "staff/payments/reconciliation.html",
        {
            "day": day,
            "error": error,
            "lines": [
                {
                    "service": line.service_code,
                    "finance_code": line.finance_code or "—",
                    "method": selectors.METHOD_NAMES.get(line.method, line.method),
                    "payments": pounds(line.payments),
                    "payments_count": line.payments_count,
                    "refunds": pounds(line.refunds),
                    "refunds_count": line.refunds_count,
                    "net": pounds(line.net),
                }
                for line in found.lines
            ],
            "total_payments": pounds(found.total_payments),
            "total_refunds": pounds(found.total_refunds),
            "net": pounds(found.net),
            "online_net": pounds(found.total_for(Method.CARD_ONLINE)),
        },
        status=400 if error else 200,
    )


def reconciliation_csv_text(found: selectors.Reconciliation) -> str:
    """The day's CSV: one row per payment and refund, then the totals by service, finance code
    and method, then the day's total (the CLI writes the same)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["kind", "date", "case", "service", "finance_code", "method", "pay_id", "amount", "net"]
    )
    net = 0
    for p in found.payment_rows:
        net += p.amount
        writer.writerow(
            [
                "payment",
                p.paid_at.isoformat() if p.paid_at else "",
                p.case.reference,
                p.service_code,
                p.finance_code,
                p.method,
                p.provider_id or p.offline_reference,
                f"{p.amount / 100:.2f}",
                f"{net / 100:.2f}",
            ]
        )
    for r in found.refund_rows:
        net -= r.amount
        writer.writerow(
            [
                "refund",
                r.created_at.isoformat(),
                r.payment.case.reference,
                r.payment.service_code,
                r.payment.finance_code,
                r.payment.method,
                r.provider_id,
                f"{-r.amount / 100:.2f}",
                f"{net / 100:.2f}",
            ]
        )
    for line in found.lines:
        writer.writerow(
            [
                "total",
                found.day.isoformat(),
                "",
                line.service_code,
                line.finance_code,
                line.method,
                "",
                f"{line.net / 100:.2f}",
                "",
            ]
        )
    writer.writerow(
        ["day_total", found.day.isoformat(), "", "", "", "", "", f"{found.net / 100:.2f}", ""]
    )
    return out.getvalue()


@require_safe
@staff_view(payment_policies.can_reconcile)
def reconciliation_csv(request: HttpRequest) -> HttpResponse:
    day, _error = _day(request)
    found = selectors.reconciliation(
        principal=request.staff.principal, council=request.staff.council, day=day
    )
    response = HttpResponse(reconciliation_csv_text(found), content_type="text/csv")
    name = f"reconciliation-{request.staff.council.slug}-{day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
