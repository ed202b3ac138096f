"""What the done pages promise is counted as the service's SLA counts it."""

from __future__ import annotations

from django.utils import translation

from townsquare.portal.expected import expected_within


def test_the_promise_follows_the_sla_calendar():
    assert expected_within({"close_hours": 480}) == "within 20 working days"
    assert (
        expected_within({"close_hours": 24, "calendar": "working_days"}) == "within 1 working day"
    )
    assert (
        expected_within({"close_hours": 16, "calendar": "office_hours"}) == "within 2 working days"
    )
    assert expected_within({"close_hours": 4, "calendar": "elapsed"}) == "within 4 hours"
    assert expected_within({"close_hours": 72, "calendar": "elapsed"}) == "within 3 days"


def test_and_it_is_welsh_on_welsh_pages():
    with translation.override("cy"):
        assert expected_within({"close_hours": 480}) == "o fewn 20 diwrnod gwaith"
        assert expected_within({"close_hours": 48}) == "o fewn 2 ddiwrnod gwaith"
