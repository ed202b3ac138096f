"""What the done pages promise is counted as the service's SLA counts it."""

from __future__ import annotations

import pytest
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


def _report_made_monday_morning(council):
    """A pothole (5 working days) reported at 00:00 on Monday 30 November 2026: its target is
    the end of Friday 4 December, stored as 00:00 on Saturday 5 December."""
    import datetime as dt
    from unittest import mock

    from townsquare.accounts.principal import Principal
    from townsquare.cases.services import Reporter, case_create
    from townsquare.cases.sla import LOCAL

    monday = dt.datetime(2026, 11, 30, 0, 0, tzinfo=LOCAL)
    with mock.patch("townsquare.core.clock.now", return_value=monday):
        case = case_create(
            service_code="pothole",
            council=council,
            actor=Principal.anonymous(),
            address="Outside 4 Mill Lane",
            values={"depth": "deep"},
            reporter=Reporter(email="pat@example.org"),
        )
    assert case.resolve_due_at == dt.datetime(2026, 12, 5, 0, 0, tzinfo=LOCAL)
    return case


@pytest.mark.django_db
def test_the_track_page_says_friday_not_saturday(client, council):
    case = _report_made_monday_morning(council)
    page = client.get(f"/track/{case.reference}").content.decode()
    assert '<time datetime="2026-12-04">4 December 2026</time>' in page
    client.cookies["django_language"] = "cy"
    page = client.get(f"/track/{case.reference}").content.decode()
    assert '<time datetime="2026-12-04">4 Rhagfyr 2026</time>' in page
