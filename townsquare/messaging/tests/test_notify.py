"""GOV.UK Notify through its official client, against a local server speaking the part of the
Notify API we use (JWT-authenticated POSTs to /v2/notifications/email and /sms), then Notify's
delivery-receipt and inbound-SMS callbacks."""

from __future__ import annotations

import json
import uuid

import jwt
import pytest
from django.core.management import call_command
from django.test import Client

from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.core.models import Event
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status

pytestmark = pytest.mark.django_db(transaction=True)
SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())


@pytest.fixture
def notify(receiver, settings, messaging_on):
    def handle(request):
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        if claims["iss"] != SERVICE_ID:
            return 403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]}
        body = json.loads(request.body)
        if body.get("phone_number") == "07700900999":
            return 400, {
                "errors": [{"error": "BadRequestError", "message": "Not a valid phone number"}]
            }
        return 201, {"id": str(uuid.uuid4()), "reference": body.get("reference")}

    server = receiver(handler=handle)
    settings.NOTIFY_API_KEY = f"townsquare_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_BASE_URL = server.url
    settings.NOTIFY_EMAIL_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_SMS_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_CALLBACK_TOKEN = "callback-token"
    return server


def test_email_and_sms_through_notify_then_receipts_and_a_texted_reply(council, notify):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(email="r@example.org", phone="07700900123"),
    )
    call_command("worker", "--batch", verbosity=0)
    paths = sorted(r.path for r in notify.requests)
    assert paths == ["/v2/notifications/email", "/v2/notifications/sms"]
    sent = {
        json.loads(r.body).get("email_address") or json.loads(r.body)["phone_number"]: json.loads(
            r.body
        )
        for r in notify.requests
    }
    assert sent["r@example.org"]["personalisation"]["subject"].startswith("We have received")
    assert case.reference in sent["07700900123"]["personalisation"]["body"]
    email = Message.objects.get(channel="email")
    sms = Message.objects.get(channel="sms")
    assert email.status == Status.SENT and email.provider_id

    client = Client()
    receipt = {
        "id": email.provider_id,
        "reference": str(email.pk),
        "to": "r@example.org",
        "status": "delivered",
        "notification_type": "email",
    }
    assert (
        client.post("/api/notify/receipts", receipt, content_type="application/json").status_code
        == 401
    )
    response = client.post(
        "/api/notify/receipts",
        receipt,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer callback-token",
    )
    assert response.status_code == 200
    email.refresh_from_db()
    assert email.status == Status.DELIVERED
    bounce = {**receipt, "id": sms.provider_id, "status": "permanent-failure"}
    client.post(
        "/api/notify/receipts",
        bounce,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer callback-token",
    )
    sms.refresh_from_db()
    assert sms.status == Status.BOUNCED
    unknown = client.post(
        "/api/notify/receipts",
        {**receipt, "id": "nope"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer callback-token",
    )
    assert unknown.status_code == 404

    inbound = {
        "id": str(uuid.uuid4()),
        "source_number": "447700900123",
        "destination_number": "07797000000",
        "message": "Still there, and bigger",
        "date_received": "2026-11-22T10:00:00.000000Z",
    }
    response = client.post(
        "/api/notify/inbound-sms",
        inbound,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer callback-token",
    )
    assert response.status_code == 201
    reply = Event.objects.get(kind="case.citizen_reply", stream_id=case.id)
    assert reply.payload == {
        "case_id": case.id,
        "reference": case.reference,
        "message": "Still there, and bigger",
        "channel": "sms",
    }


def test_a_rejected_request_is_not_retried(council, notify):
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(phone="07700900999"),
    )
    call_command("worker", "--batch", verbosity=0)
    sms = Message.objects.get(channel="sms")
    assert sms.status == Status.FAILED and sms.attempts == 1
    assert "Not a valid phone number" in sms.last_error
