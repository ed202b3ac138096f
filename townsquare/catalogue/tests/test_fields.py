from __future__ import annotations

import pytest

from tests.factories import APPLICATION_TEMPLATE, REPORT_TEMPLATE
from townsquare.catalogue.fields import clean_field_values
from townsquare.core.errors import InvalidInput

FIELDS = REPORT_TEMPLATE["fields"]


def test_values_are_normalised_and_unknown_keys_dropped():
    cleaned = clean_field_values(FIELDS, {
        "depth": "deep", "width_cm": "40", "hazards": ["cars", "cyclists", "cars"],
        "seen_at": "2026-03-01T09:30:00+01:00", "unknown": "ignored",
    })
    assert cleaned == {"depth": "deep", "width_cm": 40, "hazards": ["cyclists", "cars"],
                       "seen_at": "2026-03-01T08:30:00Z"}


@pytest.mark.parametrize(("values", "field", "message"), [
    ({}, "depth", "depth required"),
    ({"depth": "bottomless"}, "depth", "not one of the allowed values"),
    ({"depth": ["deep", "shallow"]}, "depth", "takes exactly one value"),
    ({"depth": "deep", "width_cm": "wide"}, "width_cm", "must be a number"),
    ({"depth": "deep", "width_cm": "0"}, "width_cm", "must be at least 1"),
    ({"depth": "deep", "width_cm": "nan"}, "width_cm", "finite"),
    ({"depth": "deep", "hazards": ["boats"]}, "hazards", "not among the allowed values"),
    ({"depth": "deep", "seen_at": "yesterday"}, "seen_at", "must be a date and time"),
    ({"depth": "deep", "seen_at": "2026-03-01T09:30:00"}, "seen_at", "time zone"),
])
def test_bad_values_are_refused_per_field(values, field, message):
    with pytest.raises(InvalidInput) as info:
        clean_field_values(FIELDS, values)
    assert message in " ".join(info.value.errors[field])


def test_conditional_question_only_counts_when_shown():
    fields = APPLICATION_TEMPLATE["fields"]
    assert clean_field_values(fields, {"child_name": "Sam", "sen": "no", "sen_detail": "x"}) == {
        "child_name": "Sam", "sen": "no"}
    with pytest.raises(InvalidInput) as info:
        clean_field_values(fields, {"child_name": "Sam", "sen": "yes"})
    assert info.value.errors == {"sen_detail": ["sen_detail required"]}


def test_string_length_is_limited():
    with pytest.raises(InvalidInput):
        clean_field_values(APPLICATION_TEMPLATE["fields"],
                           {"child_name": "x" * 501, "sen": "no"})
