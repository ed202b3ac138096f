"""Who may do what with live queues: pure predicates over a Principal."""

from __future__ import annotations

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal


def can_run_desk(principal: Principal, council_id: int) -> bool:
    """Set the delay, check people in, mark them seen, cancel a session: any staff member."""
    return policies.is_staff_of(principal, council_id)


def can_manage_appointments(principal: Principal, council_id: int) -> bool:
    """Create places and sessions, book and import appointments."""
    return policies.is_staff_of(principal, council_id)


def can_see_figures(principal: Principal, council_id: int) -> bool:
    return policies.is_staff_of(principal, council_id)
