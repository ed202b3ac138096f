"""Who may do what with consultations: pure predicates over a Principal, no queries."""

from __future__ import annotations

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.consultations.models import State


def can_view_consultations(principal: Principal, council_id: int) -> bool:
    """See drafts, responses (with their personal fields) and the analysis."""
    return policies.is_staff_of(principal, council_id)


def can_analyse_responses(principal: Principal, council_id: int) -> bool:
    """Tag responses with themes and mark them considered."""
    return policies.is_staff_of(principal, council_id)


def can_run_consultations(principal: Principal, council_id: int) -> bool:
    """Draft, open, close and publish outcomes: what the council says in public."""
    return policies.SUPERVISOR in policies.effective_roles(principal, council_id)


def accepts_answers(state: str) -> bool:
    return state == State.OPEN


def is_public(state: str) -> bool:
    return state != State.DRAFT


# Which state may follow which: the lifecycle runs one way.
NEXT_STATE = {
    State.DRAFT: State.OPEN,
    State.OPEN: State.CLOSED,
    State.CLOSED: State.ANALYSIS,
    State.ANALYSIS: State.PUBLISHED,
}
