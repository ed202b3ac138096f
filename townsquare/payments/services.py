"""Writes for payments: start a payment at GOV.UK Pay, learn how it ended, refunds, offline
payments and the council's Pay account. Keyword-only, atomic, each change an event on the
case's stream (the timeline and the audit).

Rules that make "paid" trustworthy whatever the order of returns, retries and webhooks (ADR 163):
the case exists before any payment (it is made on "Check your answers"), so it is made once;
a payment's outcome is only ever what Pay answers to GET /v1/payments/{id} (a return or a
webhook is only a hint to ask); a finished payment never changes state again; and the database
holds at most one successful payment per case.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.catalogue.fees import Fee, fee_for
from townsquare.core import clock
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.core.sealed import seal, unseal
from townsquare.councils.models import Council
from townsquare.payments import events, govuk_pay, policies
from townsquare.payments.govuk_pay import PayRefused, PayUnavailable
from townsquare.payments.models import FINISHED, Method, PayAccount, Payment, Refund, Status

log = logging.getLogger(__name__)

__all__ = ["PayRefused", "PayUnavailable"]

MAX_REASON = 500


class AlreadyPaid(Exception):
    """The case already has a successful payment: nothing more to pay."""


class NothingToPay(Exception):
    """The case's service charges no fee (or this council cannot take it online)."""


class WebhookUnverified(Exception):
    """A webhook without a valid Pay-Signature for the council's secret."""


def _actor(principal: Principal | None):
    from townsquare.core.actors import Actor

    return principal.as_actor() if principal is not None else Actor.system("GOV.UK Pay")


def _event(event: events.PaymentEvent, payment: Payment, principal: Principal | None) -> None:
    append_event(
        event,
        council_id=payment.council_id,
        stream="case",
        stream_id=payment.case_id,
        actor=_actor(principal),
    )


def _facts(payment: Payment) -> dict:
    return {
        "case_id": payment.case_id,
        "reference": payment.case.reference,
        "payment_id": payment.id,
        "amount": payment.amount,
        "method": payment.method,
    }


# -- the council's account


def pay_account_set(
    *,
    council: Council,
    actor: Principal,
    api_key: str = "",
    webhook_secret: str = "",
    online_enabled: bool = True,
    offline_enabled: bool = True,
) -> PayAccount:
    """Save the council's Pay settings; an empty key or secret keeps the one saved before."""
    if not policies.can_configure_pay(actor, council.id):
        raise PermissionDenied("Only a council admin can change the GOV.UK Pay settings")
    api_key, webhook_secret = api_key.strip(), webhook_secret.strip()
    if len(api_key) > 500 or len(webhook_secret) > 500:
        raise InvalidInput({"api_key": ["A key is at most 500 characters"]}, code="too_long")
    with transaction.atomic():
        account, _ = PayAccount.objects.select_for_update().get_or_create(
            council=council, defaults={"updated_at": clock.now()}
        )
        if api_key:
            account.api_key_sealed = seal(api_key)
            account.api_key_hint = api_key[-4:]
        if webhook_secret:
            account.webhook_secret_sealed = seal(webhook_secret)
        account.online_enabled = online_enabled
        account.offline_enabled = offline_enabled
        account.updated_at = clock.now()
        account.save()
    return account


def _api_key(council_id: int) -> str:
    account = PayAccount.objects.filter(council_id=council_id).first()
    key = unseal(account.api_key_sealed) if account else ""
    if not key:
        raise NothingToPay("This council does not take payments online")
    return key


# -- paying online


def case_fee(case: Case) -> Fee | None:
    """What the case costs, from its answers and the template version it was made under."""
    return fee_for(case.service_version.document, case.values)


def _outstanding(case: Case) -> Fee:
    fee = case_fee(case)
    if fee is None or fee.amount <= 0:
        raise NothingToPay("This service has no fee")
    if Payment.objects.filter(case=case, status=Status.SUCCESS).exists():
        raise AlreadyPaid(case.reference)
    return fee


