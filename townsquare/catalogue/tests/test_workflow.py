from tests.factories import REPORT_TEMPLATE
from townsquare.catalogue.workflow import Workflow


def test_transitions_are_filtered_by_role():
    workflow = Workflow(REPORT_TEMPLATE["workflow"])
    assert {t.target for t in workflow.transitions_from("submitted", {"agent"})} == {
        "in_progress",
        "fixed",
    }
    assert {t.target for t in workflow.transitions_from("submitted", {"supervisor"})} == {
        "rejected",
        "duplicate",
    }
    assert workflow.transition("fixed", "submitted") is None
    assert workflow.closed_states == {"fixed", "duplicate", "rejected"}
    assert workflow.state("fixed").fms == "fixed"
