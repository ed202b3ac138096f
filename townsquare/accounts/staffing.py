"""Council admins managing their council's staff: add people, change roles and teams, remove
them, and reset a lost authenticator. Everything is checked by policy and audited."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from townsquare.accounts import policies
from townsquare.accounts.events import MembershipRemoved
from townsquare.accounts.models import Membership, Role, User
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import membership_set
from townsquare.accounts.signin import second_factor_reset
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied
from townsquare.core.eventlog import append_event


def _require(actor: Principal, council_id: int) -> None:
    if not policies.can_administer_council(actor, council_id):
        raise PermissionDenied("Only council admins can manage staff")


def staff_of_council(*, actor: Principal, council_id: int) -> list[Membership]:
    _require(actor, council_id)
    return list(
        Membership.objects.filter(council_id=council_id)
        .select_related("user", "team")
        .order_by("user__full_name", "user__email")
    )


def staff_member_add(
    *, council_id: int, email: str, full_name: str, role: str, team_id: int | None, actor: Principal
) -> tuple[User, str]:
    """Give someone a role in the council, creating their account if needed. Returns the user
    and, for a new account, a temporary password to pass on (shown once, never stored)."""
    _require(actor, council_id)
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter an email address like name@council.gov.uk"]
    full_name = (full_name or "").strip()
    if not full_name or len(full_name) > 200:
        errors["full_name"] = ["Enter their full name"]
    if role not in Role.values:
        errors["role"] = ["Choose a role"]
    if errors:
        raise InvalidInput(errors)
    password = ""
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
            user = User.objects.create_user(email, password, full_name=full_name)
        if Membership.objects.filter(user=user, council_id=council_id).exists():
            raise InvalidInput(
                {
                    "email": [
                        f"{email} is already staff of this council; change "
                        "their role in the list instead"
                    ]
                }
            )
        membership_set(
            user=user, council_id=council_id, role=role, team_id=team_id, actor=actor.as_actor()
        )
    return user, password


def _membership(council_id: int, user_id: int) -> Membership:
    membership = Membership.objects.filter(council_id=council_id, user_id=user_id).first()
    if membership is None:
        raise NotFound("That person is not staff of this council")
    return membership


def staff_member_change(
    *, council_id: int, user_id: int, role: str, team_id: int | None, actor: Principal
) -> Membership:
    _require(actor, council_id)
    membership = _membership(council_id, user_id)
    if user_id == actor.user_id and role != Role.COUNCIL_ADMIN and not actor.is_platform_admin:
        raise InvalidInput(
            {"role": ["You cannot take away your own admin role; ask another admin"]}
        )
    return membership_set(
        user=membership.user,
        council_id=council_id,
        role=role,
        team_id=team_id,
        actor=actor.as_actor(),
    )


def staff_member_remove(*, council_id: int, user_id: int, actor: Principal) -> None:
    _require(actor, council_id)
    if user_id == actor.user_id:
        raise InvalidInput("You cannot remove yourself; ask another admin")
    with transaction.atomic():
        membership = _membership(council_id, user_id)
        membership_id = membership.pk
        membership.delete()
        append_event(
            MembershipRemoved(user_id=user_id),
            council_id=council_id,
            stream="membership",
            stream_id=membership_id,
            actor=actor.as_actor(),
        )


def staff_member_reset_authenticator(*, council_id: int, user_id: int, actor: Principal) -> None:
    _require(actor, council_id)
    membership = _membership(council_id, user_id)
    # A reset lets the next person with the password enrol a new authenticator, so one
    # council's admin may not do it for someone who also holds a role elsewhere.
    if not actor.is_platform_admin and (
        membership.user.is_platform_admin
        or Membership.objects.filter(user_id=user_id).exclude(council_id=council_id).exists()
    ):
        raise PermissionDenied(
            "This person also works for another council; ask a platform "
            "admin to reset their authenticator"
        )
    second_factor_reset(user=membership.user, council_id=council_id, actor=actor.as_actor())
