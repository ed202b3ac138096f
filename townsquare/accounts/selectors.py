from __future__ import annotations

from townsquare.accounts.models import Membership, User
from townsquare.accounts.principal import Principal


def principal_for_user(user: User | None) -> Principal:
    """Load a user's roles in one query; anonymous (or inactive) users get no rights."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Principal.anonymous()
    roles: dict[int, str] = {}
    teams: dict[int, int] = {}
    for council_id, role, team_id in Membership.objects.filter(user_id=user.pk).values_list(
        "council_id", "role", "team_id"
    ):
        roles[council_id] = role
        if team_id:
            teams[council_id] = team_id
    return Principal(
        user_id=user.pk,
        label=user.full_name or user.email,
        is_platform_admin=user.is_platform_admin,
        roles=roles,
        teams=teams,
    )
