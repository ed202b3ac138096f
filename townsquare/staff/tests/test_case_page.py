from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from townsquare.cases.models import Case, CaseLink
from townsquare.core.models import Event

pytestmark = pytest.mark.django_db


def test_case_page_shows_everything(council, report, staff_client):
    case = report()
    client = staff_client("agent")
    page = client.get(f"/staff/cases/{case.reference}").content.decode()
    assert "How deep?" in page and "Deep" in page
    assert "Sam Reporter" in page and "sam@example.org" not in page  # not theirs yet
    assert "West ward" in page and "<svg" in page  # the map with the ward
    assert "Reported" in page
    # The agent is offered the agent transitions only.
    assert "In progress" in page and "Fixed" in page
    assert "Not ours" not in page
    assert "Merge as a duplicate" not in page
    # Delivery status of messages about the case (none here: messaging is off in tests).
    assert "Messages sent about this case" in page


def test_transition_public_update_note_and_timeline(council, report, staff_client):
    case = report()
    client = staff_client("agent")
    url = f"/staff/cases/{case.reference}"
    response = client.post(
        f"{url}/transition", {"to_state": "in_progress", "message": "", "revision": case.revision}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress"
    client.post(f"{url}/update", {"message": "Crew booked for Tuesday", "revision": case.revision})
    client.post(f"{url}/note", {"note": "Ask Pat about the cones"})
    page = client.get(url).content.decode()
    assert "Crew booked for Tuesday" in page and "Ask Pat about the cones" in page
    timeline = client.get(f"{url}?fragment=timeline").content.decode()
    assert "<html" not in timeline
    assert re.search(r"Internal note.*Internal", timeline, re.S)
    assert re.search(r"Public update.*Public", timeline, re.S)
    assert Event.objects.filter(stream_id=case.id, kind="case.internal_note").count() == 1


def test_disallowed_transition_is_refused_with_a_reason(council, report, staff_client):
    case = report()
    client = staff_client("agent")
    response = client.post(
        f"/staff/cases/{case.reference}/transition",
        {"to_state": "rejected", "revision": case.revision},
    )
    assert response.status_code == 403
    assert "Your role cannot move a case to" in response.content.decode()
    response = client.post(f"/staff/cases/{case.reference}/transition", {"revision": case.revision})
    assert response.status_code == 400
    assert "Choose what to do with the case" in response.content.decode()


def test_conflict_keeps_what_was_typed(council, report, staff_client):
    case = report()
    first, second = staff_client("agent"), staff_client("agent", email="b@testshire.test")
    seen = case.revision
    first.post(f"/staff/cases/{case.reference}/priority", {"priority": "1", "revision": seen})
    response = second.post(
        f"/staff/cases/{case.reference}/update", {"message": "We are on it", "revision": seen}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this case" in page
    assert "We are on it</textarea>" in page
    case.refresh_from_db()
    assert case.priority == 1 and case.status_notes == ""
    # The form now carries the new revision: sending again works.
    assert f'name="revision" value="{case.revision}"' in page


def test_assign_priority_attach_and_link(council, report, staff_client):
    case, other = report(), report(lat=51.2, lng=-1.8)
    client = staff_client("agent")
    url = f"/staff/cases/{case.reference}"
    client.post(
        f"{url}/assign", {"team": case.team_id, "assignee": "me", "revision": case.revision}
    )
    case.refresh_from_db()
    assert case.assignee_id == client.user.pk
    client.post(f"{url}/priority", {"priority": "2", "revision": case.revision})
    case.refresh_from_db()
    assert case.priority == 2
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    response = client.post(
        f"{url}/attach",
        {"file": SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")},
    )
    assert response.status_code == 302
    attachment = case.attachments.get()
    assert not attachment.is_public
    image = client.get(f"{url}/files/{attachment.id}")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    bad = client.post(f"{url}/attach", {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00")})
    assert bad.status_code == 400 and "must be a photo" in bad.content.decode()
    client.post(f"{url}/link", {"related": other.reference})
    assert CaseLink.objects.count() == 1
    assert other.reference in client.get(url).content.decode()
    again = client.post(f"{url}/link", {"related": other.reference})
    assert "already linked" in again.content.decode()
    missing = client.post(f"{url}/link", {"related": "NOPE-26-1"})
    assert missing.status_code == 400


def test_supervisor_merges_a_suggested_duplicate(council, report, staff_client):
    original = report()
    duplicate = report(lat=51.5001, lng=-1.7501)
    agent, supervisor = staff_client("agent"), staff_client("supervisor")
    assert (
        "Merge as a duplicate"
        not in agent.get(f"/staff/cases/{duplicate.reference}").content.decode()
    )
    assert (
        agent.post(
            f"/staff/cases/{duplicate.reference}/merge", {"original": original.reference}
        ).status_code
        == 403
    )
    page = supervisor.get(f"/staff/cases/{duplicate.reference}").content.decode()
    assert f"{original.reference}, " in page  # suggested, with its distance
    response = supervisor.post(
        f"/staff/cases/{duplicate.reference}/merge", {"original": original.reference}
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of_id == original.id and not duplicate.is_open


def test_reopen_is_a_supervisor_transition(council, report, staff_client):
    case = report()
    agent, supervisor = staff_client("agent"), staff_client("supervisor")
    agent.post(
        f"/staff/cases/{case.reference}/transition",
        {"to_state": "fixed", "revision": case.revision},
    )
    case.refresh_from_db()
    assert not case.is_open
    assert (
        "Your role cannot change this case"
        in agent.get(f"/staff/cases/{case.reference}").content.decode()
    )
    supervisor.post(
        f"/staff/cases/{case.reference}/transition",
        {"to_state": "in_progress", "revision": case.revision},
    )
    assert Case.objects.get(pk=case.pk).is_open


def test_a_reopened_case_gets_its_time_to_close_again(council, report, staff_client):
    from townsquare.core import clock

    case = report()
    agent, supervisor = staff_client("agent"), staff_client("supervisor")
    agent.post(
        f"/staff/cases/{case.reference}/transition",
        {"to_state": "fixed", "revision": case.revision},
    )
    # Closed long ago: its first time to close is long past.
    long_ago = clock.now() - dt.timedelta(days=90)
    Case.objects.filter(pk=case.pk).update(resolve_due_at=long_ago)
    case.refresh_from_db()
    supervisor.post(
        f"/staff/cases/{case.reference}/transition",
        {"to_state": "in_progress", "revision": case.revision},
    )
    case.refresh_from_db()
    assert case.is_open and case.resolve_due_at > clock.now()
    assert "Overdue" not in supervisor.get(f"/staff/cases/{case.reference}").content.decode()


def test_a_conflict_keeps_the_choices_made_and_a_team_can_be_cleared(council, report, staff_client):
    from townsquare.councils.models import Team

    case = report()
    first, second = staff_client("agent"), staff_client("agent", email="b@testshire.test")
    seen = case.revision
    first.post(f"/staff/cases/{case.reference}/priority", {"priority": "1", "revision": seen})
    other_team = Team.objects.filter(council=council).exclude(id=case.team_id).first()
    response = second.post(
        f"/staff/cases/{case.reference}/assign",
        {"team": other_team.id, "assignee": "me", "revision": seen},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert f'<option value="{other_team.id}" selected>' in page
    assert '<option value="me" selected>Me</option>' in page
    response = second.post(
        f"/staff/cases/{case.reference}/priority", {"priority": "4", "revision": seen}
    )
    assert '<option value="4" selected>' in response.content.decode()

    case.refresh_from_db()
    second.post(
        f"/staff/cases/{case.reference}/assign",
        {"team": "", "assignee": "", "revision": case.revision},
    )
    case.refresh_from_db()
    assert case.team_id is None and case.assignee_id is None


def test_a_standard_message_fills_the_public_update(council, report, staff_client):
    import copy

    from tests import factories
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    document = copy.deepcopy(factories.REPORT_TEMPLATE)
    for state in document["workflow"]["states"]:
        if state["code"] == "in_progress":
            state["message"] = "A crew is on its way."
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    case = report()
    client = staff_client("agent")
    page = client.get(f"/staff/cases/{case.reference}").content.decode()
    code = re.search(r'<option value="([a-z_]+)" data-text="([^"]+)"', page)
    assert code, "the service's standard messages are offered"
    filled = client.get(f"/staff/cases/{case.reference}?template={code.group(1)}").content.decode()
    assert f">{code.group(2)}</textarea>" in filled
