"""Staff see how sure the council is who applied (ADR 91): the level reached at sign-in is on
the case page and in the case a REST API key reads."""

from __future__ import annotations

import copy

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
