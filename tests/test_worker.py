"""Background tasks go through the database queue and `townsquare worker` runs them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_create, case_transition
from townsquare.cases.tasks import anonymise_expired_cases
from townsquare.geo.points import Point


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_queued_task(council, agent):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        reporter=__import__("townsquare.cases.services", fromlist=["Reporter"]).Reporter(
            email="someone@example.org"
        ),
    )
    case = case_transition(case=case, to_state="fixed", actor=agent)
    Case.objects.filter(pk=case.pk).update(closed_at=case.closed_at - dt.timedelta(days=366))
    result = anonymise_expired_cases.enqueue()
    call_command("worker", "--batch", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 1
    case.refresh_from_db()
    assert case.reporter_email == ""
