"""Who may do what with payments: pure predicates over a Principal, no queries."""

from __future__ import annotations

from townsquare.accounts import policies as roles
from townsquare.accounts.principal import Principal


def can_see_payments(principal: Principal, council_id: int) -> bool:
    return roles.is_staff_of(principal, council_id)


def can_record_offline_payment(principal: Principal, council_id: int) -> bool:
    """Take a payment by phone or at the counter and record it on the case."""
    return roles.is_staff_of(principal, council_id)


def can_refund(principal: Principal, council_id: int) -> bool:
    """Money goes back out: a supervisor's decision, as refusing an application is."""
    return roles.SUPERVISOR in roles.effective_roles(principal, council_id)


def can_reconcile(principal: Principal, council_id: int) -> bool:
    return roles.SUPERVISOR in roles.effective_roles(principal, council_id)


def can_configure_pay(principal: Principal, council_id: int) -> bool:
    return roles.can_administer_council(principal, council_id)
