"""Who may see what triage keeps (pure predicates)."""

from __future__ import annotations

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal


def can_see_original_text(principal: Principal, council_id: int) -> bool:
    """The words as sent, personal data included: staff who may see the reporter's details."""
    return policies.can_see_reporter(principal, council_id) and principal.sees_personal_data


def can_decide_suggestion(principal: Principal, council_id: int) -> bool:
    return policies.can_handle_case(principal, council_id)
