"""The reporter's subscription to their new case is written in the case's own transaction (one
write transaction per report, not two: ADR 222)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.geo.points import Point
from townsquare.messaging.models import Subscription, SubscriptionKind

pytestmark = pytest.mark.django_db


def _report() -> int:
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        description="A deep hole",
        reporter=Reporter(email="reporter@example.org"),
    ).id


def test_the_subscription_is_there_before_the_case_commits(council, messaging_on):
    with translation.override("cy"), transaction.atomic():
        case_id = _report()
        subscription = Subscription.objects.get(case_id=case_id, kind=SubscriptionKind.REPORTER)
        # In the reporter's language, confirmed with the report.
        assert subscription.language == "cy"
        assert subscription.confirmed_at is not None


def test_a_rolled_back_report_leaves_no_subscription(council, messaging_on):
    with pytest.raises(RuntimeError), transaction.atomic():
        _report()
        raise RuntimeError("the caller's transaction fails after the case")
    assert not Subscription.objects.exists()
