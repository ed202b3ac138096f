"""Who may see what of one case (ADR 24): pure predicates over a Principal and the case's own
fields, no queries.

accounts.policies holds the rules by role in a council; these apply them to a case, so every
interface (staff pages, messaging pages, exports, an API) asks the same question of the same
case and gets the same answer. The selector that shows a case to a person
(cases.selectors.case_view_for) is built on them.
"""

from __future__ import annotations

from typing import Protocol

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal


class CaseFacts(Protocol):
    """What the predicates read of a case (a Case has them all)."""

    council_id: int
    team_id: int | None
    assignee_id: int | None
    is_public: bool


def can_see_reporter(principal: Principal, case: CaseFacts) -> bool:
    """Who reported the case (the name): everyone on the council's staff."""
    return policies.can_see_reporter(principal, case.council_id)


def can_see_reporter_contact(principal: Principal, case: CaseFacts) -> bool:
    """The reporter's email, phone and private answers: supervisors and admins, and an agent
    the case is assigned to, in person or through their team."""
    return policies.can_see_reporter_contact(
        principal, case.council_id, team_id=case.team_id, assignee_id=case.assignee_id
    )


def can_see_case_papers(principal: Principal, case: CaseFacts) -> bool:
    """The documents (PDFs) of a case: an application's papers are its applicant's personal
    data, so on a private case only those who see the contact details see them."""
    return case.is_public or can_see_reporter_contact(principal, case)


def can_see_every_reporter_contact(principal: Principal, council_id: int) -> bool:
    """Contact details on every case of a council, whoever it is assigned to: what lists of
    many cases' messages (the outbox, dead letters) go by."""
    return policies.can_see_reporter_contact(principal, council_id, team_id=None, assignee_id=None)
