"""Retrying dead letters in bulk (issue #23 item 8, ADR 144): a CLI command and a button on the
staff page, with a confirmation, audited per message and for the whole, a council at a time."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.test_staff_messaging import dead_letter, signed_in
from townsquare.core.models import Event
from townsquare.messaging.models import Message, Status
from townsquare.messaging.outbox import LINK_STAND_IN

pytestmark = pytest.mark.django_db


def _link_gone(council) -> Message:
    message = dead_letter(council, recipient="linked@example.org")
    Message.objects.filter(pk=message.pk).update(body_text=f"Confirm: {LINK_STAND_IN}")
    return message


def test_supervisors_retry_their_councils_dead_letters_after_confirming(council, other_council):
    mine = [dead_letter(council, recipient=f"p{n}@example.org") for n in range(3)]
    gone = _link_gone(council)
    refused = dead_letter(council, recipient="bounced@example.org")
    Message.objects.filter(pk=refused.pk).update(status=Status.BOUNCED)
    theirs = dead_letter(other_council, recipient="other@example.org")
    client = signed_in(council, "supervisor")
    page = client.get("/staff/messaging/dead-letters").content.decode()
    assert "Retry all 4 dead letters" in page
    confirm = client.get("/staff/messaging/dead-letters/retry")
    assert confirm.status_code == 200
    assert "Send 4 dead letters again?" in confirm.content.decode()
    assert all(m.status == Status.DEAD for m in Message.objects.filter(pk__in=[m.pk for m in mine]))
    response = client.post("/staff/messaging/dead-letters/retry")
    assert response["Location"] == "/staff/messaging/dead-letters"
    assert "3 messages queued again" in client.get(response["Location"]).content.decode()
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in mine] == [Status.QUEUED] * 3
    assert statuses[gone.pk] == statuses[theirs.pk] == Status.DEAD
    assert statuses[refused.pk] == Status.BOUNCED
    retried = Event.objects.filter(kind="messaging.message_retried")
    assert sorted(retried.values_list("stream_id", flat=True)) == [m.pk for m in mine]
    whole = Event.objects.get(kind="messaging.dead_letters_retried")
    assert whole.council_id == council.pk
    assert whole.payload == {"retried": 3, "link_not_kept": 1}
    assert whole.actor_user_id is not None


def test_agents_are_not_offered_the_bulk_retry(council):
    dead_letter(council)
    client = signed_in(council, "agent")
    assert "Retry all" not in client.get("/staff/messaging/dead-letters").content.decode()
    assert client.get("/staff/messaging/dead-letters/retry").status_code == 403
    assert client.post("/staff/messaging/dead-letters/retry").status_code == 403
    assert Message.objects.get().status == Status.DEAD


def test_the_command_line_retries_one_council_or_all(council, other_council):
    dead_letter(council)
    dead_letter(council, recipient="two@example.org")
    _link_gone(council)
    dead_letter(other_council, recipient="other@example.org")
    out = StringIO()
    call_command("messaging", "retry-dead", "--council", council.slug, "--limit", "1", stdout=out)
    assert "1 queued again, 1 left for another run, 1 left alone" in out.getvalue()
    out = StringIO()
    call_command("messaging", "retry-dead", "--all-councils", stdout=out)
    assert f"{council.name}: 1 queued again" in out.getvalue()
    assert f"{other_council.name}: 1 queued again" in out.getvalue()
    assert Message.objects.filter(status=Status.DEAD).count() == 1  # the link that is gone
    assert Event.objects.filter(kind="messaging.dead_letters_retried").count() == 3
