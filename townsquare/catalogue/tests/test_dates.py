"""Date questions: reading day, month and year as GOV.UK's date input asks for them, the
template's `earliest` / `latest` bounds, and never a crash on what people (or robots) type."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.catalogue import dates
from townsquare.catalogue.fields import answer_in_words, clean_field_value, clean_field_values
from townsquare.catalogue.schema import template_problems
from townsquare.core.errors import InvalidInput

TODAY = dt.date(2026, 12, 6)
DOB = {"code": "dob", "label": "Date of birth", "datatype": "date", "required": True}


def parts(day: str, month: str, year: str) -> dict[str, str]:
    return {"day": day, "month": month, "year": year}


def problem(field: dict, value) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as caught:
        clean_field_value(field, value, today=TODAY)
    found = caught.value.first(field["code"])
    return found.code, dict(found.params)


def test_a_real_date_is_stored_as_iso():
    assert clean_field_value(DOB, parts("31", "3", "2015"), today=TODAY) == "2015-03-31"
    assert clean_field_value(DOB, parts(" 01 ", "03", "2015"), today=TODAY) == "2015-03-01"
    # Client systems send the ISO date.
    assert clean_field_value(DOB, "2015-03-31", today=TODAY) == "2015-03-31"


def test_leap_years():
    assert clean_field_value(DOB, parts("29", "2", "2016"), today=TODAY) == "2016-02-29"
    assert clean_field_value(DOB, parts("29", "2", "2000"), today=TODAY) == "2000-02-29"
    # 1900 and 2015 are not leap years: the day is the part to correct.
    assert problem(DOB, parts("29", "2", "1900")) == ("date_not_real", {"parts": "day"})
    assert problem(DOB, parts("29", "2", "2015")) == ("date_not_real", {"parts": "day"})


def test_31_february_is_not_a_real_date_and_the_day_is_the_part_to_correct():
    assert problem(DOB, parts("31", "2", "2015")) == ("date_not_real", {"parts": "day"})
    assert problem(DOB, parts("31", "4", "2015")) == ("date_not_real", {"parts": "day"})


@pytest.mark.parametrize(
    ("value", "wrong"),
    [
        (parts("32", "1", "2015"), "day"),
        (parts("0", "1", "2015"), "day"),
        (parts("1", "13", "2015"), "month"),
        (parts("1", "0", "2015"), "month"),
        (parts("32", "13", "2015"), "day,month"),
        (parts("x", "1", "2015"), "day"),
        (parts("1", "March", "2015"), "month"),
        (parts("1", "1", "twenty"), "year"),
        (parts("-1", "1", "2015"), "day"),
        (parts("1.5", "1", "2015"), "day"),
        (parts("\u0661", "1", "2015"), "day"),  # an Arabic-Indic digit is not 0-9
        (parts("1", "1", "\uff12\uff10\uff11\uff15"), "year"),  # nor full-width digits
    ],
)
def test_parts_that_are_not_numbers_or_out_of_range_are_named(value, wrong):
    assert problem(DOB, value) == ("date_not_real", {"parts": wrong})


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (parts("", "3", "2015"), "day"),
        (parts("31", "", "2015"), "month"),
        (parts("31", "3", ""), "year"),
        (parts("", "", "2015"), "day_month"),
        (parts(" ", "3", " "), "day_year"),
        (parts("31", "", ""), "month_year"),
        ({"day": "31"}, "month_year"),
    ],
)
def test_missing_parts_are_named(value, missing):
    code, params = problem(DOB, value)
    assert code == "date_incomplete" and params["missing"] == missing
    assert params["parts"] == missing.replace("_", ",")


def test_an_empty_date_is_required_or_left_out():
    assert problem(DOB, parts("", "", "")) == ("required", {"field": "dob"})
    optional = {**DOB, "required": False}
    assert clean_field_value(optional, parts("", " ", ""), today=TODAY) is None
    assert clean_field_values([optional], {"dob": parts("", "", "")}, today=TODAY) == {}


def test_the_year_must_have_4_numbers():
    assert problem(DOB, parts("1", "1", "15")) == ("date_year_digits", {"parts": "year"})
    assert problem(DOB, parts("1", "1", "0999")) == ("date_year_digits", {"parts": "year"})
    assert problem(DOB, parts("1", "1", "20155")) == ("date_year_digits", {"parts": "year"})


@pytest.mark.parametrize(
    "value",
    [
        parts("9" * 5000, "9" * 5000, "9" * 5000),  # int() of 5,000 digits raises in Python
        parts("1e9", "1", "2015"),
        parts("1", "1", "9" * 30),
        parts("<script>", "1'; DROP TABLE", "\x00"),
        parts("\u202e1", "1", "2015"),
        {"day": ["1"], "month": {"a": 1}, "year": None},
        {"day": 1, "month": 1, "year": 2015.5},
        "31/02/2015",
        "2015-02-31",
        "2015-3-1",
        "",
        12345678901234567890,
        ["2015-03-31"],
        3.5,
        "2015-03-31T00:00:00Z",
    ],
)
def test_hostile_values_are_refused_with_a_problem_never_an_exception(value):
    try:
        clean_field_value(DOB, value, today=TODAY)
    except InvalidInput as exc:
        assert exc.first("dob").code in {
            "required",
            "invalid_date",
            "date_not_real",
            "date_year_digits",
            "date_incomplete",
        }
    else:
        pytest.fail(f"{value!r} was accepted")


def test_numbers_a_client_sends_as_numbers_are_read():
    assert clean_field_value(DOB, {"day": 31, "month": 3, "year": 2015}, today=TODAY) == (
        "2015-03-31"
    )


def test_in_the_past_and_in_the_future():
    past = {**DOB, "latest": "yesterday"}
    assert problem(past, parts("6", "12", "2026"))[0] == "date_not_past"
    assert clean_field_value(past, parts("5", "12", "2026"), today=TODAY) == "2026-12-05"
    assert problem({**DOB, "latest": "today"}, parts("7", "12", "2026"))[0] == (
        "date_not_past_or_today"
    )
    assert problem({**DOB, "earliest": "tomorrow"}, parts("6", "12", "2026"))[0] == (
        "date_not_future"
    )
    assert problem({**DOB, "earliest": "today"}, parts("5", "12", "2026"))[0] == (
        "date_not_future_or_today"
    )


def test_an_age_range_between_4_and_16_years_ago_includes_both_birthdays():
    ages = {**DOB, "earliest": "16 years ago", "latest": "4 years ago"}
    assert clean_field_value(ages, parts("6", "12", "2010"), today=TODAY) == "2010-12-06"
    assert clean_field_value(ages, parts("6", "12", "2022"), today=TODAY) == "2022-12-06"
    code, params = problem(ages, parts("5", "12", "2010"))
    assert code == "date_out_of_range"
    assert params == {"earliest": "2010-12-06", "latest": "2022-12-06", "parts": "day,month,year"}
    assert problem(ages, parts("7", "12", "2022"))[0] == "date_out_of_range"


def test_fixed_bounds_on_their_own():
    after = {**DOB, "earliest": "2015-09-01"}
    assert problem(after, parts("31", "8", "2015")) == (
        "date_too_early",
        {"earliest": "2015-09-01", "latest": "", "parts": "day,month,year"},
    )
    before = {**DOB, "latest": "2015-08-31"}
    assert problem(before, parts("1", "9", "2015"))[0] == "date_too_late"


def test_relative_bounds_across_29_february():
    # A year before 29 February 2028 is 28 February 2027 (the last day of that February).
    assert dates.resolve_bound("1 year ago", dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert dates.resolve_bound("in 1 month", dt.date(2027, 1, 31)) == dt.date(2027, 2, 28)
    assert dates.resolve_bound("2 weeks ago", TODAY) == dt.date(2026, 11, 22)
    assert dates.resolve_bound("in 3 days", TODAY) == dt.date(2026, 12, 9)
    assert dates.resolve_bound(" Today ", TODAY) == TODAY


def test_relative_bounds_count_from_today_in_the_uk(monkeypatch):
    # 23:30 UTC on 31 May is already 1 June in London (BST).
    from townsquare.core import clock

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC))
    assert dates.today() == dt.date(2026, 6, 1)


def _template(**field):
    return {
        "code": "t",
        "name": "T",
        "group": "G",
        "description": "D",
        "kind": "application",
        "fields": [{"code": "dob", "label": "Date of birth", "datatype": "date", **field}],
        "workflow": {
            "initial": "new",
            "states": [
                {"code": "new", "name": "New", "open311": "open", "fms": "open"},
                {"code": "done", "name": "Done", "open311": "closed", "fms": "fixed"},
            ],
            "transitions": [{"from": "new", "to": "done", "roles": ["agent"]}],
        },
        "sla": {"first_response_hours": 24, "close_hours": 48},
        "routing": {"team": "t"},
        "privacy": "private",
        "retention": {"days_after_close": 30},
    }


def test_templates_check_their_bounds():
    assert template_problems(_template(earliest="16 years ago", latest="4 years ago")) == []
    assert template_problems(_template(earliest="2010-09-01", latest="yesterday")) == []
    reasons = [str(p) for p in template_problems(_template(earliest="sixteen years ago"))]
    assert reasons and reasons[0].startswith("fields[0].earliest: 'sixteen years ago' must be")
    assert [str(p) for p in template_problems(_template(latest="2015-02-30"))] == [
        "fields[0].latest: '2015-02-30' is not a real date"
    ]
    assert [
        str(p) for p in template_problems(_template(earliest="4 years ago", latest="16 years ago"))
    ] == ["fields[0].earliest: earliest is later than latest"]
    assert [str(p) for p in template_problems(_template(earliest="99999 years ago"))] == [
        "fields[0].earliest: '99999 years ago' reaches more than 200 years from today"
    ]
    not_a_date = _template(earliest="today")
    not_a_date["fields"][0]["datatype"] = "string"
    assert [str(p) for p in template_problems(not_a_date)] == [
        "fields[0].earliest: only date fields have earliest, not a string"
    ]


def test_an_answer_in_words_in_english_and_welsh():
    assert answer_in_words(DOB, "2015-03-31") == "31 March 2015"
    assert answer_in_words(DOB, "2015-03-01", "cy") == "1 Mawrth 2015"
    # An answer from before the question was a date is shown as it was typed.
    assert answer_in_words(DOB, "27/03/2015") == "27/03/2015"


def test_an_unquoted_date_in_yaml_is_kept_as_text_and_round_trips():
    import yaml

    from townsquare.catalogue.documents import dump_template_yaml, parse_template_yaml

    document = _template(earliest="2015-09-01", latest="yesterday")
    text = dump_template_yaml(document).replace("'2015-09-01'", "2015-09-01")
    assert "earliest: 2015-09-01\n" in text
    parsed = parse_template_yaml(text)
    assert parsed["fields"][0]["earliest"] == "2015-09-01"
    assert yaml.safe_load(dump_template_yaml(parsed)) == parsed
