from __future__ import annotations

from django.db import transaction

from townsquare.accounts.models import Membership, Role, User


def user_ensure(*, email: str, full_name: str = "", password: str | None = None,
                is_platform_admin: bool = False) -> User:
    """Create the user if missing; never changes an existing user's password."""
    with transaction.atomic():
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            user = User.objects.create_user(
                email, password, full_name=full_name, is_platform_admin=is_platform_admin,
                is_staff=is_platform_admin, is_superuser=is_platform_admin,
            )
        return user


def membership_set(*, user: User, council_id: int, role: str, team_id: int | None = None
                   ) -> Membership:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(Role.values)}")
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, council_id=council_id, defaults={"role": role, "team_id": team_id}
        )
        return membership
