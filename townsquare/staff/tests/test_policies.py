"""Each role can do exactly what it should, in every council it belongs to and no other."""

from __future__ import annotations

import pytest

from townsquare.accounts.services import membership_set
from townsquare.cases.models import Case

pytestmark = pytest.mark.django_db

PAGES = {
    # url: the lowest role that may open it
    "/staff/": "agent",
    "/staff/cases/": "agent",
    "/staff/cases/workload": "agent",
    "/staff/services/": "council_admin",
    "/staff/services/new": "council_admin",
    "/staff/admin/teams": "council_admin",
    "/staff/admin/staff": "council_admin",
    "/staff/admin/api-keys": "council_admin",
    "/staff/admin/branding": "council_admin",
    "/staff/admin/areas": "council_admin",
    "/staff/audit/": "council_admin",
}
RANK = {"agent": 1, "supervisor": 2, "council_admin": 3}


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_pages_by_role(council, staff_client, role):
    client = staff_client(role)
    for url, lowest in PAGES.items():
        expected = 200 if RANK[role] >= RANK[lowest] else 403
        assert client.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_case_actions_by_role(council, report, staff_client, role):
    client = staff_client(role)
    case, original = report(), report(lat=51.5001, lng=-1.7501)
    # Everyone handles cases: notes, updates, assignment, agent transitions.
    assert client.post(f"/staff/cases/{case.reference}/note", {"note": "seen"}).status_code == 302
    assert (
        client.post(
            f"/staff/cases/{case.reference}/transition", {"to_state": "in_progress"}
        ).status_code
        == 302
    )
    # "Not ours" and merging are for supervisors and above.
    allowed = RANK[role] >= RANK["supervisor"]
    response = client.post(
        f"/staff/cases/{original.reference}/transition", {"to_state": "rejected"}
    )
    assert response.status_code == (302 if allowed else 403)
    other = report(lat=51.4, lng=-1.6)
    response = client.post(f"/staff/cases/{other.reference}/merge", {"original": case.reference})
    assert response.status_code == (302 if allowed else 403)


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_nothing_of_another_council(council, other_council, report, staff_client, role):
    client = staff_client(role)
    theirs = report(lat=51.5, lng=0.5, target=other_council)
    assert client.get(f"/staff/cases/{theirs.reference}").status_code == 404
    assert client.post(f"/staff/cases/{theirs.reference}/note", {"note": "x"}).status_code == 404
    client.post(
        "/staff/cases/bulk",
        {"case": [theirs.reference], "action": "transition", "to_state": "fixed"},
    )
    page = client.get("/staff/cases/bulk/result").content.decode()
    assert "No such case in this council" in page
    assert Case.objects.get(pk=theirs.pk).is_open
    # Switching to a council one does not belong to does nothing.
    client.post("/staff/council", {"council": other_council.id})
    assert other_council.name not in client.get("/staff/").content.decode()


def test_roles_follow_the_current_council(council, other_council, staff_client):
    """An agent here and an admin there builds services only while working there."""
    client = staff_client("agent")
    membership_set(user=client.user, council_id=other_council.id, role="council_admin")
    client.post("/staff/council", {"council": council.id})
    assert client.get("/staff/services/").status_code == 403
    client.post("/staff/council", {"council": other_council.id})
    page = client.get("/staff/services/")
    assert page.status_code == 200 and "Otherby" in page.content.decode()
    client.post("/staff/council", {"council": council.id})
    assert client.get("/staff/audit/").status_code == 403


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_reporter_contact_details_by_role_and_assignment(council, report, staff_client, role):
    """Everyone sees who reported; contact details are for supervisors and admins, and for
    the agent (or the agent's team) the case is assigned to."""
    from townsquare.accounts.models import Membership

    case = report()
    client = staff_client(role)
    url = f"/staff/cases/{case.reference}"
    page = client.get(url).content.decode()
    assert "Sam Reporter" in page
    assert ("sam@example.org" in page) == (RANK[role] >= RANK["supervisor"])
    if role == "agent":
        # Through the team the case is routed to...
        teammate = staff_client("agent", email="teammate@testshire.test")
        Membership.objects.filter(user=teammate.user, council=council).update(team=case.team)
        assert "sam@example.org" in teammate.get(url).content.decode()
        # ... or by taking it on.
        client.post(
            f"{url}/assign", {"team": case.team_id, "assignee": "me", "revision": case.revision}
        )
        assert "sam@example.org" in client.get(url).content.decode()


