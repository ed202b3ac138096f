"""Staff of one council can neither read nor change another council's cases."""

from __future__ import annotations

import pytest

from tests.factories import make_staff
from townsquare.accounts.principal import Principal
from townsquare.cases import selectors, services
from townsquare.cases.models import Case
from townsquare.core.errors import NotFound, PermissionDenied
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_case(other_council):
    return services.case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"depth": "deep"},
    )


@pytest.fixture
def own_case(council):
    return services.case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_selectors_never_return_another_councils_cases(council, foreign_case, own_case, role):
    _, principal = make_staff(council, role)
    assert list(selectors.cases_for_principal(principal=principal)) == [own_case]
    with pytest.raises(NotFound):
        selectors.case_get_for_user(principal=principal, reference=foreign_case.reference)
    assert selectors.case_get_for_user(principal=principal, reference=own_case.reference)
    timeline = selectors.case_timeline(case=foreign_case, principal=principal)
    assert all(e.visibility == "public" for e in timeline)


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_services_refuse_another_councils_cases(council, foreign_case, role):
    _, principal = make_staff(council, role)
    attempts = [
        lambda: services.case_transition(case=foreign_case, to_state="fixed", actor=principal),
        lambda: services.case_assign(case=foreign_case, actor=principal),
        lambda: services.case_post_public_update(case=foreign_case, actor=principal, message="x"),
        lambda: services.case_add_internal_note(case=foreign_case, actor=principal, note="x"),
        lambda: services.case_merge_duplicate(
            duplicate=foreign_case, original=foreign_case, actor=principal
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    foreign_case.refresh_from_db()
    assert foreign_case.state == "submitted" and foreign_case.revision == 1


def test_citizens_and_anonymous_cannot_act_as_staff(own_case):
    for principal in (Principal.anonymous(), Principal(user_id=99, label="Citizen")):
        with pytest.raises(PermissionDenied):
            services.case_transition(case=own_case, to_state="fixed", actor=principal)
        assert list(selectors.cases_for_principal(principal=principal)) == []


def test_platform_admin_sees_every_council(own_case, foreign_case):
    admin = Principal(user_id=1, label="Admin", is_platform_admin=True)
    assert set(selectors.cases_for_principal(principal=admin)) == {own_case, foreign_case}
    assert Case.objects.count() == 2
