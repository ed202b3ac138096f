"""Messages to Welsh readers name the service and its states in Welsh when the template has a
translation (ADR 63); English readers of the same case get the English names."""

from __future__ import annotations

import copy

import pytest
from django.core.management import call_command

from tests.factories import REPORT_TEMPLATE
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.councils.models import Area
from townsquare.geo.points import Point
from townsquare.messaging import services

pytestmark = pytest.mark.django_db(transaction=True)
WELSH = {"name": "Twll yn y ffordd", "states": {"fixed": {"name": "Wedi'i drwsio"}}}


def test_welsh_subscribers_read_welsh_names(council, agent, smtp, messaging_on):
    template_publish(
        council=council,
        actor=Actor.system("tests"),
        document={**copy.deepcopy(REPORT_TEMPLATE), "translations": {"cy": WELSH}},
    )
    west = Area.objects.get(council=council, name="West ward")
    for email, language in (("cymraeg@example.org", "cy"), ("english@example.org", "en")):
        sub = services.area_alert_subscribe(
            council=council, email=email, area=west, language=language
        )
        sub.confirmed_at = sub.created_at
        sub.save(update_fields=["confirmed_at"])
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        address="1 Mill Lane",
        reporter=Reporter(email="reporter@example.org"),
    )
    call_command("worker", "--batch", verbosity=0)
    welsh_alert = smtp.text(smtp.to("cymraeg@example.org")[-1])
    english_alert = smtp.text(smtp.to("english@example.org")[-1])
    assert "Twll yn y ffordd" in welsh_alert and "Pothole" not in welsh_alert
    assert "Pothole" in english_alert and "Twll" not in english_alert

    services.case_follow(case=case, email="dilynwr@example.org", language="cy", confirmed=True)
    case_transition(case=case, to_state="fixed", actor=agent)
    call_command("worker", "--batch", verbosity=0)
    assert "Wedi'i drwsio" in smtp.text(smtp.to("dilynwr@example.org")[-1])
    assert "Fixed" in smtp.text(smtp.to("reporter@example.org")[-1])
