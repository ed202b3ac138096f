"""The payments walk-through of issue 15 in a real browser, axe-checked: a resident applies
for a garden waste subscription, declines on the stand-in Pay's page, pays, comes back after
Pay's webhook has already arrived, sees "Paid" on the track page and gets a receipt; a bulky
waste collection is paid the same way; a supervisor refunds part of the first, and the day's
reconciliation and its CSV balance."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests import factories
from tests.browser.support import assert_accessible, staff_sign_in
from tests.pay_standin import paying_council, send_webhooks_to, stand_in_pay  # noqa: F401
from townsquare.core import clock
from townsquare.payments.models import Payment, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def council(town):
    return town


def _answer(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    if field.count() and field.first.get_attribute("type") == "radio":
        field.first.check()
    elif field.count():
        field.first.fill(value)
    page.get_by_role("button", name="Continue").click()


def _apply_garden_waste(page) -> None:
    page.goto("/apply/testshire/garden_waste/")
    assert_accessible(page)
    _expect()(page.locator("#fee-heading")).to_be_visible()
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("A new subscription").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Address for collection").fill("1 Test Street, TS1 1AA")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How many bins do you want emptied?").fill("2")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("No, I will use my existing garden waste bins").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no notes for the crews
    page.get_by_role("button", name="Continue").click()  # no documents
    page.get_by_label("Email address").fill("payer@example.com")
    page.get_by_role("button", name="Continue").click()


def _apply_bulky_waste(page) -> None:
    page.goto("/apply/testshire/bulky_waste/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Address for collection").fill("2 Test Street, TS1 1AA")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("4 to 6 items").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What are the items?").fill("A sofa and a fridge")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no documents
    page.get_by_label("Email address").fill("payer@example.com")
    page.get_by_role("button", name="Continue").click()


def test_pay_decline_then_pay_refund_and_reconcile(
    new_page, request, smtp_mailbox, live_server, settings
):
    expect = _expect()
    paying = request.getfixturevalue("paying_council")
    pay = request.getfixturevalue("stand_in_pay")
    settings.PUBLIC_URL = live_server.url
    send_webhooks_to(pay, paying, live_server.url)
    page = new_page()

    _apply_garden_waste(page)
    expect(page.locator("#fee-amount")).to_have_text("£90.00")
    assert_accessible(page)
    page.get_by_role("button", name="Accept, send and pay").click()
    expect(page.locator("#amount")).to_have_text("£90.00")
    assert_accessible(page)
    reference = page.url.rsplit("/", 1)[1]

    # Declined on Pay's page: back on ours, told so, not charged.
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_text("Total amount: £90.00")).to_be_visible()
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#payment-notice")).to_contain_text("declined")
    assert_accessible(page)

    # Paid: Pay's webhook reaches us before the browser does (the stand-in sends it first).
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Application sent")).to_be_visible()
    assert {d["status"] for d in pay.state.delivered} == {200}
    page.goto(f"/track/{reference}")
    expect(page.locator("#payment-status")).to_have_text("Paid")
    assert_accessible(page)
    receipt = smtp_mailbox.wait_for(to="payer@example.com")
    assert "Payment received" in receipt["Subject"]

    _apply_bulky_waste(page)
    page.get_by_role("button", name="Accept, send and pay").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("You paid £45.00")).to_be_visible()
    assert Payment.objects.filter(status=Status.SUCCESS).count() == 2

    # A supervisor refunds part of the garden waste subscription.
    supervisor, _ = factories.make_staff_signed_in(paying, "supervisor")
    staff = new_page()
    staff_sign_in(staff, supervisor.email)
    staff.goto(f"/staff/cases/{reference}")
    expect(staff.locator("#staff-payment-status")).to_contain_text("Paid")
    staff.get_by_label("Part", exact=True).check()
    staff.get_by_label("Amount for a part refund, in pounds").fill("45.00")
    staff.get_by_label("Reason").fill("One bin is not needed")
    staff.get_by_role("button", name="Refund").click()
    expect(staff.get_by_text("Refund made")).to_be_visible()
    expect(staff.get_by_text("Refund of £45.00: success")).to_be_visible()
    assert_accessible(staff)

    day = clock.now().astimezone().date().isoformat()
    staff.goto(f"/staff/payments/reconciliation?date={day}")
    expect(staff.locator("#net")).to_have_text("£90.00")  # 90 + 45 - 45
    assert_accessible(staff)
    answer = staff.request.get(f"/staff/payments/reconciliation.csv?date={day}")
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    assert sum(float(r["amount"]) for r in rows if r["kind"] in ("payment", "refund")) == 90.0
    assert float(next(r for r in rows if r["kind"] == "day_total")["amount"]) == 90.0
    assert re.search(r"refund,.*,-45\.00,", answer.text())
