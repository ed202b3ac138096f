"""New case events queue one insights refresh for the worker, which brings the figures up to
date and looks for anomalies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_create
from townsquare.geo.points import Point
from townsquare.insights import reactions
from townsquare.insights.models import CaseFact


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_reports_queues_one_refresh_and_the_worker_runs_it(council, interval_clock):
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    for i in range(3):
        interval_clock.advance(reactions.QUEUE_AT_MOST_EVERY_S / 4)
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5 + i * 0.01, -1.5),
            values={"depth": "deep"},
        )
    queued = DBTaskResult.objects.filter(task_path__endswith="insights_refresh")
    assert queued.count() == 1
    interval_clock.advance(reactions.QUEUE_AT_MOST_EVERY_S)
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.6, -1.5),
        values={"depth": "deep"},
    )
    assert queued.count() == 2  # the next burst queues its own
    queued.exclude(id=queued.order_by("id").first().id).delete()
    # Due a few seconds later (the burst's tail rides along); run it now.
    queued.update(run_after=timezone.now() - dt.timedelta(seconds=1))
    call_command("worker", "--batch", verbosity=0)
    assert queued.get().status == "SUCCESSFUL"
    assert CaseFact.objects.count() == 5
