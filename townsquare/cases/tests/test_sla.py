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


# Expected by: the last working day the target falls on.


def test_a_target_at_the_end_of_friday_is_expected_by_friday():
    from townsquare.cases.sla import expected_by

    # Thursday 3 December 2026 00:00 + 48 working hours ends at the end of Friday, stored as
    # 00:00 on Saturday.
    due = add_working_time(at(2026, 12, 3, 0), 48)
    assert due == at(2026, 12, 5, 0)
    assert expected_by(due) == dt.date(2026, 12, 4)
    # During Friday: Friday.
    assert expected_by(at(2026, 12, 4, 15, 30)) == dt.date(2026, 12, 4)
    # One minute into Saturday is no working target; it still means the Friday before.
    assert expected_by(at(2026, 12, 5, 0, 1)) == dt.date(2026, 12, 4)
    # 00:00 on Monday is the end of Friday too (Saturday and Sunday are not working days).
    assert expected_by(at(2026, 12, 7, 0)) == dt.date(2026, 12, 4)


def test_bank_holidays_are_stepped_over_by_nation():
    from townsquare.cases.sla import expected_by

    # The end of Thursday 24 December 2026 is 00:00 on Christmas Day: Thursday.
    assert expected_by(at(2026, 12, 25, 0)) == dt.date(2026, 12, 24)
    # 00:00 on Tuesday 29 December: the end of Monday 28th, Boxing Day's substitute holiday,
    # so Thursday 24th again.
    assert expected_by(at(2026, 12, 29, 0)) == dt.date(2026, 12, 24)
    # 2 January 2026 (Friday) is a bank holiday in Scotland only.
    assert expected_by(at(2026, 1, 3, 0), region="ENG") == dt.date(2026, 1, 2)
    assert expected_by(at(2026, 1, 3, 0), region="SCT") == dt.date(2025, 12, 31)


def test_working_time_targets_always_land_on_a_working_day():
    from townsquare.cases.sla import expected_by

    start = at(2026, 12, 1, 0)
    for hours in range(1, 24 * 40, 7):
        for calendar in ("working_days", "office_hours"):
            due = add_working_time(start, hours, calendar=calendar)
            assert is_working_day(expected_by(due, calendar=calendar))
            # Never later than the target itself, never more than a long weekend before.
            day = expected_by(due, calendar=calendar)
            assert day <= due.astimezone(LOCAL).date()


def test_elapsed_targets_keep_their_own_day():
    from townsquare.cases.sla import expected_by

    # A dangerous tree reported on Saturday morning with a 4-hour target: Saturday.
    assert expected_by(at(2026, 12, 5, 14), calendar="elapsed") == dt.date(2026, 12, 5)
    assert expected_by(at(2026, 12, 6, 0), calendar="elapsed") == dt.date(2026, 12, 5)


def test_expected_by_is_counted_in_uk_time_and_worded_in_the_language_asked():
    from townsquare.cases.sla import expected_by_in_words

    # 23:30 UTC on Friday 29 May 2026 is 00:30 on Saturday in London: still Friday.
    due = dt.datetime(2026, 5, 29, 23, 30, tzinfo=dt.UTC)
    sla = {"close_hours": 48}
    assert expected_by_in_words(due, sla=sla, region="ENG") == "29 May 2026"
    assert expected_by_in_words(due, sla=sla, region="ENG", language="cy") == "29 Mai 2026"
    assert expected_by_in_words(None, sla=sla, region="ENG") == ""
