from __future__ import annotations

import zoneinfo

import pytest

from tests.factories import APPLICATION_TEMPLATE, REPORT_TEMPLATE
from townsquare.catalogue.fields import clean_field_value, clean_field_values, is_shown
from townsquare.core.errors import InvalidInput

FIELDS = REPORT_TEMPLATE["fields"]


def test_values_are_normalised_and_unknown_keys_dropped():
    cleaned = clean_field_values(
        FIELDS,
        {
            "depth": "deep",
            "width_cm": "40",
            "hazards": ["cars", "cyclists", "cars"],
            "seen_at": "2026-03-01T09:30:00+01:00",
            "unknown": "ignored",
        },
    )
    assert cleaned == {
        "depth": "deep",
        "width_cm": 40,
        "hazards": ["cyclists", "cars"],
        "seen_at": "2026-03-01T08:30:00Z",
    }


@pytest.mark.parametrize(
    ("values", "field", "message", "code", "params"),
    [
        ({}, "depth", "depth required", "required", {"field": "depth"}),
        ({"depth": "  "}, "depth", "depth required", "required", {"field": "depth"}),
        (
            {"depth": "bottomless"},
            "depth",
            "'bottomless' is not one of the allowed values",
            "invalid_choice",
            {"value": "bottomless"},
        ),
        ({"depth": ["deep", "shallow"]}, "depth", "takes exactly one value", "one_value", {}),
        (
            {"depth": "deep", "width_cm": "wide"},
            "width_cm",
            "must be a number, not 'wide'",
            "invalid_number",
            {"value": "wide"},
        ),
        (
            {"depth": "deep", "width_cm": "1,5"},
            "width_cm",
            "must be a number, not '1,5'",
            "invalid_number",
            {"value": "1,5"},
        ),
        (
            {"depth": "deep", "width_cm": "0"},
            "width_cm",
            "must be at least 1",
            "min_value",
            {"min": "1"},
        ),
        (
            {"depth": "deep", "width_cm": "1,001"},
            "width_cm",
            "must be at most 1000",
            "max_value",
            {"max": "1000"},
        ),
        (
            {"depth": "deep", "width_cm": "nan"},
            "width_cm",
            "must be a finite number",
            "invalid_number",
            {"value": "nan"},
        ),
        (
            {"depth": "deep", "hazards": ["boats"]},
            "hazards",
            "'boats' not among the allowed values",
            "invalid_choices",
            {"values": "'boats'"},
        ),
        (
            {"depth": "deep", "seen_at": "yesterday"},
            "seen_at",
            "must be a date and time such as 2026-03-01T09:30:00Z",
            "invalid_datetime",
            {},
        ),
        (
            {"depth": "deep", "seen_at": "2026-03-01T09:30:00"},
            "seen_at",
            "must include a time zone, such as Z or +01:00",
            "datetime_without_zone",
            {},
        ),
    ],
)
def test_bad_values_are_refused_per_field(values, field, message, code, params):
    with pytest.raises(InvalidInput) as info:
        clean_field_values(FIELDS, values)
    # The English every API shows is unchanged; the code and parameters are what the citizen
    # web words in its own languages.
    assert info.value.errors[field] == [message]
    problem = info.value.first(field)
    assert (problem.code, dict(problem.params)) == (code, params)


def test_next_tuesday_is_not_a_date_for_any_channel():
    seen_at = next(f for f in FIELDS if f["code"] == "seen_at")
    london = zoneinfo.ZoneInfo("Europe/London")
    for local_zone in (None, london):  # a client system, and a person typing in a form
        with pytest.raises(InvalidInput) as info:
            clean_field_value(seen_at, "next tuesday", local_zone=local_zone)
        assert info.value.first("seen_at").code == "invalid_datetime"
    with pytest.raises(InvalidInput) as info:
        clean_field_values(FIELDS, {"depth": "deep", "seen_at": "next tuesday"})
    assert info.value.first("seen_at").code == "invalid_datetime"


def test_a_time_typed_without_a_zone_is_local_where_a_form_says_so():
    seen_at = next(f for f in FIELDS if f["code"] == "seen_at")
    london = zoneinfo.ZoneInfo("Europe/London")
    assert (
        clean_field_value(seen_at, "2026-07-01 09:30", local_zone=london) == "2026-07-01T08:30:00Z"
    )
    assert (
        clean_field_value(seen_at, "2026-01-10 09:30", local_zone=london) == "2026-01-10T09:30:00Z"
    )
    assert (
        clean_field_value(seen_at, "2026-07-01T09:30:00+02:00", local_zone=london)
        == "2026-07-01T07:30:00Z"
    )
    assert clean_field_value(seen_at, "2026-07-01T07:30:00Z") == "2026-07-01T07:30:00Z"
    assert clean_field_value(seen_at, "") is None


def test_numbers_may_group_thousands_with_commas():
    width = {"code": "width", "datatype": "number"}
    assert clean_field_value(width, "1,250") == 1250
    assert clean_field_value(width, " 12,500.5 ") == 12500.5
    with pytest.raises(InvalidInput):
        clean_field_value(width, "12,50")


def test_show_if_matches_one_answer_or_one_of_several():
    field = {"code": "detail", "show_if": {"field": "sen", "equals": "yes"}}
    assert is_shown(field, {"sen": "yes"}) and is_shown(field, {"sen": ["no", "yes"]})
    assert not is_shown(field, {"sen": "no"}) and not is_shown(field, {})
    assert is_shown({"code": "always"}, {})


def test_conditional_question_only_counts_when_shown():
    fields = APPLICATION_TEMPLATE["fields"]
    assert clean_field_values(fields, {"child_name": "Sam", "sen": "no", "sen_detail": "x"}) == {
        "child_name": "Sam",
        "sen": "no",
    }
    with pytest.raises(InvalidInput) as info:
        clean_field_values(fields, {"child_name": "Sam", "sen": "yes"})
    assert info.value.errors == {"sen_detail": ["sen_detail required"]}


def test_string_length_is_limited():
    with pytest.raises(InvalidInput):
        clean_field_values(APPLICATION_TEMPLATE["fields"], {"child_name": "x" * 501, "sen": "no"})
