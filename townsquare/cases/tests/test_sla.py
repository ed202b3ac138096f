from __future__ import annotations

import datetime as dt

import pytest

from townsquare.cases.sla import (
    LOCAL,
    add_working_time,
    due_times,
    is_working_day,
    region_for_gss,
    sla_state,
)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL)


def test_weekends_do_not_count():
    # Friday 10:00 + 24 working hours = Monday 10:00.
    assert add_working_time(at(2026, 11, 20, 10), 24) == at(2026, 11, 23, 10)


def test_a_case_made_at_the_weekend_starts_counting_on_monday():
    assert add_working_time(at(2026, 11, 21, 15), 12) == at(2026, 11, 23, 12)


def test_bank_holidays_do_not_count_and_differ_by_nation():
    # Thursday 24 December 2026 + 48h: Christmas (Fri), weekend, Boxing Day observed (Mon 28th).
    assert add_working_time(at(2026, 12, 24, 9), 48) == at(2026, 12, 30, 9)
    # 2 January is a bank holiday in Scotland only (a Saturday in 2027, so use 2026: Friday).
    assert is_working_day(dt.date(2026, 1, 2), "ENG")
    assert not is_working_day(dt.date(2026, 1, 2), "SCT")
    assert region_for_gss("S12000036") == "SCT" and region_for_gss("W06000015") == "WLS"
    assert region_for_gss("") == "ENG"


def test_office_hours():
    # Friday 16:00 + 2 office hours = Monday 10:00.
    assert add_working_time(at(2026, 11, 20, 16), 2, calendar="office_hours") == at(
        2026, 11, 23, 10
    )
    # Before opening counts from 09:00.
    assert add_working_time(at(2026, 11, 23, 7), 8, calendar="office_hours") == at(2026, 11, 23, 17)


def test_elapsed_hours_run_through_weekends():
    assert add_working_time(at(2026, 11, 20, 10), 24, calendar="elapsed") == at(2026, 11, 21, 10)


def test_due_times_use_the_template_calendar():
    response, close = due_times(
        {"first_response_hours": 24, "close_hours": 120}, at(2026, 11, 23, 9)
    )
    assert response == at(2026, 11, 24, 9) and close == at(2026, 11, 30, 9)


@pytest.mark.parametrize(
    ("is_open", "due", "expected"),
    [
        (True, at(2026, 1, 1, 9), "overdue"),
        (True, at(2026, 1, 2, 8), "due_soon"),
        (True, at(2026, 1, 5, 9), "on_track"),
        (False, at(2026, 1, 1, 9), ""),
        (True, None, ""),
    ],
)
def test_sla_state(is_open, due, expected):
    assert sla_state(is_open=is_open, due_at=due, now=at(2026, 1, 1, 10)) == expected
