"""A delay's texts through a stand-in Notify that answers 429 past its limit: every message is
sent in the end, none twice, and the 429s use up none of a message's tries (ADR 195)."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

from tests.factories import make_staff
from townsquare.appointments import services
from townsquare.messaging.models import Message, Status
from townsquare.messaging.sending import outbox_send_due

pytestmark = pytest.mark.django_db(transaction=True)


def test_429s_delay_texts_and_lose_none(council, clinic, wall, settings, messaging_on):
    from townsquare.messaging.tests.support import HttpReceiver

    accepted: Counter = Counter()
    answers = iter([429, 429, 201, 429] + [201] * 100)

    def handle(request):
        status = next(answers)
        if status == 429:
            return 429, {"errors": [{"error": "RateLimitError", "message": "Exceeded rate limit"}]}
        accepted[json.loads(request.body)["reference"]] += 1
        return 201, {"id": str(uuid.uuid4())}

    server = HttpReceiver(handler=handle).start()
    try:
        secret, service = str(uuid.uuid4()), str(uuid.uuid4())
        settings.NOTIFY_API_KEY = f"townsquare_test-{service}-{secret}"
        settings.NOTIFY_BASE_URL = server.url
        settings.NOTIFY_SMS_TEMPLATE_ID = str(uuid.uuid4())
        settings.NOTIFY_EMAIL_TEMPLATE_ID = str(uuid.uuid4())
        settings.MESSAGING_MAX_ATTEMPTS = 2
        services.session_delay_set(
            session=clinic, delay_minutes=40, actor=make_staff(council, "agent")[1]
        )
        planned = Message.objects.count()
        # The sender itself, as a worker runs it, with the clock moved past each retry.
        for _ in range(5):
            wall.advance(seconds=2)
            outbox_send_due(budget_seconds=30)
        assert Message.objects.filter(status=Status.SENT).count() == planned
        assert len(accepted) == planned and set(accepted.values()) == {1}
        assert max(Message.objects.values_list("attempts", flat=True)) == 1
    finally:
        server.stop()
