from __future__ import annotations

import pytest

from townsquare.core.errors import InvalidInput
from townsquare.councils.selectors import area_for_point, council_for_point

pytestmark = pytest.mark.django_db


def test_a_point_is_routed_to_the_council_that_holds_it(council, other_council):
    assert council_for_point(lat=51.5, lng=-1.5) == council
    assert council_for_point(lat=51.5, lng=0.5) == other_council
    assert area_for_point(council=council, lat=51.5, lng=-1.2).name == "East ward"


def test_a_point_inside_no_council_gets_a_clear_error(council, other_council):
    with pytest.raises(InvalidInput) as info:
        council_for_point(lat=51.5, lng=-0.5)
    assert "not inside any council" in info.value.errors["location"][0]


def test_routing_follows_a_changed_boundary(council):
    from tests.factories import square
    from townsquare.councils.services import council_upsert

    assert council_for_point(lat=51.5, lng=-1.5) == council
    council_upsert(
        slug=council.slug,
        name=council.name,
        jurisdiction_id=council.jurisdiction_id,
        reference_prefix=council.reference_prefix,
        boundary=square(5, 5, 6, 6),
    )
    with pytest.raises(InvalidInput):
        council_for_point(lat=51.5, lng=-1.5)
