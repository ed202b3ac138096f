"""The staff case page's details: how sure the council is who applied (ADR 91), on the page and
in the case a REST API key reads, and the day a case is expected by."""

from __future__ import annotations

import copy
import re

import pytest

from tests import factories
from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.cases.selectors import case_view_for
from townsquare.cases.services import case_create
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor


@pytest.fixture
def p2_application(council):
    document = copy.deepcopy(factories.APPLICATION_TEMPLATE)
    document["identity"] = "P2"
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    resident = User.objects.create_user("rhian.jones@example.com", None)
    return case_create(
        service_code="school_transport",
        council=council,
        actor=Principal(user_id=resident.pk, label="Rhian Jones"),
        values={"child_name": "Sam", "sen": "no"},
        identity_level="P2",
    )


@pytest.mark.django_db
def test_the_case_page_says_the_applicants_identity_was_checked(p2_application, staff_client):
    page = staff_client("agent").get(f"/staff/cases/{p2_application.reference}")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert "Applicant's identity" in text
    assert "Identity checked (GOV.UK One Login, medium confidence)" in text


@pytest.mark.django_db
def test_the_case_view_carries_the_level(p2_application, supervisor):
    view = case_view_for(case=p2_application, principal=supervisor)
    assert view.identity_level == "P2"


@pytest.mark.django_db
def test_close_by_is_the_day_residents_are_told(report, staff_client):
    """A working-days target stored as 00:00 on Saturday is the end of Friday, as the queue,
    the track page and the emails say it (cases.sla.expected_by)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from townsquare.cases.models import Case

    case = report()
    saturday = dt.datetime(2026, 12, 12, tzinfo=ZoneInfo("Europe/London"))
    Case.objects.filter(pk=case.pk).update(resolve_due_at=saturday)
    page = staff_client("agent").get(f"/staff/cases/{case.reference}")
    assert "End of Friday 11 December 2026" in " ".join(page.content.decode().split())


@pytest.mark.django_db
def test_first_response_due_is_told_the_same_way(report, staff_client):
    """A first-response target at 00:00 on Saturday read as "12 December, 00:00": due
    Saturday, to a reader, where it means the end of Friday."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from townsquare.cases.models import Case

    case = report()
    saturday = dt.datetime(2026, 12, 12, tzinfo=ZoneInfo("Europe/London"))
    Case.objects.filter(pk=case.pk).update(response_due_at=saturday, responded_at=None)
    page = staff_client("agent").get(f"/staff/cases/{case.reference}")
    due = re.search(r"First response due</dt>\s*<dd[^>]*>([^<]*)", page.content.decode())
    assert due and due.group(1).strip() == "End of Friday 11 December 2026"