WRITES = [
    # (url, form): changes only council admins may make
    ("/staff/admin/teams", {"code": "parks", "name": "Parks"}),
    (
        "/staff/admin/api-keys",
        {
            "op": "create",
            "name": "FixMyStreet",
            "key_type": "live",
            "scopes": ["read_public"],
            "expiry": "365",
        },
    ),
    (
        "/staff/admin/staff",
        {"op": "add", "email": "new@testshire.test", "full_name": "New", "role": "agent"},
    ),
    (
        "/staff/services/new",
        {"start": "scratch", "name": "Bench", "code": "bench", "kind": "report"},
    ),
]


@pytest.mark.parametrize("role", ["agent", "supervisor", "council_admin"])
def test_admin_writes_by_role(council, staff_client, role):
    client = staff_client(role)
    for url, form in WRITES:
        response = client.post(url, form)
        expected = (302,) if role == "council_admin" else (403,)
        assert response.status_code in expected, (role, url, response.status_code)


def test_an_admin_here_and_an_agent_there_writes_only_here(council, other_council, staff_client):
    client = staff_client("council_admin")
    membership_set(user=client.user, council_id=other_council.id, role="agent")
    client.post("/staff/council", {"council": other_council.id})
    for url, form in WRITES:
        assert client.post(url, form).status_code == 403, url
    client.post("/staff/council", {"council": council.id})
    assert client.post(*WRITES[0]).status_code == 302
    from townsquare.councils.models import Team

    assert Team.objects.filter(code="parks", council=council).exists()
    assert not Team.objects.filter(code="parks", council=other_council).exists()


def test_a_platform_admin_works_in_every_council(council, other_council, staff_client):
    from tests import factories
    from townsquare.accounts.models import User

    user, _ = factories.make_staff_signed_in(council, "agent", email="platform@x.test")
    User.objects.filter(pk=user.pk).update(is_platform_admin=True)
    from django.test import Client

    from townsquare.staff.tests.conftest import sign_in

    client = Client()
    sign_in(client, user.email)
    for target in (council, other_council):
        client.post("/staff/council", {"council": target.id})
        assert client.get("/staff/audit/").status_code == 200
        assert target.name in client.get("/staff/").content.decode()


def test_an_applications_documents_are_for_those_handling_it(council, report, staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from townsquare.cases.models import Attachment

    case = report(service_code="school_transport", values={"child_name": "Alex", "sen": "no"})
    supervisor, agent = staff_client("supervisor"), staff_client("agent")
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
        b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    response = supervisor.post(
        f"/staff/cases/{case.reference}/attach",
        {"file": SimpleUploadedFile("proof.pdf", pdf, content_type="application/pdf")},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    document = Attachment.objects.get(case=case)
    url = f"/staff/cases/{case.reference}/files/{document.id}"
    assert supervisor.get(url).status_code == 200
    assert agent.get(url).status_code == 404
    assert 'id="documents-hidden"' in agent.get(f"/staff/cases/{case.reference}").content.decode()
    # The file keeps the name it was sent with, not "Document 1".
    assert document.original_name == "proof.pdf"
    page = supervisor.get(f"/staff/cases/{case.reference}").content.decode()
    assert ">proof.pdf (PDF, internal)</a>" in page and "Document 1" not in page


def test_private_answers_only_for_those_handling_the_case(council, report, staff_client):
    """The page shows what cases.selectors.case_view_for lets through (ADR 24, ADR 85)."""
    from tests import factories
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    template_publish(
        council=council,
        actor=Actor.system("tests"),
        document=factories.template(
            code="noise",
            name="Noise",
            fields=[
                {
                    "code": "flat",
                    "label": "Your flat number",
                    "datatype": "string",
                    "order": 1,
                    "private": True,
                }
            ],
        ),
    )
    case = report(service_code="noise", values={"flat": "Flat 3"})
    url = f"/staff/cases/{case.reference}"
    agent_page = staff_client("agent").get(url).content.decode()
    assert "Your flat number" in agent_page and "Flat 3" not in agent_page
    assert "Shown to the team or person the case is assigned to" in agent_page
    assert "Flat 3" in staff_client("supervisor").get(url).content.decode()
