"""Who may see what of one case (ADR 24): pure predicates over a Principal and the case's own
fields, no queries.

accounts.policies holds the rules by role in a council; these apply them to a case, so every
interface (staff pages, messaging pages, exports, an API) asks the same question of the same
case and gets the same answer. The selector that shows a case to a person
(cases.selectors.case_view_for) is built on them.
"""

from __future__ import annotations

import datetime as dt
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


def can_see_attachment(
    principal: Principal, case: CaseFacts, *, is_public: bool, is_document: bool
) -> bool:
    """One file of a case the principal may see: an internal file only for those who see
    personal data (a key without read-personal sees the public ones, ADR 152); a document
    only for those who see the case's papers."""
    if not is_public and not principal.sees_personal_data:
        return False
    return not is_document or can_see_case_papers(principal, case)


def can_see_every_reporter_contact(principal: Principal, council_id: int) -> bool:
    """Contact details on every case of a council, whoever it is assigned to: what lists of
    many cases' messages (the outbox, dead letters) go by."""
    return policies.can_see_reporter_contact(principal, council_id, team_id=None, assignee_id=None)


class ApplicantFacts(Protocol):
    """What the applicant predicates read of a case (a Case has them all)."""

    kind: str
    reporter_id: int | None
    anonymised_at: dt.datetime | None


def is_applicant(principal: Principal, case: ApplicantFacts, *, holds_reference: bool) -> bool:
    """Whether `principal` is the person who made the case: the account it belongs to, or
    whoever holds proof of having sent it (`holds_reference`: the browser that sent it, or one
    that opened the link emailed to the applicant, ADR 100). Never once retention has removed
    who made it."""
    if case.anonymised_at is not None:
        return False
    mine = principal.user_id is not None and principal.user_id == case.reporter_id
    return mine or holds_reference


def can_act_as_applicant(
    principal: Principal, case: ApplicantFacts, *, holds_reference: bool
) -> bool:
    """See their own answers and documents, take the workflow's `citizen` moves and reply to
    a request for more information: the applicant of an application only."""
    return case.kind == "application" and is_applicant(
        principal, case, holds_reference=holds_reference
    )
