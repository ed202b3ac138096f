"""The dashboard's filter rules, shared by the staff page and the REST API (ADR 156)."""

from __future__ import annotations

import datetime as dt

from townsquare.insights.selectors import Filters, dashboard_filters

DEFAULTS = Filters(start=dt.date(2025, 12, 4), end=dt.date(2026, 12, 3))


def check(**asked):
    return dashboard_filters(defaults=DEFAULTS, services={7}, teams={3}, **asked)


def test_what_is_allowed_is_taken():
    filters, errors = check(
        start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30), service_id=7, team_id=3
    )
    assert errors == {}
    assert filters == Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30), 7, 3)
    assert check() == (DEFAULTS, {})


def test_a_refused_period_falls_back_to_the_default_with_its_reason():
    for start, end, field in (
        (dt.date(2026, 2, 1), dt.date(2026, 1, 1), "start"),
        (dt.date(2020, 1, 1), dt.date(2026, 1, 1), "start"),
        # Figures are compared with the year before: year 1 has none.
        (dt.date(1, 1, 1), dt.date(1, 1, 2), "end"),
    ):
        filters, errors = check(start=start, end=end)
        assert field in errors
        assert (filters.start, filters.end) == (DEFAULTS.start, DEFAULTS.end)


def test_a_service_or_team_not_the_councils_is_refused():
    filters, errors = check(service_id=8, team_id=-1)
    assert set(errors) == {"service", "team"}
    assert (filters.service_id, filters.team_id) == (None, None)
