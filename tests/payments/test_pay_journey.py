"""The fee on the start page and on Check your answers, paying through the stand-in Pay, the
outcome on the track page and the receipt, without JavaScript (the Django test client)."""

from __future__ import annotations

import pytest

from tests.citizen_mailbox import text_of
from tests.payments.support import (
    BULKY_WASTE,
    GARDEN_WASTE,
    apply_and_send,
    apply_until_check,
    choose_card,
    on_pay_page,
)
from townsquare.cases.models import Case
from townsquare.payments.models import Payment, Status

pytestmark = pytest.mark.django_db


def test_the_start_page_states_the_fee(client, paying_council):
    page = client.get("/apply/testshire/garden_waste/").content.decode()
    assert "What it costs" in page and "£45.00 for each one" in page
    assert "50% less" in page
    page = client.get("/apply/testshire/bulky_waste/").content.decode()
    assert "£30.00" in page and "£45.00" in page and "£65.00" in page


@pytest.mark.django_db(transaction=True)  # the receipt is sent as the payment commits
def test_pay_for_garden_waste_see_paid_and_get_a_receipt(client, paying_council, smtp_mailbox):
    check = apply_until_check(client, "testshire", "garden_waste", GARDEN_WASTE)
    page = client.get(check).content.decode()
    assert "£90.00" in page and "2 at £45.00 each" in page
    reference = apply_and_send(client, "testshire", "garden_waste", GARDEN_WASTE)
    case = Case.objects.get(reference=reference)
    page = client.get(f"/apply/pay/{reference}").content.decode()
    assert "£90.00" in page and "Continue to payment" in page

    next_url = choose_card(client, reference)
    payment = Payment.objects.get(case=case)
    assert payment.status == Status.STARTED and payment.amount == 9000

    back = on_pay_page(next_url, "pay")
    response = client.get(back)
    assert response.status_code == 303 and response["Location"].endswith(f"/done/{reference}")
    page = client.get(response["Location"]).content.decode()
    assert "Paid" in page and "You paid £90.00" in page
    track = client.get(f"/track/{reference}").content.decode()
    assert 'id="payment-status">Paid<' in track

    payment.refresh_from_db()
    assert payment.status == Status.SUCCESS and payment.paid_at is not None
    receipt = smtp_mailbox.wait_for(to="payer@example.com")
    assert "Payment received" in receipt["Subject"]
    body = text_of(receipt)
    assert "£90.00" in body and reference in body and "?key=" in body


def test_bulky_waste_fee_from_the_table_with_a_concession(client, paying_council):
    answers = {**BULKY_WASTE, "receives_benefits": "yes"}
    check = apply_until_check(client, "testshire", "bulky_waste", answers)
    page = client.get(check).content.decode()
    assert "£22.50" in page and "50% reduction" in page


def test_a_changed_answer_shows_the_new_amount_before_paying(client, paying_council):
    check = apply_until_check(client, "testshire", "garden_waste", GARDEN_WASTE)
    # The page showed £90.00; the person changed the number of bins in another tab.
    key = check.split("/draft/")[1].split("/")[0]
    client.post(f"/apply/draft/{key}/question/number_of_bins?return=check", {"answer": "3"})
    response = client.post(check, {"amount_seen": "9000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The amount to pay has changed to £135.00" in page
    assert not Case.objects.exists()
    # An amount typed into the form is never what is charged.
    response = client.post(check, {"amount_seen": "1"})
    assert response.status_code == 400 and not Case.objects.exists()
    response = client.post(check, {"amount_seen": "13500"})
    assert response.status_code == 303
    reference = response["Location"].rsplit("/", 1)[1]
    choose_card(client, reference)
    assert Payment.objects.get().amount == 13500
