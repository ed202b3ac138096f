"""The applicant's stage indicator (portal.applicant.stages, ADR 100)."""

from __future__ import annotations

from tests import factories
from townsquare.catalogue.workflow import Workflow
from townsquare.portal.applicant import stages

WORKFLOW = Workflow(factories.shipped_workflow_template()["workflow"])


def _statuses(state: str, visited: list[str]) -> list[tuple[str, str]]:
    return [(s.name, s.status) for s in stages(WORKFLOW, state=state, visited=visited)]


def test_an_application_under_review_has_its_decision_to_come():
    assert _statuses("under_review", ["submitted", "under_review"]) == [
        ("Submitted", "done"),
        ("Under review", "current"),
        ("Decision", "to_come"),
    ]


def test_a_decided_applications_outcome_is_where_it_is_and_done():
    statuses = _statuses("approved", ["submitted", "under_review", "approved"])
    assert [status for _, status in statuses] == ["done", "done", "finished"]
    assert statuses[-1][0] == WORKFLOW.state("approved").name
