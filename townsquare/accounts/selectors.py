from __future__ import annotations

import re

from townsquare.accounts.models import ApiKey, LinkedIdentity, Membership, Scope, User
from townsquare.accounts.policies import AGENT, COUNCIL_ADMIN, SUPERVISOR
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


def active_user_by_id(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_by_email(*, email: str) -> User | None:
    """The account with exactly this (already cleaned) address, if any."""
    return User.objects.filter(email=email).first()


def api_keys_of_council(*, council_id: int) -> list[ApiKey]:
    """The council's API keys, those in use first, by name."""
    return list(
        ApiKey.objects.filter(council_id=council_id).order_by("revoked_at", "name", "-created_at")
    )


def api_key_of_council(*, council_id: int, key_id: int | None) -> ApiKey | None:
    if key_id is None:
        return None
    return ApiKey.objects.filter(council_id=council_id, id=key_id).first()


def linked_identity_issuers(*, user_id: int) -> set[str]:
    """The issuers of the provider accounts that sign in as this user."""
    return set(LinkedIdentity.objects.filter(user_id=user_id).values_list("issuer", flat=True))


def principal_for_api_key(key: ApiKey) -> Principal:
    """What a REST API key acts as (ADR 120): staff of its one council, with the role its
    scopes need, so every service and policy judges it as it judges a person. Admin keys act
    as council admins; keys that write cases or read personal data as supervisors (who see
    contact details on every case, as a back-office system must); read-only keys as agents,
    shown no personal data. The audit trail names the key."""
    scopes = set(key.scopes)
    if Scope.ADMIN in scopes:
        role = COUNCIL_ADMIN
    elif scopes & {Scope.WRITE_CASES, Scope.READ_PERSONAL}:
        role = SUPERVISOR
    else:
        role = AGENT
    return Principal(
        user_id=None,
        label=f"API key: {key.name} ({key.prefix}…)",
        roles={key.council_id: role},
        is_api_client=True,
        sees_personal_data=Scope.READ_PERSONAL in scopes,
    )


# principal_for_api_key's label ends with the key's prefix, whose start is the key's type.
_TEAM_KEY_LABEL_END = re.compile(r"\(ts_team_[^()]*…\)$")


def acted_with_team_key(*, actor_kind: str, actor_label: str) -> bool:
    """Whether an event's actor is a team key (ADR 158): its messages may go only to the
    council's own staff. The label's last bracket is always the prefix, so a key's name
    cannot pass for another type."""
    return actor_kind == "api" and _TEAM_KEY_LABEL_END.search(actor_label) is not None


def staff_emails_of_council(*, council_id: int) -> frozenset[str]:
    """The council's own addresses: its active staff's, lower-cased (ADR 158)."""
    emails = Membership.objects.filter(council_id=council_id, user__is_active=True).values_list(
        "user__email", flat=True
    )
    return frozenset(e.lower() for e in emails if e)
