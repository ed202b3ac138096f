from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def council(db):
    return factories.make_council("testshire", prefix="TST")


@pytest.fixture
def other_council(db):
    return factories.make_council("otherby", prefix="OTH", bounds=(0.0, 51.0, 1.0, 52.0))


def sign_in(
    client: Client,
    email: str,
    *,
    secret: str = factories.STAFF_TOTP_SECRET,
    password: str = factories.STAFF_PASSWORD,
) -> None:
    response = client.post("/staff/sign-in", {"email": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post("/staff/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def staff_client(council):
    """staff_client(role) -> a Client signed in as a new member of `council` with that role."""

    def make(role: str = "agent", *, target=None, email: str | None = None) -> Client:
        target = target or council
        user, _ = factories.make_staff_signed_in(target, role, email)
        client = Client()
        sign_in(client, user.email)
        client.user = user
        return client

    return make


INSIDE_WEST = (51.5, -1.75)


@pytest.fixture
def report(council):
    """report(**kwargs) -> a new pothole report in the council's west ward."""
    from townsquare.accounts.principal import Principal
    from townsquare.cases.services import Reporter, case_create
    from townsquare.geo.points import Point

    def make(lat: float = INSIDE_WEST[0], lng: float = INSIDE_WEST[1], target=None, **kwargs):
        defaults = dict(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(lat, lng),
            values={"depth": "deep"},
            description="Big hole by the bus stop",
            address="4 Mill Lane",
            reporter=Reporter(email="sam@example.org", name="Sam Reporter"),
        )
        defaults.update(kwargs)
        return case_create(council=target or council, **defaults)

    return make
