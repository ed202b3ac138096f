"""Calls from providers: GOV.UK Notify delivery receipts and inbound SMS, and inbound email
(replies forwarded by an inbound-email service). Each is authenticated by a shared secret sent
as "Authorization: Bearer <secret>" and answers in JSON."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from townsquare.appointments import services as appointments
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.messaging import services as messaging

MAX_BODY = 256 * 1024


def _authorised(request: HttpRequest, secret: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip()
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _json_body(request: HttpRequest) -> dict | JsonResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "The body is too large"}, status=413)
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"error": "The body is not valid JSON"}, status=400)
    else:
        body = {k: v for k, v in request.POST.items()}
    if not isinstance(body, dict):
        return JsonResponse({"error": "Send a JSON object"}, status=400)
    return body


def _endpoint(secret_setting: str) -> Callable:
    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @require_POST
        def wrapper(request: HttpRequest) -> JsonResponse:
            if not _authorised(request, getattr(settings, secret_setting)):
                return JsonResponse({"error": "Missing or wrong bearer token"}, status=401)
            body = _json_body(request)
            if isinstance(body, JsonResponse):
                return body
            try:
                return view(body)
            except NotFound as exc:
                return JsonResponse({"error": exc.message}, status=404)
            except InvalidInput as exc:
                return JsonResponse({"error": exc.message, "errors": exc.errors}, status=400)

        wrapper.__name__ = view.__name__
        return wrapper

    return decorate


def _text(body: dict, *names: str) -> str:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


@_endpoint("NOTIFY_CALLBACK_TOKEN")
def notify_receipt(body: dict) -> JsonResponse:
    message = messaging.delivery_receipt(
        provider_id=_text(body, "id"), status=_text(body, "status")
    )
    return JsonResponse({"id": message.pk, "status": message.status})


@_endpoint("NOTIFY_CALLBACK_TOKEN")
def notify_inbound_sms(body: dict) -> JsonResponse:
    number, text = _text(body, "source_number"), _text(body, "message")
    # OK, CANCEL or LATE 20 from someone with an appointment today goes to their queue (ADR
    # 193); any other text, or from anyone else, to the request last texted to that number.
    try:
        reply = appointments.appointment_reply_receive(source_number=number, text=text)
    except NotFound:
        pass
    else:
        return JsonResponse({"appointment": reply.appointment_id, "reply": reply.word}, status=201)
    case = messaging.inbound_sms_receive(
        source_number=_text(body, "source_number"), text=_text(body, "message")
    )
    return JsonResponse({"reference": case.reference}, status=201)


@_endpoint("INBOUND_SECRET")
def inbound_email(body: dict) -> JsonResponse:
    to = _text(body, "to", "To", "recipient")
    text = _text(body, "text", "stripped-text", "body-plain", "TextBody")
    if not text.strip():
        raise InvalidInput({"text": ["The reply has no text"]}, code="empty")
    case = messaging.inbound_email_receive(to=to, text=text)
    return JsonResponse({"reference": case.reference}, status=201)
