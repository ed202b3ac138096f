"""The pure rules of live queues: expected times, the threshold, quiet hours, replies."""

from __future__ import annotations

import datetime as dt

from townsquare.appointments import rules

UTC = dt.UTC
NINE = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _waiting(*minutes: int) -> list[rules.Waiting]:
    return [
        rules.Waiting(id=i, queue_at=NINE + dt.timedelta(minutes=m), status="booked")
        for i, m in enumerate(minutes)
    ]


def test_expected_times_add_the_delay_and_never_overtake_the_pace():
    expected = rules.expected_times(
        _waiting(0, 10, 20), now=NINE, starts_at=NINE, delay_minutes=40, pace_minutes=10
    )
    assert [expected[i].strftime("%H:%M") for i in range(3)] == ["09:40", "09:50", "10:00"]
    # A slow desk (20 minutes a person) pushes the later people further than the delay.
    slow = rules.expected_times(
        _waiting(0, 10, 20), now=NINE, starts_at=NINE, delay_minutes=0, pace_minutes=20
    )
    assert [slow[i].strftime("%H:%M") for i in range(3)] == ["09:00", "09:20", "09:40"]
    # Nobody is expected before now.
    late = rules.expected_times(
        _waiting(0),
        now=NINE + dt.timedelta(minutes=30),
        starts_at=NINE,
        delay_minutes=0,
        pace_minutes=10,
    )
    assert late[0].strftime("%H:%M") == "09:30"


def test_pace_comes_from_the_people_seen():
    seen = [NINE + dt.timedelta(minutes=m) for m in (0, 12, 24, 36)]
    assert rules.minutes_per_person(seen, slot_minutes=10) == 12
    assert rules.minutes_per_person(seen[:1], slot_minutes=10) == 10
    burst = [NINE + dt.timedelta(seconds=s) for s in (0, 5, 10)]
    assert rules.minutes_per_person(burst, slot_minutes=9) == 3


def test_threshold_and_quiet_hours():
    assert rules.moved_enough(
        told=NINE, expected=NINE + dt.timedelta(minutes=15), threshold_minutes=15
    )
    assert not rules.moved_enough(
        told=NINE, expected=NINE + dt.timedelta(minutes=14), threshold_minutes=15
    )
    assert rules.moved_enough(
        told=NINE, expected=NINE - dt.timedelta(minutes=40), threshold_minutes=15
    )
    spec = "21:00-08:00"
    assert rules.is_night(NINE.replace(hour=22), spec=spec, zone="UTC")
    assert rules.is_night(NINE.replace(hour=7), spec=spec, zone="UTC")
    assert not rules.is_night(NINE, spec=spec, zone="UTC")
    assert not rules.is_night(NINE.replace(hour=22), spec="", zone="UTC")


def test_replies_are_read_in_english_and_welsh():
    assert rules.reply_read("OK") == rules.Reply("ok")
    assert rules.reply_read(" iawn. ") == rules.Reply("ok")
    assert rules.reply_read("Cancel") == rules.Reply("cancel")
    assert rules.reply_read("CANSLO") == rules.Reply("cancel")
    assert rules.reply_read("LATE 20") == rules.Reply("late", 20)
    assert rules.reply_read("late 20 mins") == rules.Reply("late", 20)
    assert rules.reply_read("hwyr 10 munud") == rules.Reply("late", 10)
    assert rules.reply_read("late") == rules.Reply("late", rules.LATE_DEFAULT_MINUTES)
    assert rules.reply_read("late 999") == rules.Reply("late", rules.LATE_MAX_MINUTES)
    assert rules.reply_read("where is it?") is None
    assert rules.phone_key("+44 7700 900123") == rules.phone_key("07700900123")
