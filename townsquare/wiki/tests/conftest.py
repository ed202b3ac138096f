from __future__ import annotations

import pytest

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.wiki.services import commons_ensure, council_space_ensure


@pytest.fixture
def ours(council):
    """An agent of `council` and their council's space."""
    _user, principal = factories.make_staff(council, "agent")
    return principal, council_space_ensure(council=council)


@pytest.fixture
def theirs(other_council):
    _user, principal = factories.make_staff(other_council, "agent")
    return principal, council_space_ensure(council=other_council)


@pytest.fixture
def commons(db):
    return commons_ensure()


@pytest.fixture
def resident():
    return Principal(user_id=987654, label="A resident")
