"""Subscriptions: new case events make the worker refresh the figures and look for anomalies.

Figures are also brought up to date (by a bounded step) whenever a dashboard is read, so this
only decides how soon anomaly alerts go out. A bulk load is counted at once, in one bulk step
by the process that loaded it (ADR 223). At most one refresh is queued per process per few
seconds, to run a few seconds later: a burst of reports costs one task, not one each, and the
task sees the burst.
"""

from __future__ import annotations

import datetime as dt
import logging

from townsquare.cases.events import CaseEvent, CasesBulkLoaded
from townsquare.core.caching import Throttle
from townsquare.core.eventlog import subscribe

log = logging.getLogger(__name__)
QUEUE_AT_MOST_EVERY_S = 5.0
_refresh_throttle = Throttle(every=QUEUE_AT_MOST_EVERY_S)


def _queue_refresh(event, record) -> None:
    if not _refresh_throttle.ready():
        return
    from townsquare.insights.tasks import insights_refresh

    try:
        insights_refresh.using(
            run_after=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=QUEUE_AT_MOST_EVERY_S)
        ).enqueue()
    except Exception:
        log.exception("Could not queue the insights refresh")


def _count_bulk_load(event, record) -> None:
    from townsquare.insights.figures import figures_bulk_catch_up

    figures_bulk_catch_up(cases=event.cases)


def connect() -> None:
    subscribe(CaseEvent, _queue_refresh)
    subscribe(CasesBulkLoaded, _count_bulk_load)
