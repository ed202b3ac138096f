import pytest

from tests.security.probing import CouncilObjects, council_b_objects

# The route-auth test's samples of another council's objects: one list, added to in one place.
from tests.test_route_auth import their_objects  # noqa: F401 - registered here as a fixture


@pytest.fixture
def council_b(request, other_council, settings) -> CouncilObjects:
    """Council B's objects, which council A's people and keys probe (`council` is A)."""
    # A thousand calls from one key within a held clock (interval_clock): the REST API's
    # bucket would run dry, which is tests/test_api_v1.py's business, not the probe's.
    settings.API_RATE_BURST = 100_000
    return council_b_objects(other_council, request.getfixturevalue("their_objects"))


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    # Each signed-in role costs a password hash, which is slow on purpose; this suite tests who
    # reaches what, not how passwords are stored (townsquare/accounts/tests do).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
