"""Background entry points; each is safe to run twice."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from townsquare.insights.anomalies import anomalies_detect, councils_with_recent_cases
from townsquare.insights.figures import figures_catch_up


@task()
def insights_refresh() -> int:
    """Bring the figures up to date, then look for anomalies in the last hour."""
    handled = figures_catch_up()
    now = dt.datetime.now(dt.UTC)
    for council in councils_with_recent_cases(now=now):
        anomalies_detect(council=council, at=now)
    return handled