def payment_start(
    *,
    case: Case,
    return_url: Callable[[str], str],
    language: str = "en",
    expected_amount: int | None = None,
) -> Payment:
    """Start paying for `case` at Pay: a new attempt (any earlier one still open is checked,
    and cancelled unless it succeeded), whose `next_url` the person is sent to.

    `return_url(token)` builds the address Pay sends the person back to. `expected_amount` is
    what the person was shown: when the fee is now different, InvalidInput (code
    "amount_changed") so the new amount is shown before paying. Raises AlreadyPaid,
    NothingToPay, and PayUnavailable/PayRefused (the attempt is kept as an error)."""
    for open_attempt in Payment.objects.filter(
        case=case, method=Method.CARD_ONLINE, status__in=[Status.CREATED, Status.STARTED]
    ):
        if open_attempt.provider_id:
            # Unanswered now: checked again on the next visit (the constraint still stops two
            # successful payments).
            with contextlib.suppress(PayUnavailable, PayRefused):
                open_attempt = payment_refresh(payment=open_attempt)
            if open_attempt.status not in FINISHED:
                # It may be finishing right now: the refresh below settles it.
                with contextlib.suppress(PayUnavailable, PayRefused):
                    govuk_pay.cancel_payment(
                        api_key=_api_key(case.council_id), payment_id=open_attempt.provider_id
                    )
                payment_refresh(payment=open_attempt)
        else:
            _finish(open_attempt, Status.ERROR, failure_code="abandoned", principal=None)
    fee = _outstanding(case)
    if expected_amount is not None and expected_amount != fee.amount:
        raise InvalidInput({"amount": ["The amount to pay has changed"]}, code="amount_changed")
    api_key = _api_key(case.council_id)
    now = clock.now()
    attempt = Payment.objects.filter(case=case).count() + 1
    with transaction.atomic():
        payment = Payment.objects.create(
            council_id=case.council_id,
            case=case,
            service_code=case.service.code,
            finance_code=fee.finance_code,
            description=fee.description,
            amount=fee.amount,
            method=Method.CARD_ONLINE,
            status=Status.CREATED,
            reference=f"{case.reference}-{attempt}",
            idempotency_key=secrets.token_hex(16),
            return_token=secrets.token_urlsafe(24),
            language=language if language in ("en", "cy") else "en",
            created_at=now,
            updated_at=now,
        )
    try:
        found = govuk_pay.create_payment(
            api_key=api_key,
            amount=payment.amount,
            reference=payment.reference,
            description=payment.description,
            return_url=return_url(payment.return_token),
            language=payment.language,
            metadata={
                "case_reference": case.reference,
                "service": payment.service_code,
                **({"finance_code": payment.finance_code} if payment.finance_code else {}),
            },
            idempotency_key=payment.idempotency_key,
            email=case.reporter_email,
        )
    except (PayUnavailable, PayRefused):
        _finish(payment, Status.ERROR, failure_code="create_failed", principal=None)
        raise
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.provider_id = found.payment_id
        payment.next_url = found.next_url
        payment.status = Status.STARTED
        payment.updated_at = clock.now()
        payment.save(update_fields=["provider_id", "next_url", "status", "updated_at"])
        _event(events.PaymentStarted(**_facts(payment)), payment, None)
    return payment


_FROM_PAY = {
    "success": Status.SUCCESS,
    "cancelled": Status.CANCELLED,
    "error": Status.ERROR,
}


