"""Every way a payment can end, and the bad inputs: nothing is marked paid without Pay saying
the payment succeeded, and the person always has a way to try again."""

from __future__ import annotations

import pytest

from tests.payments.support import (
    GARDEN_WASTE,
    apply_and_send,
    choose_card,
    on_pay_page,
    webhook,
)
from townsquare.cases.models import Case
from townsquare.core.models import Event
from townsquare.payments.models import Payment, Status

pytestmark = pytest.mark.django_db


def _apply(client) -> str:
    return apply_and_send(client, "testshire", "garden_waste", GARDEN_WASTE)


def test_declined_then_paid(client, paying_council):
    reference = _apply(client)
    back = on_pay_page(choose_card(client, reference), "decline")
    response = client.get(back)
    assert response["Location"].endswith(f"/apply/pay/{reference}")
    page = client.get(response["Location"]).content.decode()
    assert "Your payment was declined. You have not been charged." in page
    assert 'id="payment-status">Paid<' not in client.get(f"/track/{reference}").content.decode()

    back = on_pay_page(choose_card(client, reference), "pay")
    assert client.get(back)["Location"].endswith(f"/done/{reference}")
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == [Status.FAILED, Status.SUCCESS]
    assert Case.objects.count() == 1


def test_cancelled_on_pay_then_try_again(client, paying_council):
    reference = _apply(client)
    back = on_pay_page(choose_card(client, reference), "cancel")
    page = client.get(client.get(back)["Location"]).content.decode()
    assert "You cancelled your payment" in page and "Continue to payment" in page
    assert Payment.objects.get().status == Status.CANCELLED


def test_expired_after_90_minutes(client, paying_council, stand_in_pay):
    reference = _apply(client)
    next_url = choose_card(client, reference)
    stand_in_pay.state.advance(minutes=89)
    payment = Payment.objects.get()
    from townsquare.payments.services import payment_refresh

    assert payment_refresh(payment=payment).status == Status.STARTED
    stand_in_pay.state.advance(minutes=1)
    back = on_pay_page(next_url, "pay")  # too late: the stand-in sends them back unpaid
    page = client.get(client.get(back)["Location"]).content.decode()
    assert "timed out after 90 minutes" in page
    assert Payment.objects.get().status == Status.EXPIRED


def test_back_from_pay_without_paying_then_retry_cancels_the_first(client, paying_council):
    reference = _apply(client)
    first = choose_card(client, reference)
    payment = Payment.objects.get()
    response = client.get(f"/apply/payment-return/{payment.return_token}")
    assert response["Location"].endswith(f"/apply/pay/{reference}")
    second = choose_card(client, reference)
    assert second != first
    assert Payment.objects.get(pk=payment.pk).status == Status.CANCELLED
    # The first page can no longer take money.
    back = on_pay_page(first, "pay")
    client.get(back)
    assert not Payment.objects.filter(status=Status.SUCCESS).exists()
    back = on_pay_page(second, "pay")
    client.get(back)
    assert Payment.objects.filter(status=Status.SUCCESS).count() == 1


def test_webhook_before_the_return(client, paying_council, stand_in_pay):
    reference = _apply(client)
    next_url = choose_card(client, reference)
    back = on_pay_page(next_url, "pay")
    payment = Payment.objects.get()
    assert payment.status == Status.STARTED  # nobody has asked Pay yet
    assert webhook(client, "testshire", payment.provider_id).status_code == 200
    assert Payment.objects.get().status == Status.SUCCESS
    assert webhook(client, "testshire", payment.provider_id).status_code == 200  # again: no-op
    assert client.get(back)["Location"].endswith(f"/done/{reference}")
    assert Event.objects.filter(kind="payment.succeeded").count() == 1


def test_a_webhook_with_a_wrong_or_missing_signature_is_refused(client, paying_council):
    reference = _apply(client)
    on_pay_page(choose_card(client, reference), "pay")
    payment = Payment.objects.get()
    for response in (
        webhook(client, "testshire", payment.provider_id, secret="not-the-secret"),
        webhook(client, "testshire", payment.provider_id, signature=False),
        webhook(client, "testshire", payment.provider_id, signature="00" * 32),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
    assert Payment.objects.get().status == Status.STARTED


def test_a_tampered_return_address_marks_nothing_paid(client, paying_council):
    reference = _apply(client)
    choose_card(client, reference)
    response = client.get("/apply/payment-return/not-a-real-token")
    assert response.status_code == 404
    assert "We cannot find that payment" in response.content.decode()
    assert Payment.objects.get().status == Status.STARTED


def test_an_unknown_payment_id_in_a_webhook_changes_nothing(client, paying_council):
    assert webhook(client, "testshire", "nosuchpayment").status_code == 200
    assert not Payment.objects.exists()


def test_pay_answering_500_or_not_at_all(client, paying_council, stand_in_pay):
    reference = _apply(client)
    stand_in_pay.state.fail_next = "500"
    response = client.post(f"/apply/pay/{reference}", {"method": "card_online"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "The payment service is not available" in page and "Continue to payment" in page
    assert Payment.objects.get().status == Status.ERROR

    # Pay made the payment but does not answer the check on return: ask again later.
    back = on_pay_page(choose_card(client, reference), "pay")
    stand_in_pay.state.fail_next = "hang"
    response = client.get(back)
    assert response.status_code == 503 and "Check again" in response.content.decode()
    assert not Payment.objects.filter(status=Status.SUCCESS).exists()
    assert client.get(back)["Location"].endswith(f"/done/{reference}")


def test_someone_else_cannot_open_the_payment_step(client, paying_council):
    from django.test import Client

    reference = _apply(client)
    assert Client().get(f"/apply/pay/{reference}").status_code == 404
