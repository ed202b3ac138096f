"""Changes to who may do what, and to councils themselves, are in the audit trail."""

from __future__ import annotations

import pytest

from tests.factories import make_staff, square
from townsquare.accounts.services import membership_set
from townsquare.core.errors import InvalidInput
from townsquare.core.models import Event
from townsquare.councils.models import Team
from townsquare.councils.services import council_upsert

pytestmark = pytest.mark.django_db


def kinds(stream):
    return list(Event.objects.filter(stream=stream).order_by("id").values_list("kind", flat=True))


def test_role_changes_are_recorded_once_each(council, other_council):
    user, _ = make_staff(council, "agent")
    membership_set(user=user, council_id=council.id, role="agent")  # no change: no record
    membership_set(user=user, council_id=council.id, role="supervisor")
    assert kinds("membership") == ["membership.set", "membership.set"]
    foreign_team = Team.objects.get(council=other_council, code="highways")
    with pytest.raises(InvalidInput):
        membership_set(user=user, council_id=council.id, role="agent", team_id=foreign_team.id)
    with pytest.raises(InvalidInput):
        membership_set(user=user, council_id=council.id, role="mayor")
    assert len(kinds("membership")) == 2


def test_council_changes_are_recorded_and_reloading_the_same_data_is_not(council):
    before = len(kinds("council"))
    arguments = dict(
        slug=council.slug,
        name=council.name,
        jurisdiction_id=council.jurisdiction_id,
        reference_prefix=council.reference_prefix,
        boundary=square(-2.0, 51.0, -1.0, 52.0),
    )
    council_upsert(**arguments)
    assert len(kinds("council")) == before
    council_upsert(**arguments | {"name": "Testshire County Council"})
    assert len(kinds("council")) == before + 1


def test_a_branding_colour_must_be_a_colour(council):
    with pytest.raises(InvalidInput):
        council_upsert(
            slug="evil",
            name="Evil",
            jurisdiction_id="evil.example",
            reference_prefix="EVL",
            boundary=square(3, 3, 4, 4),
            branding={"colour": "#fff;position:fixed"},
        )
