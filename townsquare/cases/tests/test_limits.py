"""One place decides how much a case may carry (cases.limits); every channel reads it."""

from __future__ import annotations

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases import limits
from townsquare.cases.media import image_sanitise
from townsquare.cases.services import Reporter, case_create
from townsquare.core.errors import InvalidInput
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db


def _report(**kwargs):
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(email="sam@example.org"),
        **kwargs,
    )


def test_case_create_holds_every_channel_to_the_photo_limit(council):
    # Counted before any photo is decoded.
    with pytest.raises(InvalidInput) as info:
        _report(photos=[b"not decoded"] * (limits.MAX_PHOTOS + 1))
    problem = info.value.first("media")
    assert (problem.code, dict(problem.params)) == ("too_many", {"max": limits.MAX_PHOTOS})
    assert info.value.errors == {"media": [f"at most {limits.MAX_PHOTOS} photos"]}


def test_case_create_holds_the_description_to_its_limit(council):
    with pytest.raises(InvalidInput) as info:
        _report(description="x" * (limits.MAX_DESCRIPTION + 1))
    problem = info.value.first("description")
    assert problem.code == "max_length" and problem.params["limit"] == limits.MAX_DESCRIPTION
    assert _report(description="x" * limits.MAX_DESCRIPTION).description.startswith("x")


def test_a_photo_too_large_is_refused_with_its_limit():
    with pytest.raises(InvalidInput) as info:
        image_sanitise(b"\0" * (limits.MAX_PHOTO_BYTES + 1), name="big.jpg")
    problem = info.value.first("media")
    assert (problem.code, dict(problem.params)) == (
        "file_too_large",
        {"name": "big.jpg", "mb": limits.MAX_PHOTO_BYTES // (1024 * 1024)},
    )
    assert info.value.errors == {"media": ["big.jpg is larger than 20 MB"]}
