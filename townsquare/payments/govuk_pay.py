"""The adapter to GOV.UK Pay's public API (docs.payments.service.gov.uk), over HTTP to the base
URL in PAYMENTS_GOVUK_PAY_URL: the real Pay in production, the stand-in (standin.py) in the demo
and the tests. Nothing here decides anything; services.py does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings


class PayUnavailable(Exception):
    """Pay did not answer, answered 5xx or something unreadable: try again later."""


class PayRefused(Exception):
    """Pay answered 4xx: `status`, and Pay's `code` and `description`."""

    def __init__(self, status: int, code: str = "", description: str = "") -> None:
        super().__init__(f"GOV.UK Pay refused ({status} {code}): {description}")
        self.status = status
        self.code = code
        self.description = description


@dataclass(frozen=True)
class PayPayment:
    payment_id: str
    status: str  # created, started, submitted, capturable, success, failed, cancelled, error
    finished: bool
    amount: int
    code: str = ""
    next_url: str = ""
    refund_available: int = 0


@dataclass(frozen=True)
class PayRefund:
    refund_id: str
    amount: int
    status: str  # submitted, success, error


def _url(path: str) -> str:
    return settings.PAYMENTS_GOVUK_PAY_URL.rstrip("/") + path


def _call(method: str, path: str, *, api_key: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    try:
        response = requests.request(
            method,
            _url(path),
            headers=headers,
            timeout=settings.PAYMENTS_GOVUK_PAY_TIMEOUT_SECONDS,
            allow_redirects=False,
            **kwargs,
        )
    except requests.RequestException as exc:
        raise PayUnavailable(f"GOV.UK Pay did not answer: {exc.__class__.__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise PayUnavailable(f"GOV.UK Pay answered {response.status_code}")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        raise PayRefused(
            response.status_code, str(body.get("code", "")), str(body.get("description", ""))
        )
    return response


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise PayUnavailable("GOV.UK Pay answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise PayUnavailable("GOV.UK Pay answered an unexpected shape")
    return body


def _payment(body: dict[str, Any]) -> PayPayment:
    try:
        state = body["state"]
        return PayPayment(
            payment_id=str(body["payment_id"]),
            status=str(state["status"]),
            finished=bool(state.get("finished")),
            amount=int(body["amount"]),
            code=str(state.get("code") or ""),
            next_url=str(((body.get("_links") or {}).get("next_url") or {}).get("href") or ""),
            refund_available=int((body.get("refund_summary") or {}).get("amount_available") or 0),
        )
    except (KeyError, TypeError, ValueError):
        raise PayUnavailable("GOV.UK Pay answered a payment without its state") from None


def create_payment(
    *,
    api_key: str,
    amount: int,
    reference: str,
    description: str,
    return_url: str,
    language: str,
    metadata: dict[str, str],
    idempotency_key: str,
    email: str = "",
) -> PayPayment:
    body: dict[str, Any] = {
        "amount": amount,
        "reference": reference,
        "description": description,
        "return_url": return_url,
        "language": language if language in ("en", "cy") else "en",
        "metadata": metadata,
    }
    if email:
        body["email"] = email
    response = _call(
        "POST",
        "/v1/payments",
        api_key=api_key,
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )
    return _payment(_json(response))


def get_payment(*, api_key: str, payment_id: str) -> PayPayment:
    return _payment(_json(_call("GET", f"/v1/payments/{payment_id}", api_key=api_key)))


def cancel_payment(*, api_key: str, payment_id: str) -> None:
    _call("POST", f"/v1/payments/{payment_id}/cancel", api_key=api_key)


def refund_payment(
    *, api_key: str, payment_id: str, amount: int, refund_amount_available: int
) -> PayRefund:
    body = _json(
        _call(
            "POST",
            f"/v1/payments/{payment_id}/refunds",
            api_key=api_key,
            json={"amount": amount, "refund_amount_available": refund_amount_available},
        )
    )
    try:
        return PayRefund(
            refund_id=str(body["refund_id"]), amount=int(body["amount"]), status=str(body["status"])
        )
    except (KeyError, TypeError, ValueError):
        raise PayUnavailable("GOV.UK Pay answered a refund without its id") from None
