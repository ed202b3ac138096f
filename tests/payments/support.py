"""Helpers for the payments tests: apply through the citizen web, play the person on the
stand-in's payment page, send webhooks as Pay signs them."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import requests

from tests.pay_standin import WEBHOOK_SECRET
from townsquare.payments.standin import sign

GARDEN_WASTE = {
    "subscription_type": "new",
    "collection_address": "1 Test Street, Testshire TS1 1AA",
    "number_of_bins": "2",
    "bins_needed": "use_existing",
    "council_tax_reduction": "no",
    "access_notes": "",
}
BULKY_WASTE = {
    "collection_address": "2 Test Street, Testshire TS1 1AA",
    "collection_size": "up_to_6",
    "items": "A sofa and a fridge",
    "receives_benefits": "no",
}


def apply_until_check(client, slug: str, service: str, answers: dict[str, str]) -> str:
    """Answer every question of `service`; returns the address of "Check your answers"."""
    response = client.post(f"/apply/{slug}/{service}/")
    assert response.status_code == 303, response.status_code
    url = client.get(response["Location"])["Location"]
    for _ in range(20):
        if "/question/" in url:
            code = url.split("/question/")[1].split("?")[0]
            response = client.post(url, {"answer": answers.get(code, ""), "action": "continue"})
        elif url.endswith("/documents"):
            response = client.post(url, {"action": "continue"})
        elif url.endswith("/contact"):
            response = client.post(url, {"email": "payer@example.com", "phone": ""})
        else:
            return url
        assert response.status_code in (302, 303), (url, response.content.decode()[:2000])
        url = response["Location"]
    raise AssertionError("never reached Check your answers")


def apply_and_send(client, slug: str, service: str, answers: dict[str, str]) -> str:
    """Apply and send; returns the case reference (the person is on the payment step)."""
    check = apply_until_check(client, slug, service, answers)
    page = client.get(check).content.decode()
    amount = page.split('name="amount_seen" value="')[1].split('"')[0]
    response = client.post(check, {"amount_seen": amount})
    assert response.status_code == 303, response.content.decode()[:3000]
    assert "/apply/pay/" in response["Location"]
    return response["Location"].rsplit("/", 1)[1]


def choose_card(client, reference: str) -> str:
    """Choose to pay by card online; returns the stand-in's payment page address."""
    response = client.post(f"/apply/pay/{reference}", {"method": "card_online"})
    assert response.status_code == 303, response.content.decode()[:3000]
    return response["Location"]


def on_pay_page(next_url: str, action: str) -> str:
    """Press a button on the stand-in's hosted page; returns our return address's path."""
    answer = requests.post(next_url, data={"action": action}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return urlsplit(answer.headers["Location"]).path


def webhook(client, slug: str, payment_id: str, *, secret: str = WEBHOOK_SECRET, signature=None):
    body = json.dumps(
        {
            "webhook_message_id": "x1",
            "resource_id": payment_id,
            "resource_type": "payment",
            "event_type": "card_payment_succeeded",
            "api_version": 1,
        }
    ).encode()
    headers = {}
    if signature is not False:
        headers["HTTP_PAY_SIGNATURE"] = signature if signature else sign(body, secret)
    return client.post(
        f"/payments/govuk-pay/{slug}/webhook",
        data=body,
        content_type="application/json",
        **headers,
    )
