"""Staff actions on many cases at once. Each case is checked and changed on its own, by the same
service a single change uses, so the rules cannot differ; one case refused (not allowed, changed
meanwhile, already closed) leaves the others done, and the outcome says which and why.

Cases are handled in chunks of 100, each chunk one transaction: transitions lock the chunk's
cases in one query and check each case before writing it; other actions call their service per
case, whose own savepoint rolls a refused case back alone. A thousand cases cost ten commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import (
    KEEP,
    Keep,
    case_assign,
    case_post_public_update,
    case_set_priority,
    case_transition,
    cases_transition,
)
from townsquare.core.errors import DomainError, InvalidInput
from townsquare.core.numbers import whole_number
from townsquare.councils.models import Team

MAX_BULK = 1000
CHUNK = 100


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    done: bool
    reason: str = ""


@dataclass(frozen=True)
class Selected:
    """A case picked in a list, with the revision seen then (None: whatever it is now)."""

    reference: str
    revision: int | None = None


def parse_selection(values: list[str]) -> list[Selected]:
    """ "REF" or "REF@revision" values from a form's checkboxes, de-duplicated, in order."""
    seen: dict[str, Selected] = {}
    for value in values:
        reference, _, revision = (value or "").strip().upper().partition("@")
        if reference and reference not in seen and len(reference) <= 20:
            seen[reference] = Selected(reference, whole_number(revision))
    return list(seen.values())


def cases_bulk_apply(
    *,
    selection: list[Selected],
    actor: Principal,
    council_id: int,
    action: str,
    to_state: str = "",
    message: str = "",
    team: Team | Keep | None = KEEP,
    assignee_id: int | Keep | None = KEEP,
    priority: int | None = None,
) -> list[BulkOutcome]:
    """Apply one action to each selected case of `council_id`.

    action: "transition" (to `to_state`, with `message` to the public or the state's standard
    message), "assign" (to `team` and/or `assignee_id`, each None to clear or KEEP),
    "update" (public `message`),
    "priority". Raises InvalidInput only for a malformed request (unknown action, nothing
    selected, too many); everything about one case goes into its outcome.
    """
    if not selection:
        raise InvalidInput({"case": ["Select at least one case"]})
    if len(selection) > MAX_BULK:
        raise InvalidInput(
            {"case": [f"Select at most {MAX_BULK} cases at a time ({len(selection)} selected)"]}
        )
    act = _action(
        action=action,
        actor=actor,
        to_state=to_state,
        message=message,
        team=team,
        assignee_id=assignee_id,
        priority=priority,
    )
    cases = {
        c.reference: c
        for c in Case.objects.filter(
            reference__in=[s.reference for s in selection], council_id=council_id
        )
    }
    outcomes: dict[str, BulkOutcome] = {}
    for start in range(0, len(selection), CHUNK):
        chunk = []
        for chosen in selection[start : start + CHUNK]:
            case = cases.get(chosen.reference)
            if case is None:
                outcomes[chosen.reference] = BulkOutcome(
                    chosen.reference, False, "No such case in this council"
                )
            else:
                chunk.append((case, chosen.revision))
        if action == "transition":
            for done in cases_transition(
                cases=chunk, to_state=to_state, actor=actor, message=message
            ):
                outcomes[done.reference] = BulkOutcome(done.reference, done.done, done.reason)
            continue
        with transaction.atomic():
            for case, revision in chunk:
                # Each service call is atomic itself (a savepoint here): a refused case
                # rolls back alone.
                try:
                    act(case, revision)
                except DomainError as exc:
                    outcomes[case.reference] = BulkOutcome(case.reference, False, exc.message)
                else:
                    outcomes[case.reference] = BulkOutcome(case.reference, True)
    return [outcomes[s.reference] for s in selection]


def _action(
    *,
    action: str,
    actor: Principal,
    to_state: str,
    message: str,
    team: Team | Keep | None,
    assignee_id: int | Keep | None,
    priority: int | None,
) -> Callable[[Case, int | None], object]:
    if action == "transition":
        if not to_state:
            raise InvalidInput({"to_state": ["Choose the status to move the cases to"]})
        return lambda case, revision: case_transition(
            case=case, to_state=to_state, actor=actor, message=message, expected_revision=revision
        )
    if action == "assign":
        if team is KEEP and assignee_id is KEEP:
            raise InvalidInput({"team": ["Choose a team or a person"]})
        return lambda case, revision: case_assign(
            case=case, actor=actor, team=team, assignee_id=assignee_id, expected_revision=revision
        )
    if action == "update":
        if not message.strip():
            raise InvalidInput({"message": ["Enter the update"]})
        return lambda case, revision: case_post_public_update(
            case=case, actor=actor, message=message, expected_revision=revision
        )
    if action == "priority":
        if priority is None:
            raise InvalidInput({"priority": ["Choose a priority"]})
        return lambda case, revision: case_set_priority(
            case=case, actor=actor, priority=priority, expected_revision=revision
        )
    raise InvalidInput({"action": [f"Unknown action {action[:30]!r}"]})