def _finish(
    payment: Payment,
    status: str,
    *,
    failure_code: str = "",
    principal: Principal | None,
    offline_reference: str = "",
) -> Payment:
    """Move an unfinished payment to `status` once, with its event; a finished one is kept."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("case").get(pk=payment.pk)
        if payment.status in FINISHED:
            return payment
        now = clock.now()
        payment.status = status
        payment.failure_code = failure_code[:20]
        payment.updated_at = now
        if status == Status.SUCCESS:
            payment.paid_at = now
            payment.offline_reference = offline_reference
        try:
            with transaction.atomic():
                payment.save()
        except IntegrityError:
            # Another attempt for the case succeeded first (two tabs paid): this one is money
            # taken twice, kept as an error for staff to refund, never a second "paid".
            log.error("Second successful payment for case %s: %s", payment.case_id, payment.pk)
            payment.status = Status.ERROR
            payment.failure_code = "paid_twice"
            payment.paid_at = None
            payment.save()
        if payment.status == Status.SUCCESS:
            _event(
                events.PaymentSucceeded(
                    **_facts(payment),
                    provider_id=payment.provider_id,
                    offline_reference=payment.offline_reference,
                ),
                payment,
                principal,
            )
        else:
            _event(
                events.PaymentNotCompleted(
                    **_facts(payment), status=payment.status, failure_code=payment.failure_code
                ),
                payment,
                principal,
            )
    return payment


def payment_refresh(*, payment: Payment) -> Payment:
    """Ask Pay how `payment` stands and record it: the only way an online payment finishes.
    Raises PayUnavailable or PayRefused (nothing changes)."""
    if payment.status in FINISHED or not payment.provider_id:
        return payment
    found = govuk_pay.get_payment(
        api_key=_api_key(payment.council_id), payment_id=payment.provider_id
    )
    if found.payment_id != payment.provider_id or found.amount != payment.amount:
        log.error("GOV.UK Pay answered another payment for %s", payment.pk)
        return _finish(payment, Status.ERROR, failure_code="mismatch", principal=None)
    if not found.finished:
        return payment
    if found.status == "failed":
        status = Status.EXPIRED if found.code == "P0020" else Status.FAILED
    else:
        status = _FROM_PAY.get(found.status, Status.ERROR)
    return _finish(payment, status, failure_code=found.code, principal=None)


def payment_for_return(*, token: str) -> Payment:
    """The payment a browser comes back from Pay for (the token in its return address)."""
    payment = (
        Payment.objects.select_related("case", "council")
        .filter(return_token=token[:64], method=Method.CARD_ONLINE)
        .first()
        if token
        else None
    )
    if payment is None:
        raise NotFound("No payment has that return address")
    return payment


def webhook_receive(*, council: Council, body: bytes, signature: str) -> Payment | None:
    """A webhook from Pay for `council`: verified with the council's signing secret (else
    WebhookUnverified, nothing read), then taken as a hint to ask Pay about the payment."""
    account = PayAccount.objects.filter(council=council).first()
    secret = unseal(account.webhook_secret_sealed) if account else ""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else ""
    if not secret or not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookUnverified("Pay-Signature does not match")
    try:
        message = json.loads(body)
        provider_id = str(message["resource_id"])[:64]
    except (ValueError, KeyError, TypeError):
        return None
    payment = Payment.objects.filter(council=council, provider_id=provider_id).first()
    if payment is None:
        return None
    if message.get("event_type") == "card_payment_refunded":
        return payment  # refunds are recorded when staff make them
    return payment_refresh(payment=payment)


# -- offline payments


def payment_choose_offline(*, case: Case, method: str) -> Payment:
    """The applicant will pay by phone or at the counter: the case awaits payment until staff
    record it. Choosing again keeps the one awaiting payment."""
    if method not in (Method.PHONE, Method.COUNTER):
        raise InvalidInput({"method": ["Choose how you will pay"]}, code="invalid")
    fee = _outstanding(case)
    account = PayAccount.objects.filter(council_id=case.council_id).first()
    if account is not None and not account.offline_enabled:
        raise NothingToPay("This council does not take payments by phone or at the counter")
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        waiting = Payment.objects.filter(case=case, status=Status.AWAITING).first()
        if waiting is not None:
            waiting.method = method
            waiting.updated_at = clock.now()
            waiting.save(update_fields=["method", "updated_at"])
            return waiting
        now = clock.now()
        payment = Payment.objects.create(
            council_id=case.council_id,
            case=case,
            service_code=case.service.code,
            finance_code=fee.finance_code,
            description=fee.description,
            amount=fee.amount,
            method=method,
            status=Status.AWAITING,
            reference=f"{case.reference}-{Payment.objects.filter(case=case).count() + 1}",
            idempotency_key=secrets.token_hex(16),
            return_token=secrets.token_urlsafe(24),
            created_at=now,
            updated_at=now,
        )
        _event(events.PaymentStarted(**_facts(payment)), payment, None)
    return payment


def payment_record_offline(*, case: Case, actor: Principal, method: str, reference: str) -> Payment:
    """Staff took the fee by phone or at the counter: the case is paid."""
    if not policies.can_record_offline_payment(actor, case.council_id):
        raise PermissionDenied("You cannot record payments for this council")
    reference = reference.strip()[:100]
    if method not in (Method.PHONE, Method.COUNTER):
        raise InvalidInput({"method": ["Choose how the payment was made"]}, code="invalid")
    if not reference:
        raise InvalidInput({"reference": ["Enter the payment reference"]}, code="empty")
    fee = _outstanding(case)
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        payment = Payment.objects.filter(case=case, status=Status.AWAITING).first()
        if payment is None:
            payment = payment_choose_offline(case=case, method=method)
        payment.method = method
        payment.amount = fee.amount
        payment.save(update_fields=["method", "amount"])
        return _finish(payment, Status.SUCCESS, principal=actor, offline_reference=reference)


# -- refunds


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    available_after: int


def refund_available(payment: Payment) -> int:
    if payment.status != Status.SUCCESS:
        return 0
    taken = sum(r.amount for r in payment.refunds.all() if r.status != Refund.Status.ERROR)
    return max(payment.amount - taken, 0)


def refund_create(*, payment: Payment, actor: Principal, amount: int, reason: str) -> RefundOutcome:
    """Give back `amount` pence of a successful payment (in full or part), with a reason. Online
    payments are refunded through Pay (naming the amount still available, so two refunds at
    once cannot both go through); offline ones are recorded as paid back by the council."""
    if not policies.can_refund(actor, payment.council_id):
        raise PermissionDenied("Only a supervisor can refund payments")
    reason = " ".join(reason.split())[:MAX_REASON]
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Enter the reason for the refund"]
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("case").get(pk=payment.pk)
        available = refund_available(payment)
        if payment.status != Status.SUCCESS:
            errors["amount"] = ["Only a successful payment can be refunded"]
        elif not 1 <= amount <= available:
            errors["amount"] = [f"Enter an amount between £0.01 and £{available / 100:,.2f}"]
        if errors:
            raise InvalidInput(errors, code="invalid")
        now = clock.now()
        refund = Refund.objects.create(
            payment=payment,
            council_id=payment.council_id,
            amount=amount,
            reason=reason,
            status=Refund.Status.SUBMITTED,
            actor_user_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
    if payment.method == Method.CARD_ONLINE:
        try:
            found = govuk_pay.refund_payment(
                api_key=_api_key(payment.council_id),
                payment_id=payment.provider_id,
                amount=amount,
                refund_amount_available=available,
            )
        except (PayUnavailable, PayRefused) as exc:
            status, provider_id = Refund.Status.ERROR, ""
            log.warning("Refund %s refused: %s", refund.pk, exc)
        else:
            status = found.status if found.status in Refund.Status.values else "submitted"
            provider_id = found.refund_id
    else:
        status, provider_id = Refund.Status.SUCCESS, ""
    with transaction.atomic():
        refund.status = status
        refund.provider_id = provider_id
        refund.updated_at = clock.now()
        refund.save(update_fields=["status", "provider_id", "updated_at"])
        _event(
            events.RefundRequested(
                **_facts(payment),
                refund_id=refund.id,
                refund_amount=amount,
                reason=reason,
                status=status,
            ),
            payment,
            actor,
        )
    return RefundOutcome(refund=refund, available_after=refund_available(payment))
