"""Who may do what on neighbourhood pages: pure predicates, also used by templates."""

from __future__ import annotations

from townsquare.accounts import policies as account_policies
from townsquare.accounts.principal import Principal


def is_officer(principal: Principal, council_id: int) -> bool:
    """Posts as the council (marked with role and council) and turns threads into cases."""
    return account_policies.is_staff_of(principal, council_id)


def can_moderate(principal: Principal, council_id: int) -> bool:
    return account_policies.is_staff_of(principal, council_id)


def can_decide_appeal(principal: Principal, council_id: int, *, moderator_id: int | None) -> bool:
    """Anyone who may moderate, except the moderator whose decision is appealed: nobody
    judges their own decision (ADR 181)."""
    return (
        can_moderate(principal, council_id)
        and principal.user_id is not None
        and principal.user_id != moderator_id
    )


def can_post(*, signed_in: bool, banned: bool, locked: bool) -> bool:
    return signed_in and not banned and not locked
