"""A report's life, end to end through the outbox, the worker and a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from townsquare.accounts.principal import Principal
from townsquare.cases.services import (
    Reporter,
    case_create,
    case_post_public_update,
    case_transition,
)
from townsquare.councils.models import Area
from townsquare.geo.points import Point
from townsquare.messaging import services
from townsquare.messaging.models import Message, Status, Subscription
from townsquare.messaging.selectors import deliveries_for_case, followed_case_ids

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command("worker", "--batch", verbosity=0)


def report(**kwargs):
    return case_create(
        **{
            "service_code": "pothole",
            "actor": Principal.anonymous(),
            "point": Point(51.5, -1.75),
            "values": {"depth": "deep"},
            "address": "1 Mill Lane",
            "description": "A deep hole",
            "reporter": Reporter(email="reporter@example.org"),
            **kwargs,
        }
    )


def test_a_reports_life_sends_exactly_the_expected_messages(
    council, agent, smtp, messaging_on, django_user_model
):
    west = Area.objects.get(council=council, name="West ward")
    ward_alert = services.area_alert_subscribe(council=council, email="ward@example.org", area=west)
    services.subscription_confirm(token=_confirm_token(ward_alert))
    circle = services.area_alert_subscribe(
        council=council, email="near@example.org", point=Point(51.5005, -1.7505), radius_m=500
    )
    services.subscription_confirm(token=_confirm_token(circle))
    # Too far, and the wrong category: neither hears.
    far = services.area_alert_subscribe(
        council=council, email="far@example.org", point=Point(51.9, -1.1), radius_m=500
    )
    services.subscription_confirm(token=_confirm_token(far))
    other = services.area_alert_subscribe(council=council, email="other@example.org", area=west)
    services.subscription_confirm(token=_confirm_token(other))
    Subscription.objects.filter(pk=other.pk).update(service_codes=["graffiti"])
    # An unconfirmed subscription hears nothing but its confirmation.
    services.area_alert_subscribe(council=council, email="unsure@example.org", area=west)
    run_worker()
    smtp.messages.clear()

    case = report()
    follower = django_user_model.objects.create_user("follower@example.org")
    services.case_follow(case=case, user=follower)
    assert followed_case_ids(user=follower) == {case.id}
    run_worker()
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == [
        "near@example.org",
        "reporter@example.org",
        "ward@example.org",
    ]
    ack = smtp.to("reporter@example.org")[0]
    assert ack["Subject"] == f"We have received your request {case.reference}"
    assert ack["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ack["List-Unsubscribe"].strip().startswith("<http://testserver/alerts/unsubscribe/")
    assert ack["Reply-To"].strip().startswith("reply+")
    assert case.reference in smtp.text(ack)
    assert "<strong>" in smtp.html(ack)
    assert smtp.to("ward@example.org")[0]["Subject"] == "New report in West ward: Pothole"

    smtp.messages.clear()
    case = case_transition(
        case=case,
        to_state="in_progress",
        actor=agent,
        message="A crew is booked for <b>Tuesday</b>",
    )
    case = case_post_public_update(case=case, actor=agent, message="Cones are out.")
    case = case_transition(case=case, to_state="fixed", actor=agent)
    run_worker()
    subjects = sorted((m["X-Envelope-To"], m["Subject"]) for m in smtp.messages)
    assert subjects == sorted(
        [
            ("reporter@example.org", f"Your request {case.reference} is now: In progress"),
            ("follower@example.org", f"Your request {case.reference} is now: In progress"),
            ("reporter@example.org", f"Update on your request {case.reference}"),
            ("follower@example.org", f"Update on your request {case.reference}"),
            ("reporter@example.org", f"Your request {case.reference} is closed: Fixed"),
            ("follower@example.org", f"Your request {case.reference} is closed: Fixed"),
        ]
    )
    in_progress = next(m for m in smtp.to("reporter@example.org") if "In progress" in m["Subject"])
    # What staff wrote is shown as text, never as markup.
    assert "&lt;b&gt;Tuesday&lt;/b&gt;" in smtp.html(in_progress)
    assert all(d.status == Status.SENT for d in deliveries_for_case(case.id))

    # Dispatching again (a crash before the cursor moved, say) sends nothing twice.
    before = Message.objects.count()
    from townsquare.core.models import Event
    from townsquare.messaging.models import Cursor
    from townsquare.messaging.outbox import outbox_dispatch

    created_id = Event.objects.get(kind="case.created", stream_id=case.id).id
    Cursor.objects.update(last_event_id=created_id)
    outbox_dispatch()
    run_worker()
    assert Message.objects.count() == before
    assert len(smtp.messages) == 6


def test_one_click_unsubscribe_stops_the_emails(council, agent, smtp, messaging_on):
    case = report()
    run_worker()
    ack = smtp.to("reporter@example.org")[0]
    link = ack["List-Unsubscribe"].strip().strip("<>").removeprefix("http://testserver")
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and b"Stop these emails" in page.content
    # RFC 8058: a POST with no form token, as mail clients send it.
    response = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    smtp.messages.clear()
    case_transition(case=case, to_state="in_progress", actor=agent)
    run_worker()
    assert smtp.messages == []
    assert Client().get("/alerts/unsubscribe/forged.token").status_code == 404


def test_daily_digest_collects_new_reports(council, smtp, messaging_on):
    west = Area.objects.get(council=council, name="West ward")
    sub = services.area_alert_subscribe(
        council=council, email="daily@example.org", area=west, frequency="daily"
    )
    services.subscription_confirm(token=_confirm_token(sub))
    first, second = report(), report()
    run_worker()
    assert smtp.to("daily@example.org")[-1]["Subject"].startswith("Confirm")
    call_command("messaging", "digests", "--now", verbosity=0)
    run_worker()
    digest = smtp.to("daily@example.org")[-1]
    assert digest["Subject"] == "2 new reports in West ward"
    assert first.reference in smtp.text(digest) and second.reference in smtp.text(digest)


def test_welsh_subscriber_gets_welsh(council, smtp, messaging_on):
    west = Area.objects.get(council=council, name="West ward")
    sub = services.area_alert_subscribe(
        council=council, email="cymraeg@example.org", area=west, language="cy"
    )
    run_worker()
    confirmation = smtp.to("cymraeg@example.org")[0]
    assert confirmation["Subject"].startswith("Cadarnhewch")
    services.subscription_confirm(token=_confirm_token(sub))
    report()
    run_worker()
    assert smtp.to("cymraeg@example.org")[-1]["Subject"].startswith("Adroddiad newydd yn")


def test_bounced_address_is_recorded_and_not_retried(council, smtp, messaging_on):
    smtp.refuse["reporter@example.org"] = "550 5.1.1 No such mailbox"
    case = report()
    run_worker()
    [delivery] = deliveries_for_case(case.id)
    assert delivery.status == Status.BOUNCED and delivery.attempts == 1
    assert "550" in delivery.last_error


def test_temporary_failures_retry_then_dead_letter_then_staff_retry(
    council, smtp, messaging_on, settings, supervisor
):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    smtp.refuse["reporter@example.org"] = "451 4.3.0 Try again later"
    case = report()
    for _ in range(5):  # retries are due at once (messaging_on)
        run_worker()
        message = Message.objects.get(case=case)
        if message.status == Status.DEAD:
            break
    assert message.status == Status.DEAD and message.attempts == 3
    assert [a.outcome for a in message.log.all()] == ["retry", "retry", "dead"]
    del smtp.refuse["reporter@example.org"]
    services.message_retry(message=message, actor=supervisor)
    run_worker()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.to("reporter@example.org")) == 1


def test_inbound_reply_lands_on_the_timeline(council, smtp, messaging_on, settings):
    settings.INBOUND_SECRET = "s3cret"
    case = report()
    run_worker()
    reply_to = str(smtp.to("reporter@example.org")[0]["Reply-To"]).strip()
    client = Client()
    body = {"to": reply_to, "text": "It is getting bigger.\n\nOn Monday someone wrote:\n> old"}
    assert (
        client.post("/api/inbound/email", body, content_type="application/json").status_code == 401
    )
    response = client.post(
        "/api/inbound/email",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer s3cret",
    )
    assert response.status_code == 201 and response.json()["reference"] == case.reference
    from townsquare.core.models import Event

    reply = Event.objects.filter(kind="case.citizen_reply", stream_id=case.id).get()
    assert reply.payload["message"] == "It is getting bigger."
    assert reply.visibility == "internal"
    bad = client.post(
        "/api/inbound/email",
        {"to": "reply+nope@x", "text": "hi"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer s3cret",
    )
    assert bad.status_code == 404
    broken = client.post(
        "/api/inbound/email",
        b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer s3cret",
    )
    assert broken.status_code == 400


def _confirm_token(sub):
    from townsquare.messaging import tokens

    return tokens.make("confirm", sub.pk)


def test_a_report_awaiting_its_reporters_confirmation_is_announced_once_confirmed(
    council, smtp, messaging_on
):
    from townsquare.cases.services import case_confirm_reporter

    west = Area.objects.get(council=council, name="West ward")
    alert = services.area_alert_subscribe(council=council, email="ward@example.org", area=west)
    services.subscription_confirm(token=_confirm_token(alert))
    run_worker()
    smtp.messages.clear()
    case = report(awaiting_confirmation=True)
    run_worker()
    assert smtp.messages == []  # neither the unconfirmed address nor the area hears yet
    case_confirm_reporter(case_id=case.id)
    run_worker()
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == [
        "reporter@example.org",
        "ward@example.org",
    ]
    case_confirm_reporter(case_id=case.id)  # following the link again changes nothing
    run_worker()
    assert len(smtp.messages) == 2


def test_anonymising_a_case_forgets_its_recipients(council, agent, smtp, messaging_on):
    import datetime as dt

    from townsquare.cases.models import Case
    from townsquare.cases.services import cases_anonymise_expired

    case = report()
    run_worker()
    case = case_transition(case=case, to_state="fixed", actor=agent)
    run_worker()
    Case.objects.filter(pk=case.pk).update(closed_at=case.closed_at - dt.timedelta(days=400))
    assert cases_anonymise_expired() == 1
    assert not Message.objects.filter(case=case, recipient="reporter@example.org").exists()
    assert not Subscription.objects.filter(case=case).exclude(email="").exists()


def test_an_email_sent_again_after_a_crash_carries_the_same_message_id(
    council, agent, smtp, messaging_on, settings
):
    settings.DEFAULT_FROM_EMAIL = "Testshire Council <noreply@testshire.example>"
    case = report()
    run_worker()
    case_transition(case=case, to_state="in_progress", actor=agent)
    run_worker()
    first, second = smtp.to("reporter@example.org")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@testshire.example>")
    # The server accepted the second, then the worker died before recording it: its lease runs
    # out and another worker sends it again, under the same Message-ID, so receivers can drop it.
    import datetime as dt

    from townsquare.core import clock
    from townsquare.messaging import tasks

    message = Message.objects.get(case=case, template="state")
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENDING, lease_until=clock.now() - dt.timedelta(seconds=1)
    )
    tasks.senders_enqueue(1)
    run_worker()
    again = smtp.to("reporter@example.org")[-1]
    assert len(smtp.to("reporter@example.org")) == 3
    assert again["Message-ID"] == second["Message-ID"]
    assert Message.objects.get(pk=message.pk).status == Status.SENT


def test_taking_a_case_within_its_team_is_not_new_in_the_teams_queue(
    council, agent, supervisor, smtp, messaging_on
):
    """A supervisor watching Highways hears of a case once when it arrives there, not again
    when an agent of the team assigns it to themselves; moving it to another watched team is
    news there."""
    from townsquare.accounts.models import User
    from townsquare.cases.services import case_assign

    highways = council.teams.get(code="highways")
    education = council.teams.get(code="education")
    watcher = User.objects.get(pk=supervisor.user_id)
    services.queue_watch(user=watcher, council=council, team=highways)
    services.queue_watch(user=watcher, council=council, team=education)
    case = case_assign(case=report(), actor=agent, team=highways)
    run_worker()
    new_in_queue = [m for m in smtp.messages if m["Subject"].startswith("New in your queue")]
    assert len(new_in_queue) == 1
    smtp.messages.clear()
    case = case_assign(case=case, actor=agent, assignee_id=agent.user_id)
    case = case_assign(case=case, actor=agent, team=highways, assignee_id=None)
    run_worker()
    assert not [m for m in smtp.messages if m["Subject"].startswith("New in your queue")]
    case_assign(case=case, actor=agent, team=education)
    run_worker()
    assert [m["Subject"] for m in smtp.messages] == [f"New in your queue: {case.reference} Pothole"]


def test_emails_say_where_in_words_in_the_readers_language(council, smtp, messaging_on):
    """The gazetteer's words (ADR 58) instead of bare coordinates, worded for each reader."""
    from townsquare.councils.services import places_import_csv

    places_import_csv(
        council=council, text="name,lat,lng,kind,area\nAB1 2CD,51.5,-1.7501,postcode,West ward\n"
    )
    west = Area.objects.get(council=council, name="West ward")
    for email, language in (("english@example.org", "en"), ("cymraeg@example.org", "cy")):
        sub = services.area_alert_subscribe(
            council=council, email=email, area=west, language=language
        )
        services.subscription_confirm(token=_confirm_token(sub))
    run_worker()
    smtp.messages.clear()
    report(address="")
    run_worker()
    english = smtp.text(smtp.to("english@example.org")[-1])
    welsh = smtp.text(smtp.to("cymraeg@example.org")[-1])
    assert "Where: near AB1 2CD, West ward." in english and "51.50000" not in english
    assert "Ble: ger AB1 2CD, ward West." in welsh and "51.50000" not in welsh
    reporter = smtp.text(smtp.to("reporter@example.org")[-1])
    assert "Where: near AB1 2CD, West ward." in reporter


def test_the_acknowledgement_says_the_day_the_case_is_expected_by(council, smtp, messaging_on):
    from townsquare.cases.sla import expected_by_in_words

    case = report()
    run_worker()
    ack = smtp.to("reporter@example.org")[0]
    # The day the track page and the staff queue give (cases.sla.expected_by).
    day = expected_by_in_words(case.resolve_due_at, sla={"close_hours": 120}, region="ENG")
    assert day
    assert f"We expect to deal with it by {day}." in " ".join(smtp.text(ack).split())


def test_an_applications_acknowledgement_has_no_empty_where_line(council, smtp, messaging_on):
    """An application has no place: its acknowledgement leaves the "Where" sentence out
    rather than saying "Where: ."."""
    case_create(
        service_code="school_transport",
        council=council,
        actor=Principal.anonymous(),
        values={"child_name": "Sam", "sen": "no"},
        reporter=Reporter(email="applicant@example.org"),
    )
    run_worker()
    text = smtp.text(smtp.to("applicant@example.org")[0])
    assert "Where" not in text
    assert "We expect to deal with it by" in text
