from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import user_ensure
from townsquare.councils.selectors import areas_of_council


def sign_in(client: Client, email: str) -> None:
    """Both staff sign-in factors (the staff app's own helper lives above this layer)."""
    response = client.post("/staff/sign-in", {"email": email, "password": factories.STAFF_PASSWORD})
    assert response.status_code == 302
    code = pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()
    response = client.post("/staff/sign-in/code", {"code": code})
    assert response.status_code == 302


@pytest.fixture
def ward(council):
    return next(a for a in areas_of_council(council_id=council.id) if a.code.endswith("west"))


@pytest.fixture
def resident(db):
    """resident(email) -> (user, Principal) of a signed-up resident."""

    def make(email: str = "sam@example.org"):
        user = user_ensure(email=email)
        return user, Principal(user_id=user.pk, label=email)

    return make


@pytest.fixture
def resident_client(resident):
    def make(email: str = "sam@example.org") -> Client:
        user, _ = resident(email)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.user = user
        return client

    return make


@pytest.fixture
def moderator(council):
    """moderator(email) -> (user, Principal) of an agent of the council."""

    def make(email: str):
        return factories.make_staff_signed_in(council, "agent", email)

    return make


@pytest.fixture
def staff_signed_in(moderator):
    def make(email: str) -> Client:
        user, _ = moderator(email)
        client = Client()
        sign_in(client, user.email)
        client.user = user
        return client

    return make
