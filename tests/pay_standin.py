"""The stand-in GOV.UK Pay (townsquare/payments/standin.py) for tests, on a free loopback port,
and a council that takes fees through it: the garden waste and bulky waste templates shipped
with the product, a Pay account (key and webhook secret sealed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from townsquare.payments.standin import StandInPay, Webhook

WEBHOOK_SECRET = "webhook-signing-secret-for-tests"


def api_key_for(slug: str) -> str:
    return f"api_test_{slug}_key"


@pytest.fixture
def stand_in_pay(settings) -> Iterator[StandInPay]:
    server = StandInPay.start()
    settings.PAYMENTS_GOVUK_PAY_URL = settings.PAYMENTS_GOVUK_PAY_PAGES_URL = server.url
    # A short wait for Pay, so the test of a Pay that never answers ends soon.
    settings.PAYMENTS_GOVUK_PAY_TIMEOUT_SECONDS = 2
    try:
        yield server
    finally:
        server.stop()


def publish_fee_services(council) -> None:
    from django.conf import settings

    from townsquare.catalogue.documents import load_template_file
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor
    from townsquare.councils.services import team_ensure

    team_ensure(council=council, code="waste", name="Waste")
    for code in ("garden_waste", "bulky_waste"):
        template_publish(
            council=council,
            document=load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / f"{code}.yaml"),
            actor=Actor.system("tests"),
        )


def pay_account(council, *, offline: bool = True):
    from townsquare.accounts.principal import Principal
    from townsquare.payments.services import pay_account_set

    return pay_account_set(
        council=council,
        actor=Principal.system(),
        api_key=api_key_for(council.slug),
        webhook_secret=WEBHOOK_SECRET,
        offline_enabled=offline,
    )


@pytest.fixture
def paying_council(council, stand_in_pay):
    publish_fee_services(council)
    pay_account(council)
    return council


def send_webhooks_to(server: StandInPay, council, base_url: str) -> None:
    server.state.webhooks[api_key_for(council.slug)] = Webhook(
        url=f"{base_url}/payments/govuk-pay/{council.slug}/webhook", secret=WEBHOOK_SECRET
    )
