"""Who may do what: pure predicates over a Principal, no queries.

Templates and interfaces call the same functions to decide what to show, so what a person is
offered and what the services accept never drift apart.
"""

from __future__ import annotations

from townsquare.accounts.principal import Principal

AGENT = "agent"
SUPERVISOR = "supervisor"
COUNCIL_ADMIN = "council_admin"

# Each role includes the ones before it.
_ROLE_RANK = {AGENT: 1, SUPERVISOR: 2, COUNCIL_ADMIN: 3}


def _has_at_least(principal: Principal, council_id: int, role: str) -> bool:
    if principal.is_platform_admin:
        return True
    held = principal.role_in(council_id)
    return held is not None and _ROLE_RANK[held] >= _ROLE_RANK[role]


def effective_roles(principal: Principal, council_id: int) -> frozenset[str]:
    """Every role the principal holds in a council, counting those its role includes."""
    if principal.is_platform_admin:
        return frozenset(_ROLE_RANK) | {"system"}
    held = principal.role_in(council_id)
    if held is None:
        return frozenset()
    return frozenset(r for r, rank in _ROLE_RANK.items() if rank <= _ROLE_RANK[held])


def is_staff_of(principal: Principal, council_id: int) -> bool:
    return _has_at_least(principal, council_id, AGENT)


def can_view_case(principal: Principal, council_id: int) -> bool:
    return is_staff_of(principal, council_id)


def can_handle_case(principal: Principal, council_id: int) -> bool:
    """Post updates and notes, take workflow transitions the template allows the role."""
    return is_staff_of(principal, council_id)


def can_assign_case(principal: Principal, council_id: int) -> bool:
    return is_staff_of(principal, council_id)


def can_retry_dead_letters_in_bulk(principal: Principal, council_id: int) -> bool:
    """Send every dead letter of a council again at once (one at a time: any staff)."""
    return _has_at_least(principal, council_id, SUPERVISOR)


def can_merge_cases(principal: Principal, council_id: int) -> bool:
    return _has_at_least(principal, council_id, SUPERVISOR)


def can_see_reporter(principal: Principal, council_id: int) -> bool:
    """The reporter's name: every member of staff, to address them."""
    return principal.sees_personal_data and is_staff_of(principal, council_id)


def can_see_reporter_contact(
    principal: Principal, council_id: int, *, team_id: int | None, assignee_id: int | None
) -> bool:
    """The reporter's email, phone and private answers: only those who need them to handle
    the case (data minimisation): supervisors and admins, and an agent the case is assigned
    to, in person or through their team. An agent who takes the case on sees them."""
    if not principal.sees_personal_data:
        return False
    if _has_at_least(principal, council_id, SUPERVISOR):
        return True
    if not is_staff_of(principal, council_id):
        return False
    return (assignee_id is not None and assignee_id == principal.user_id) or (
        team_id is not None and principal.teams.get(council_id) == team_id
    )


def can_manage_services(principal: Principal, council_id: int) -> bool:
    return _has_at_least(principal, council_id, COUNCIL_ADMIN)


def can_administer_council(principal: Principal, council_id: int) -> bool:
    return _has_at_least(principal, council_id, COUNCIL_ADMIN)


def can_manage_platform(principal: Principal) -> bool:
    return principal.is_platform_admin
