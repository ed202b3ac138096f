"""Property: whatever the order of the person paying or declining on Pay's page, coming back,
Pay's webhooks and retries, a case has exactly one successful payment at most, is shown paid
only with a success behind it that Pay confirms, and is never made twice (ADR 163)."""

from __future__ import annotations

import contextlib
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pay_standin import WEBHOOK_SECRET
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.payments import selectors, services
from townsquare.payments.models import Payment, Status
from townsquare.payments.standin import sign

pytestmark = pytest.mark.django_db

STEPS = st.lists(
    st.sampled_from(["pay", "decline", "cancel", "return", "webhook", "retry"]),
    min_size=1,
    max_size=8,
)


def _case(council) -> Case:
    return case_create(
        service_code="garden_waste",
        actor=Principal.anonymous(),
        council=council,
        values={
            "subscription_type": "new",
            "collection_address": "1 Test Street",
            "number_of_bins": 1,
            "bins_needed": "use_existing",
            "council_tax_reduction": "no",
        },
        channel="web",
        reporter=Reporter(email="payer@example.com"),
    )


def _start(case) -> Payment:
    return services.payment_start(case=case, return_url=lambda t: f"http://testserver/r/{t}")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_order_of_returns_webhooks_and_retries(paying_council, stand_in_pay, steps):
    case = _case(paying_council)
    current = _start(case)
    for step in steps:
        current.refresh_from_db()
        if step in ("pay", "decline", "cancel"):
            # The person presses a button on the page of the latest attempt (a finished or
            # cancelled one just shows that it is over).
            requests.post(
                current.next_url, data={"action": step}, allow_redirects=False, timeout=10
            )
        elif step == "return":
            services.payment_refresh(payment=current)
        elif step == "webhook":
            body = json.dumps({"resource_id": current.provider_id}).encode()
            services.webhook_receive(
                council=paying_council, body=body, signature=sign(body, WEBHOOK_SECRET)
            )
        elif step == "retry":
            with contextlib.suppress(services.AlreadyPaid):
                current = _start(case)
    # Settle: every attempt is asked about once more, as a later return or webhook would.
    for payment in Payment.objects.filter(case=case):
        services.payment_refresh(payment=payment)

    assert Case.objects.filter(pk=case.pk).count() == 1
    successes = list(Payment.objects.filter(case=case, status=Status.SUCCESS))
    assert len(successes) <= 1
    paid_at_pay = [
        p
        for p in stand_in_pay.state.payments.values()
        if p.status == "success" and p.body["metadata"]["case_reference"] == case.reference
    ]
    # The stand-in's own record: money was taken at most once, and we know exactly that.
    assert len(paid_at_pay) <= 1
    assert [p.provider_id for p in successes] == [p.payment_id for p in paid_at_pay]
    state = selectors.case_payment(case=case)
    assert (state.paid is not None) == bool(successes)
    assert state.due == (not successes)
