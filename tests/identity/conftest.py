from tests.identity_provider import (  # noqa: F401 (fixtures)
    identity_provider,
    live_identity_provider,
    live_one_login,
    one_login,
)
