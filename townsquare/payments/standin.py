"""A stand-in for GOV.UK Pay's public API, for the demo and the tests (ADR 162).

GOV.UK Pay cannot run here and no fake of it exists in any registry, so this small server plays
it: create a payment, its hosted payment page (with "Pay", "Decline" and "Cancel" buttons in
place of a card form), the payment's status, cancel, refunds, and webhooks signed the way Pay
signs them (`Pay-Signature`: HMAC-SHA256 of the raw body, in hex). A payment not finished 90
minutes after it was made expires, by a clock the server can be told to move on.

Its answers follow Pay's own OpenAPI document (../shared/data/govuk_pay/publicapi_spec.json);
tests/test_payments_standin_contract.py checks them with schemathesis so the two cannot drift.
Townsquare never imports this module for its own work: the adapter (govuk_pay.py) talks HTTP to
whatever base URL the settings name, this server or the real Pay.

Only the standard library: `python -m townsquare.payments.standin --port 9811`, or
`townsquare pay_standin`, or `StandInPay.start()` in a test (a thread on a free loopback port).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EXPIRY = dt.timedelta(minutes=90)
# Pay's published document declares no 400 or 422 for a refund, only 412 (Precondition
# Failed): every refused refund is answered 412 with Pay's own error code (ADR 162).
_REFUND_REFUSED = 412
MAX_AMOUNT = 10_000_000
_METADATA_KEY = re.compile(r"^.{1,30}$")
_IDEMPOTENCY_KEY = re.compile(r"^[a-zA-Z0-9-]+$")

# Pay's state for each way a payment ends: (status, finished, code, message).
_ENDINGS = {
    "pay": ("success", True, None, None),
    "decline": ("failed", True, "P0010", "Payment method rejected"),
    "cancel": ("cancelled", True, "P0030", "Payment was cancelled by the user"),
    "expire": ("failed", True, "P0020", "Payment expired"),
    "error": ("error", True, "P0050", "Payment provider returned an error"),
}


@dataclass
class _Payment:
    payment_id: str
    account: str
    body: dict[str, Any]
    created: dt.datetime
    status: str = "created"
    finished: bool = False
    code: str | None = None
    message: str | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    card_brand: str = ""

    def refunded(self) -> int:
        return sum(r["amount"] for r in self.refunds if r["status"] != "error")


@dataclass
class Webhook:
    url: str
    secret: str


class StandInState:
    """Everything the server knows; tests may read and change it between requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.payments: dict[str, _Payment] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.webhooks: dict[str, Webhook] = {}  # by API key (a Pay account = a service)
        self.clock_offset = dt.timedelta()
        # The next API call answers 500 ("500") or never answers ("hang"): Pay failing.
        self.fail_next: str = ""
        self.hold = threading.Event()
        self.delivered: list[dict[str, Any]] = []  # webhooks sent, for tests to read

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.clock_offset

    def advance(self, *, minutes: float) -> None:
        with self.lock:
            self.clock_offset += dt.timedelta(minutes=minutes)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sign(body: bytes, secret: str) -> str:
    """Pay's webhook signature: HMAC-SHA256 of the raw body with the signing secret, in hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the demo's terminal is for Townsquare

    # -- plumbing

    @property
    def state(self) -> StandInState:
        return self.server.state

    def _send(self, status: int, body: Any = None, *, content_type: str = "application/json"):
        data = b""
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, code: str, description: str, field_name: str = ""):
        body = {"code": code, "description": description}
        if field_name:
            body["field"] = field_name
        self._send(status, body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1_000_000)) if length else b""

    def _account(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            self._send(401)
            return None
        return auth[7:].strip()

    def _base(self) -> str:
        return self.server.public_url

    def _injected_failure(self) -> bool:
        with self.state.lock:
            failure, self.state.fail_next = self.state.fail_next, ""
        if failure == "500":
            self._error(500, "P0198", "Downstream system error")
            return True
        if failure == "hang":
            self.state.hold.wait(timeout=30)
            self.close_connection = True
            return True
        return False

    # -- routes

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            return self._send(200, {"ok": True})
        if m := re.fullmatch(r"/pay/([a-z0-9]+)", path):
            return self._hosted_page(m.group(1))
        if not path.startswith("/v1/"):
            return self._send(404, {"code": "P0920", "description": "Not found"})
        account = self._account()
        if account is None or self._injected_failure():
            return None
        if m := re.fullmatch(r"/v1/payments/([^/]+)", path):
            payment = self._find(account, m.group(1))
            return payment and self._send(200, self._payment_json(payment, full=True))
        if m := re.fullmatch(r"/v1/payments/([^/]+)/refunds", path):
            payment = self._find(account, m.group(1))
            return payment and self._send(200, self._refunds_json(payment))
        if m := re.fullmatch(r"/v1/payments/([^/]+)/refunds/([^/]+)", path):
            payment = self._find(account, m.group(1))
            if payment is None:
                return None
            refund = next((r for r in payment.refunds if r["refund_id"] == m.group(2)), None)
            if refund is None:
                return self._error(404, "P0700", "Not found")
            return self._send(200, self._refund_json(payment, refund))
        return self._send(404, {"code": "P0920", "description": "Not found"})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if m := re.fullmatch(r"/pay/([a-z0-9]+)", path):
            return self._hosted_page_post(m.group(1))
        if path == "/_standin/clock":
            try:
                minutes = float(json.loads(self._body() or b"{}").get("advance_minutes", 0))
            except (ValueError, TypeError, AttributeError):
                return self._send(400, {"error": "advance_minutes: a number"})
            self.state.advance(minutes=minutes)
            return self._send(200, {"now": _stamp(self.state.now())})
        account = self._account()
        if account is None or self._injected_failure():
            return None
        if path == "/v1/payments":
            return self._create(account)
        if m := re.fullmatch(r"/v1/payments/([^/]+)/cancel", path):
            return self._cancel(account, m.group(1))
        if m := re.fullmatch(r"/v1/payments/([^/]+)/refunds", path):
            return self._refund(account, m.group(1))
        return self._send(404, {"code": "P0920", "description": "Not found"})

    # -- the API

    def _find(self, account: str, payment_id: str) -> _Payment | None:
        with self.state.lock:
            payment = self.state.payments.get(payment_id)
            if payment is None or payment.account != account:
                self._error(404, "P0200", "Not found")
                return None
            self._expire(payment)
            return payment

    def _expire(self, payment: _Payment) -> None:
        if not payment.finished and self.state.now() - payment.created >= EXPIRY:
            payment.status, payment.finished, payment.code, payment.message = _ENDINGS["expire"]

    def _create(self, account: str) -> None:
        key = self.headers.get("Idempotency-Key")
        if key is not None and (len(key) > 255 or (key and not _IDEMPOTENCY_KEY.match(key))):
            return self._error(400, "P0102", "Invalid attribute value: Idempotency-Key", "")
        try:
            body = json.loads(self._body() or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._error(400, "P0197", "Unable to parse JSON")
        problem = _create_problem(body)
        if problem:
            code, name, description = problem
            return self._error(422 if code != "P0197" else 400, code, description, name)
        with self.state.lock:
            existing = self.state.idempotency.get((account, key)) if key else None
            if existing:
                payment = self.state.payments[existing]
                status = 200
            else:
                payment = _Payment(
                    payment_id=secrets.token_hex(13),
                    account=account,
                    body=body,
                    created=self.state.now(),
                )
                self.state.payments[payment.payment_id] = payment
                if key:
                    self.state.idempotency[(account, key)] = payment.payment_id
                status = 201
        self._send(status, self._payment_json(payment, full=False))

    def _cancel(self, account: str, payment_id: str) -> None:
        payment = self._find(account, payment_id)
        if payment is None:
            return None
        with self.state.lock:
            if payment.finished:
                return self._error(400, "P0501", "Cancellation of payment failed")
            payment.status, payment.finished, payment.code, payment.message = (
                "cancelled",
                True,
                "P0040",
                "Payment was cancelled by the service",
            )
        return self._send(204)

    def _refund(self, account: str, payment_id: str) -> None:
        payment = self._find(account, payment_id)
        if payment is None:
            return None
        try:
            body = json.loads(self._body() or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._error(_REFUND_REFUSED, "P0697", "Unable to parse JSON")
        if not isinstance(body, dict):
            return self._error(_REFUND_REFUSED, "P0697", "Unable to parse JSON")
        amount = body.get("amount")
        available_claimed = body.get("refund_amount_available")
        if not _integer(amount) or not 1 <= amount <= MAX_AMOUNT:
            return self._error(
                _REFUND_REFUSED, "P0602", "Invalid attribute value: amount", "amount"
            )
        if available_claimed is not None and not _integer(available_claimed):
            return self._error(
                _REFUND_REFUSED,
                "P0602",
                "Invalid attribute value: refund_amount_available",
                "refund_amount_available",
            )
        with self.state.lock:
            if payment.status != "success":
                return self._error(
                    _REFUND_REFUSED, "P0604", "Refund is not available for this payment"
                )
            available = payment.body["amount"] - payment.refunded()
            if available_claimed is not None and available_claimed != available:
                return self._error(412, "P0603", "Refund amount available mismatch")
            if amount > available:
                return self._error(
                    _REFUND_REFUSED, "P0604", "Refund amount exceeds the amount available"
                )
            refund = {
                "refund_id": secrets.token_hex(13),
                "amount": amount,
                "status": "success",
                "created_date": _stamp(self.state.now()),
            }
            payment.refunds.append(refund)
        self._send(202, self._refund_json(payment, refund))
        self.server.notify(payment, "card_payment_refunded")

    # -- the hosted payment page

    def _page(self, status: int, title: str, body: str) -> None:
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} - GOV.UK Pay (stand-in)</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">'
            "<header><p><strong>GOV.UK Pay</strong> (stand-in for demonstration)</p></header>"
            f"<main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )
        self._send(status, page.encode(), content_type="text/html; charset=utf-8")

    def _hosted_page(self, payment_id: str) -> None:
        with self.state.lock:
            payment = self.state.payments.get(payment_id)
            if payment is not None:
                self._expire(payment)
        if payment is None:
            return self._page(404, "Payment not found", "<p>We cannot find this payment.</p>")
        if payment.finished:
            link = html.escape(payment.body["return_url"])
            reason = "has expired" if payment.code == "P0020" else "has already finished"
            return self._page(
                200,
                "Your payment session " + reason,
                f'<p><a href="{link}">Go back to the service</a></p>',
            )
        amount = f"£{payment.body['amount'] / 100:,.2f}"
        description = html.escape(payment.body["description"])
        self._page(
            200,
            "Enter card details",
            f"<p>{description}</p><p>Total amount: <strong>{amount}</strong></p>"
            f'<form method="post" action="/pay/{payment.payment_id}">'
            '<button name="action" value="pay">Pay</button> '
            '<button name="action" value="decline">Decline</button> '
            '<button name="action" value="cancel">Cancel payment</button></form>',
        )

    def _hosted_page_post(self, payment_id: str) -> None:
        action = parse_qs(self._body().decode("utf-8", "replace")).get("action", [""])[0]
        with self.state.lock:
            payment = self.state.payments.get(payment_id)
            if payment is None or action not in ("pay", "decline", "cancel"):
                return self._page(400, "Something went wrong", "<p>Try again.</p>")
            self._expire(payment)
            if not payment.finished:
                payment.status, payment.finished, payment.code, payment.message = _ENDINGS[action]
                if action == "pay":
                    payment.card_brand = "Visa"
            ended = payment.status
        if ended == "success":
            self.server.notify(payment, "card_payment_succeeded")
        self.send_response(303)
        self.send_header("Location", payment.body["return_url"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- JSON shapes (Pay's schemas)

    def _links(self, payment: _Payment) -> dict[str, Any]:
        base = self._base()
        own = f"{base}/v1/payments/{payment.payment_id}"
        links: dict[str, Any] = {
            "self": {"href": own, "method": "GET"},
            "events": {"href": f"{own}/events", "method": "GET"},
            "refunds": {"href": f"{own}/refunds", "method": "GET"},
        }
        if not payment.finished:
            links["next_url"] = {"href": f"{base}/pay/{payment.payment_id}", "method": "GET"}
            # No next_url_post: Pay's own sends params as strings, which its published document
            # says must be objects; the adapter only follows next_url.
            links["cancel"] = {"href": f"{own}/cancel", "method": "POST"}
        return links

    def _payment_json(self, payment: _Payment, *, full: bool) -> dict[str, Any]:
        body = payment.body
        state: dict[str, Any] = {"status": payment.status, "finished": payment.finished}
        if payment.code:
            state.update(code=payment.code, message=payment.message)
        if payment.status == "failed" and payment.code == "P0010":
            state["can_retry"] = True
        available = body["amount"] - payment.refunded()
        if payment.status != "success":
            refund_status = "pending" if not payment.finished else "unavailable"
        else:
            refund_status = "available" if available > 0 else "full"
        result: dict[str, Any] = {
            "amount": body["amount"],
            "description": body["description"],
            "reference": body["reference"],
            "language": body.get("language", "en"),
            "return_url": body["return_url"],
            "payment_id": payment.payment_id,
            "payment_provider": "sandbox",
            "created_date": _stamp(payment.created),
            "state": state,
            "refund_summary": {
                "status": refund_status,
                "amount_available": available if payment.status == "success" else 0,
                "amount_submitted": payment.refunded(),
            },
            "settlement_summary": {},
            "delayed_capture": False,
            "moto": False,
            "_links": self._links(payment),
        }
        if body.get("metadata"):
            result["metadata"] = body["metadata"]
        if body.get("email"):
            result["email"] = body["email"]
        if full:
            result["authorisation_mode"] = "web"
            if payment.status == "success":
                result["card_brand"] = payment.card_brand
                result["total_amount"] = body["amount"]
        return result

    def _refund_json(self, payment: _Payment, refund: dict[str, Any]) -> dict[str, Any]:
        own = f"{self._base()}/v1/payments/{payment.payment_id}"
        return {
            **refund,
            "payment_id": payment.payment_id,
            "settlement_summary": {},
            "_links": {
                "self": {"href": f"{own}/refunds/{refund['refund_id']}", "method": "GET"},
                "payment": {"href": own, "method": "GET"},
            },
        }

    def _refunds_json(self, payment: _Payment) -> dict[str, Any]:
        own = f"{self._base()}/v1/payments/{payment.payment_id}"
        return {
            "payment_id": payment.payment_id,
            "_links": {
                "self": {"href": f"{own}/refunds", "method": "GET"},
                "payment": {"href": own, "method": "GET"},
            },
            "_embedded": {"refunds": [self._refund_json(payment, r) for r in payment.refunds]},
        }


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _create_problem(body: Any) -> tuple[str, str, str] | None:
    """(Pay's error code, field, description) for a create request Pay would refuse."""
    if not isinstance(body, dict):
        return ("P0197", "", "Unable to parse JSON")
    for name in ("amount", "description", "reference", "return_url"):
        if body.get(name) is None:
            return ("P0101", name, f"Missing mandatory attribute: {name}")
    amount = body["amount"]
    if not _integer(amount) or not 0 <= amount <= MAX_AMOUNT:
        return (
            "P0102",
            "amount",
            "Invalid attribute value: amount. Must be less than or equal to 10000000",
        )
    for name, limit in (("description", 255), ("reference", 255), ("return_url", 2000)):
        value = body[name]
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            return ("P0102", name, f"Invalid attribute value: {name}")
    if not re.match(r"^https?://[^\s/]+", body["return_url"]):
        return (
            "P0102",
            "return_url",
            "Invalid attribute value: return_url. Must be a valid URL format",
        )
    if body.get("language", "en") not in ("en", "cy"):
        return ("P0102", "language", "Invalid attribute value: language. Must be [en] or [cy]")
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or len(email) > 254):
        return ("P0102", "email", "Invalid attribute value: email")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 10:
            return ("P0102", "metadata", "Invalid attribute value: metadata")
        for key, value in metadata.items():
            if not _METADATA_KEY.match(key) or not (
                isinstance(value, (str, bool, int, float)) and len(str(value)) <= 100
            ):
                return ("P0102", "metadata", "Invalid attribute value: metadata")
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandInState
    public_url: str

    def notify(self, payment: _Payment, event_type: str) -> None:
        """Post a signed webhook for `payment` to its account's address, if it has one. Sent
        before the hosted page sends the person back, so a webhook can arrive first (as it may
        from the real Pay); a receiver that is down loses it, as with Pay's limited retries."""
        hook = self.state.webhooks.get(payment.account)
        if hook is None:
            return
        handler_view = _Handler.__new__(_Handler)
        handler_view.server = self
        body = json.dumps(
            {
                "webhook_message_id": secrets.token_hex(13),
                "created_date": _stamp(self.state.now()),
                "resource_id": payment.payment_id,
                "api_version": 1,
                "resource_type": "payment",
                "event_type": event_type,
                "live": False,
                "resource": handler_view._payment_json(payment, full=True),
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (an http(s) address the operator gave)
            hook.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Pay-Signature": sign(body, hook.secret)},
        )
        outcome: dict[str, Any] = {"event_type": event_type, "payment_id": payment.payment_id}
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                outcome["status"] = answer.status
        except Exception as exc:
            outcome["status"] = getattr(exc, "code", 0)
        self.state.delivered.append(outcome)


class StandInPay:
    """The server in a background thread (tests): `with StandInPay.start() as pay: pay.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = StandInState()
        self._server = _Server((host, port), _Handler)
        self._server.state = self.state
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._server.public_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0) -> StandInPay:
        server = cls(host, port)
        server._thread.start()
        return server

    def stop(self) -> None:
        self.state.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandInPay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9811)
    parser.add_argument(
        "--webhook",
        nargs=3,
        action="append",
        default=[],
        metavar=("API_KEY", "URL", "SECRET"),
        help="send the webhooks of payments made with API_KEY to URL, signed with SECRET",
    )
    args = parser.parse_args(argv)
    server = StandInPay(args.host, args.port)
    for key, url, secret in args.webhook:
        server.state.webhooks[key] = Webhook(url=url, secret=secret)
    print(f"Stand-in GOV.UK Pay on {server.url}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
