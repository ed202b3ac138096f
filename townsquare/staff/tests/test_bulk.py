from __future__ import annotations

import re

import pytest

from townsquare.cases.models import Case

pytestmark = pytest.mark.django_db


def test_bulk_close_reports_successes_and_refusals(council, report, staff_client):
    cases = [report() for _ in range(4)]
    client = staff_client("agent")
    stale = cases[2]
    seen = stale.revision
    client.post(f"/staff/cases/{stale.reference}/priority", {"priority": "1", "revision": seen})
    selected = [f"{c.reference}@{c.revision}" for c in cases[:2]] + [
        f"{stale.reference}@{seen}",
        "TST-26-999999",
    ]
    response = client.post(
        "/staff/cases/bulk",
        {
            "case": selected,
            "action": "transition",
            "to_state": "fixed",
            "message": "All filled",
            "back": "/staff/cases/",
        },
    )
    assert response["Location"] == "/staff/cases/bulk/result"
    page = client.get("/staff/cases/bulk/result").content.decode()
    assert "2 cases changed, 2 refused" in page
    assert "changed by someone else" in page and "No such case in this council" in page
    assert set(Case.objects.filter(is_open=False).values_list("reference", flat=True)) == {
        cases[0].reference,
        cases[1].reference,
    }
    assert Case.objects.get(pk=cases[0].pk).status_notes == "All filled"


def test_bulk_refuses_transitions_the_role_lacks(council, report, staff_client):
    case = report()
    client = staff_client("agent")
    client.post(
        "/staff/cases/bulk",
        {"case": [case.reference], "action": "transition", "to_state": "rejected"},
    )
    page = client.get("/staff/cases/bulk/result").content.decode()
    assert "Your role cannot move a case to" in page
    assert Case.objects.get(pk=case.pk).is_open


def test_bulk_on_every_case_a_filter_matches(council, report, staff_client):
    for _ in range(3):
        report()
    client = staff_client("supervisor")
    client.post(
        "/staff/cases/bulk",
        {"scope": "all", "query": "status=open", "action": "assign", "assignee": "me"},
    )
    assert Case.objects.filter(assignee=client.user).count() == 3


def test_nothing_selected(council, staff_client):
    client = staff_client("agent")
    client.post("/staff/cases/bulk", {"action": "transition", "to_state": "fixed"})
    assert "Select at least one case" in client.get("/staff/cases/bulk/result").content.decode()


def test_bulk_assign_keeps_what_is_not_chosen_and_can_unassign(council, report, staff_client):
    from townsquare.councils.models import Team

    cases = [report() for _ in range(2)]
    client = staff_client("supervisor")
    refs = [c.reference for c in cases]
    client.post("/staff/cases/bulk", {"case": refs, "action": "assign", "assignee": "me"})
    education = Team.objects.get(council=council, code="education")
    # A new team only: each case keeps its person.
    client.post(
        "/staff/cases/bulk",
        {"case": refs, "action": "assign", "team": education.id, "assignee": ""},
    )
    assert set(Case.objects.filter(reference__in=refs).values_list("team", "assignee")) == {
        (education.id, client.user.pk)
    }
    # Unassign, and take the team away.
    client.post(
        "/staff/cases/bulk", {"case": refs, "action": "assign", "team": "none", "assignee": "none"}
    )
    assert set(Case.objects.filter(reference__in=refs).values_list("team", "assignee")) == {
        (None, None)
    }
    # Nothing chosen, or a team that is not the council's, is refused before anything changes.
    client.post("/staff/cases/bulk", {"case": refs, "action": "assign", "team": "", "assignee": ""})
    assert "Choose a team or a person" in client.get("/staff/cases/bulk/result").content.decode()
    client.post("/staff/cases/bulk", {"case": refs, "action": "assign", "team": "424242"})
    assert "Choose one of the council" in client.get("/staff/cases/bulk/result").content.decode()


def test_bulk_public_update_leaves_the_status(council, report, staff_client):
    cases = [report() for _ in range(2)]
    client = staff_client("agent")
    client.post(
        "/staff/cases/bulk",
        {
            "case": [c.reference for c in cases],
            "action": "update",
            "update_message": "Crews are out across the ward today",
        },
    )
    for case in cases:
        case.refresh_from_db()
        assert case.status_notes == "Crews are out across the ward today"
        assert case.state == "submitted"


def test_a_bulk_change_offers_only_statuses_the_role_can_reach(council, report, staff_client):
    report()
    agent = staff_client("agent").get("/staff/cases/").content.decode()
    supervisor = staff_client("supervisor").get("/staff/cases/").content.decode()

    def offered(page):
        select = page.split('id="bulk-to-state"')[1].split("</select>")[0]
        return set(re.findall(r'<option value="([a-z_]+)"', select))

    assert "fixed" in offered(agent) and "rejected" not in offered(agent)
    assert {"fixed", "rejected"} <= offered(supervisor)
