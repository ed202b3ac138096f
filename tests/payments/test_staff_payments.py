"""Staff and payments: the panel on the case, refunds in full and in part by a supervisor,
payments taken by phone or at the counter, the day's reconciliation and its CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from tests import factories
from tests.payments.support import (
    BULKY_WASTE,
    GARDEN_WASTE,
    apply_and_send,
    choose_card,
    on_pay_page,
)
from townsquare.core import clock
from townsquare.core.models import Event
from townsquare.payments.models import Payment, Refund, Status

pytestmark = pytest.mark.django_db


def _paid(client, service="garden_waste", answers=GARDEN_WASTE) -> str:
    reference = apply_and_send(client, "testshire", service, answers)
    client.get(on_pay_page(choose_card(client, reference), "pay"))
    return reference


def _staff_client(council, role):
    from django.test import Client

    from townsquare.staff.tests.conftest import sign_in

    user, _ = factories.make_staff_signed_in(council, role)
    staff = Client()
    sign_in(staff, user.email)
    return staff


def test_a_supervisor_refunds_in_part_then_in_full(client, paying_council, stand_in_pay):
    reference = _paid(client)
    supervisor = _staff_client(paying_council, "supervisor")
    page = supervisor.get(f"/staff/cases/{reference}").content.decode()
    assert "Paid</strong> £90.00" in page and "Up to £90.00 can be refunded" in page

    response = supervisor.post(
        f"/staff/cases/{reference}/refund", {"extent": "part", "amount": "", "reason": "x"}
    )
    assert response.status_code == 400 and "Enter the amount in pounds" in response.content.decode()
    response = supervisor.post(
        f"/staff/cases/{reference}/refund", {"extent": "part", "amount": "100", "reason": "x"}
    )
    assert response.status_code == 400 and "between £0.01 and £90.00" in response.content.decode()
    response = supervisor.post(
        f"/staff/cases/{reference}/refund",
        {"extent": "part", "amount": "45.00", "reason": "One bin not needed"},
    )
    assert response.status_code == 302
    page = supervisor.get(f"/staff/cases/{reference}").content.decode()
    assert "Refund of £45.00: success" in page and "One bin not needed" in page
    assert "Up to £45.00 can be refunded" in page
    payment = Payment.objects.get(status=Status.SUCCESS)
    at_pay = stand_in_pay.state.payments[payment.provider_id]
    assert at_pay.refunded() == 4500

    response = supervisor.post(
        f"/staff/cases/{reference}/refund", {"extent": "full", "reason": "Moved away"}
    )
    assert response.status_code == 302
    assert at_pay.refunded() == 9000
    assert "can be refunded" not in supervisor.get(f"/staff/cases/{reference}").content.decode()
    refunds = Event.objects.filter(kind="payment.refund")
    assert refunds.count() == 2 and {e.actor_kind for e in refunds} == {"staff"}


def test_an_agent_cannot_refund_and_another_council_cannot_see(
    client, paying_council, other_council
):
    reference = _paid(client)
    agent = _staff_client(paying_council, "agent")
    assert "Refund</button>" not in agent.get(f"/staff/cases/{reference}").content.decode()
    response = agent.post(
        f"/staff/cases/{reference}/refund", {"extent": "full", "reason": "Trying"}
    )
    assert response.status_code == 403 and not Refund.objects.exists()
    stranger = _staff_client(other_council, "supervisor")
    response = stranger.post(
        f"/staff/cases/{reference}/refund", {"extent": "full", "reason": "Trying"}
    )
    assert response.status_code in (403, 404) and not Refund.objects.exists()


def test_pay_by_phone_then_staff_record_the_payment(client, paying_council):
    reference = apply_and_send(client, "testshire", "bulky_waste", BULKY_WASTE)
    response = client.post(f"/apply/pay/{reference}", {"method": "phone"})
    assert response.status_code == 303
    page = client.get(f"/track/{reference}").content.decode()
    assert 'id="payment-status">Awaiting payment<' in page and "We will call you" in page

    agent = _staff_client(paying_council, "agent")
    page = agent.get(f"/staff/cases/{reference}").content.decode()
    assert "Awaiting payment" in page and "Record a payment of £45.00" in page
    response = agent.post(f"/staff/cases/{reference}/payment", {"method": "phone", "reference": ""})
    assert (
        response.status_code == 400 and "Enter the payment reference" in response.content.decode()
    )
    response = agent.post(
        f"/staff/cases/{reference}/payment", {"method": "phone", "reference": "TILL-0042"}
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.status == Status.SUCCESS and payment.offline_reference == "TILL-0042"
    assert 'id="payment-status">Paid<' in client.get(f"/track/{reference}").content.decode()
    assert (
        "Paid £45.00 (Card payment by phone)"
        in agent.get(f"/staff/cases/{reference}").content.decode()
    )


def test_the_days_reconciliation_balances(client, paying_council, capsys):
    first = _paid(client)
    _paid(client, "bulky_waste", BULKY_WASTE)
    supervisor = _staff_client(paying_council, "supervisor")
    supervisor.post(
        f"/staff/cases/{first}/refund", {"extent": "part", "amount": "10", "reason": "x"}
    )
    day = clock.now().astimezone().date().isoformat()
    page = supervisor.get(f"/staff/payments/reconciliation?date={day}").content.decode()
    assert "garden_waste" in page and "GW-SUB" in page and "BW-COLL" in page
    assert 'id="net">£125.00<' in page  # 90 + 45 - 10

    response = supervisor.get(f"/staff/payments/reconciliation.csv?date={day}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    items = [r for r in rows if r["kind"] in ("payment", "refund")]
    totals = [r for r in rows if r["kind"] == "total"]
    day_total = next(r for r in rows if r["kind"] == "day_total")
    assert sum(float(r["amount"]) for r in items) == pytest.approx(125.0)
    assert sum(float(r["amount"]) for r in totals) == pytest.approx(125.0)
    assert float(day_total["amount"]) == pytest.approx(125.0)

    call_command("payments", "reconcile", "--council", "testshire", "--date", day)
    assert capsys.readouterr().out == response.content.decode()
    agent = _staff_client(paying_council, "agent")
    assert agent.get("/staff/payments/reconciliation").status_code == 403


def test_a_council_admin_sets_the_pay_key_which_is_never_shown_again(council):
    from townsquare.payments.models import PayAccount

    admin = _staff_client(council, "council_admin")
    response = admin.post(
        "/staff/admin/payments",
        {
            "api_key": "api_live_secret_key_1234",
            "webhook_secret": "whsec",
            "online_enabled": "yes",
        },
    )
    assert response.status_code == 302
    page = admin.get("/staff/admin/payments").content.decode()
    assert "Saved, ending 1234" in page and "api_live_secret_key" not in page
    account = PayAccount.objects.get(council=council)
    assert "api_live_secret_key" not in account.api_key_sealed and not account.offline_enabled
    # Blank fields keep what is saved.
    admin.post("/staff/admin/payments", {"api_key": "", "online_enabled": "yes"})
    from townsquare.core.sealed import unseal

    assert unseal(PayAccount.objects.get(council=council).api_key_sealed).endswith("1234")
    assert _staff_client(council, "supervisor").get("/staff/admin/payments").status_code == 403
