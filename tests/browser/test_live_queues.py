"""Live queues, the Done-when walk-through (issue 18) in Chromium against the real ASGI server:
the desk, on a phone, taps "running 40 minutes late"; the waiting-room board changes without a
reload; each affected person's text or email is in the demo's SMS log or mailbox in their
language; a "LATE 20" text moves its sender down the board; the next day's clean-up leaves no
personal data. Every page is checked with axe."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
import requests
from django.core.management import call_command

from tests import factories
from tests.browser.support import TIMEOUT_MS, assert_accessible, staff_sign_in
from townsquare.appointments.demo import demo_clinic_ensure
from townsquare.appointments.models import Appointment, Session
from townsquare.appointments.services import sessions_clean_up
from townsquare.core import clock
from townsquare.messaging.mailbox import mailbox_list
from townsquare.messaging.models import Message
from townsquare.messaging.outbox import outbox_dispatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _log(directory) -> dict[str, str]:
    found = {}
    for mail in mailbox_list(directory=directory, limit=1000):
        parsed = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
        found[mail.to] = parsed.get_body(preferencelist=("plain",)).get_content()
    return found


def test_desk_delay_reaches_board_people_and_is_gone_next_day(
    browser, town, settings, tmp_path, smtp_mailbox, monkeypatch
):
    from playwright.sync_api import expect

    from townsquare.live.tests.server import asgi_server

    settings.DEMO_MAILBOX = True
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    settings.MESSAGING_SMS_QUIET_HOURS = ""
    settings.NOTIFY_API_KEY = ""
    clinic = demo_clinic_ensure(council=town)
    people = list(Appointment.objects.filter(session=clinic).order_by("queue_at"))
    user, _ = factories.make_staff_signed_in(town, "agent")
    with asgi_server(
        static=True, MESSAGING_SMS_QUIET_HOURS="", NOTIFY_CALLBACK_TOKEN="callback-token"
    ) as base:
        public = browser.new_context(base_url=base, locale="en-GB")
        public.set_default_timeout(TIMEOUT_MS)
        board = public.new_page()
        board.goto("/queues/")
        board.get_by_role("link", name="Central Health Clinic").click()
        expect(board.locator("#queue-delay")).to_have_text("Running on time")
        first_row = board.locator("#queue-board tbody tr").first
        expect(first_row.locator("td").first).to_have_text(str(people[0].number))
        assert_accessible(board)

        desk_context = browser.new_context(base_url=base, locale="en-GB", viewport=PHONE)
        desk_context.set_default_timeout(TIMEOUT_MS)
        desk = desk_context.new_page()
        staff_sign_in(desk, user.email)
        desk.goto("/staff/queues/")
        desk.get_by_role("link", name="Central Health Clinic").click()
        assert_accessible(desk)
        desk.get_by_role("button", name="Running 40 minutes late").click()
        expect(desk.locator("#desk-delay")).to_contain_text("running 40 minutes late")
        assert_accessible(desk)

        # The board changed on its own, over the live event stream.
        expect(board.locator("#queue-delay")).to_have_text("Running 40 minutes late")

        # The people still to come are told, each in their language: the outbox plans what
        # the server's events ask for (its dispatch is off in tests) and the worker sends.
        outbox_dispatch()
        call_command("worker", "--batch", verbosity=0)
        texts = _log(settings.MAILBOX_DIR)
        welsh = next(p for p in people if p.language == "cy" and p.phone)
        english = next(p for p in people if p.language == "en" and p.phone)
        assert "Clinig Iechyd Canolog" in texts[welsh.phone]
        assert "bellach" in texts[welsh.phone]
        assert "is now expected at" in texts[english.phone]
        emailed = {m["To"] for m in smtp_mailbox.messages}
        assert {p.email for p in people if p.email} <= emailed

        # "LATE 20" from the first person: they move down, live.
        reply = requests.post(
            f"{base}/api/notify/inbound-sms",
            json={"source_number": people[0].phone, "message": "LATE 20"},
            headers={"Authorization": "Bearer callback-token"},
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
        expect(first_row.locator("td").first).to_have_text(str(people[1].number))
        desk.reload()
        expect(desk.get_by_text("said they are running 20 minutes late")).to_be_visible()

        board.goto(f"/queues/{clinic.id}/text")
        assert "Running 40 minutes late." in board.content()
        board.goto(f"/queues/{clinic.id}/?view=screen")
        assert_accessible(board)
        public.close()
        desk_context.close()

    # The next day: the clean-up removes every contact, name and message content.
    # The day after the session ended, whatever the hour the test runs at: the demo clinic
    # starts at the current hour, so one started in the evening ends after midnight.
    day_after = clinic.ends_at + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: day_after)
    assert sessions_clean_up()["appointments"] == len(people)
    call_command("worker", "--batch", verbosity=0)
    for row in Appointment.objects.filter(session=clinic).values("name", "phone", "email"):
        assert set(row.values()) == {""}
    for message in Message.objects.filter(template__startswith="appointment"):
        assert message.recipient == "(removed)" and not message.body_text
    assert Session.objects.get(pk=clinic.pk).figures["worst_delay_minutes"] == 40
