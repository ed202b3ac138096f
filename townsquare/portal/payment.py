"""The payment step after "Check your answers" (ADR 161): choose how to pay, go to GOV.UK Pay,
come back and be told the outcome; and the endpoint Pay posts its webhooks to.

The return alone proves nothing: each return asks Pay for the payment (payments.services
.payment_refresh), and a webhook only prompts the same question. Every failure leaves the
person on a page that says what happened and lets them try again."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.catalogue.fees import pounds
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.core.links import public_link
from townsquare.councils.selectors import council_get
from townsquare.payments import selectors as payment_selectors
from townsquare.payments import services as payments
from townsquare.payments.models import Method, Status
from townsquare.portal import applicant, drafts

log = logging.getLogger(__name__)


def _not_paid_message(status: str) -> str:
    if status == Status.FAILED:
        return _(
            "Your payment was declined. You have not been charged. Try again or use another card."
        )
    if status == Status.CANCELLED:
        return _("You cancelled your payment. You have not been charged.")
    if status == Status.EXPIRED:
        return _("Your payment session timed out after 90 minutes. You have not been charged.")
    return _("Something went wrong with your payment. You have not been charged.")


def _case_or_404(request: HttpRequest, reference: str):
    try:
        return applicant.applicant_case(request, reference.upper()[:40])
    except NotFound:
        raise Http404(_("We cannot find an application with that reference")) from None


def _render_pay(request, case, state, *, error: str = "", notice: str = "", status: int = 200):
    methods = []
    if state.online:
        methods.append((Method.CARD_ONLINE, _("Debit or credit card, online now")))
    methods += [
        (Method.PHONE, _("Card payment over the phone (we will call you)")),
        (Method.COUNTER, _("At a council office counter")),
    ]
    return render(
        request,
        "apply/pay.html",
        {
            "page_council": case.council,
            "council": case.council,
            "case": case,
            "fee": state.fee,
            "amount": pounds(state.fee.amount) if state.fee else "",
            "unit": pounds(state.fee.unit_amount) if state.fee and state.fee.unit_amount else "",
            "methods": methods,
            "awaiting": state.awaiting,
            "error": error,
            "notice": notice,
        },
        status=status,
    )


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    state = payment_selectors.case_payment(case=case)
    if not state.due:
        response = redirect("portal:apply_done", reference=case.reference)
        response.status_code = 303
        return response
    if request.method != "POST":
        notice = ""
        last = state.last
        if last is not None and last.status in (
            Status.FAILED,
            Status.CANCELLED,
            Status.EXPIRED,
            Status.ERROR,
        ):
            notice = _not_paid_message(last.status)
        return _render_pay(request, case, state, notice=notice)
    method = request.POST.get("method", "")
    if method == Method.CARD_ONLINE and state.online:
        try:
            payment = payments.payment_start(
                case=case,
                return_url=lambda token: public_link("portal:pay_return", token=token),
                language=get_language() or "en",
            )
        except payments.AlreadyPaid:
            return redirect("portal:apply_done", reference=case.reference)
        except (payments.PayUnavailable, payments.PayRefused, payments.NothingToPay):
            log.warning("Could not start a payment for %s", case.reference, exc_info=True)
            return _render_pay(
                request,
                case,
                payment_selectors.case_payment(case=case),
                error=_(
                    "The payment service is not available at the moment. You have not been "
                    "charged. Try again in a few minutes, or choose another way to pay."
                ),
                status=503,
            )
        response = redirect(payment.next_url)
        response.status_code = 303
        return response
    if method in (Method.PHONE, Method.COUNTER):
        try:
            payments.payment_choose_offline(case=case, method=method)
        except (payments.NothingToPay, InvalidInput):
            pass
        except payments.AlreadyPaid:
            pass
        response = redirect("portal:apply_done", reference=case.reference)
        response.status_code = 303
        return response
    return _render_pay(request, case, state, error=_("Choose how you want to pay"), status=400)


@require_safe
def pay_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where Pay sends the person back: ask Pay how the payment ended, never believe the visit."""
    try:
        payment = payments.payment_for_return(token=token)
    except NotFound:
        return render(request, "apply/pay_unknown.html", status=404)
    reference = payment.case.reference
    drafts.remember_submitted(request, reference)
    try:
        payment = payments.payment_refresh(payment=payment)
    except (payments.PayUnavailable, payments.PayRefused, payments.NothingToPay):
        log.warning("Could not check payment %s on return", payment.pk, exc_info=True)
        return render(
            request,
            "apply/pay_checking.html",
            {"page_council": payment.council, "council": payment.council, "retry": request.path},
            status=503,
        )
    if (
        payment.status == Status.SUCCESS
        or payment.case.payments.filter(status=Status.SUCCESS).exists()
    ):
        response = redirect("portal:apply_done", reference=reference)
    else:
        # Not finished (the person came back without paying) or not paid: choose again.
        response = redirect("portal:apply_pay", reference=reference)
    response.status_code = 303
    return response


@csrf_exempt  # Pay signs the body instead (Pay-Signature); no cookie is involved
@require_POST
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        return _problem(404, "Not found", "No council has this address")
    try:
        payments.webhook_receive(
            council=council,
            body=request.body,
            signature=request.headers.get("Pay-Signature", ""),
        )
    except payments.WebhookUnverified:
        return _problem(401, "Unauthorized", "The Pay-Signature header does not match the body")
    except (payments.PayUnavailable, payments.PayRefused, payments.NothingToPay):
        # A hint we could not act on now: the next return or webhook asks again.
        return _problem(503, "Service Unavailable", "GOV.UK Pay could not be asked; try again")
    return JsonResponse({"received": True})


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def payment_panel(case) -> dict | None:
    """What the applicant's pages say about the fee: paid (with date), awaiting an offline
    payment, or still to pay (with the link); None when the service is free."""
    state = payment_selectors.case_payment(case=case)
    if state.fee is None or not state.fee.amount:
        return None
    paid = state.paid
    return {
        "paid": paid is not None,
        "amount": pounds(paid.amount if paid else state.fee.amount),
        "paid_at": paid.paid_at if paid else None,
        "method": paid.get_method_display() if paid else "",
        "refunded": pounds(state.refunded) if state.refunded else "",
        "awaiting": state.awaiting is not None and paid is None,
        "awaiting_method": state.awaiting.method if state.awaiting else "",
        "pay_url": ""
        if paid
        else reverse("portal:apply_pay", kwargs={"reference": case.reference}),
    }
