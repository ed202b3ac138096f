"""Who may do what with articles: pure predicates over a Principal and a space's members.

`members` is the set of council ids that own the article's space, or None for a space open to
every council (the commons). Pages ask the same questions to show or hide actions.
"""

from __future__ import annotations

from townsquare.accounts.principal import Principal
from townsquare.wiki.models import Visibility


def is_council_staff(principal: Principal) -> bool:
    return principal.is_platform_admin or bool(principal.roles)


def is_member(principal: Principal, members: frozenset[int] | None) -> bool:
    if principal.is_platform_admin:
        return True
    if members is None:
        return bool(principal.roles)
    return bool(principal.council_ids & members)


def may_read(principal: Principal, *, visibility: str, members: frozenset[int] | None) -> bool:
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.STAFF:
        return is_council_staff(principal)
    return is_member(principal, members)


def may_edit(principal: Principal, *, members: frozenset[int] | None) -> bool:
    return is_member(principal, members)


def may_moderate_talk(principal: Principal, *, members: frozenset[int] | None) -> bool:
    """Until the neighbourhood forum's moderation exists, staff of the owner hide comments."""
    return is_member(principal, members)


def may_comment(principal: Principal, *, visibility: str, members: frozenset[int] | None) -> bool:
    return is_council_staff(principal) and may_read(
        principal, visibility=visibility, members=members
    )


def may_approve(
    principal: Principal, *, members: frozenset[int] | None, author_id: int | None
) -> bool:
    """A second pair of eyes: a member of the space other than the article's author."""
    if principal.is_platform_admin:
        return True
    return is_member(principal, members) and principal.user_id != author_id
