"""Anyone can follow a public request by its reference, without JavaScript."""

from __future__ import annotations

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.services import (
    Reporter,
    case_add_internal_note,
    case_create,
    case_post_public_update,
    case_transition,
)
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(council):
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        address="Outside 4 Mill Lane",
        description="Deep <b>hole</b>",
        reporter=Reporter(email="private@example.org", name="Pat Private"),
    )


def test_track_shows_status_and_the_public_timeline_only(client, report, agent):
    case_post_public_update(case=report, actor=agent, message="Booked for Tuesday")
    case_add_internal_note(case=report, actor=agent, note="Secret staff note")
    case_transition(case=report, to_state="fixed", actor=agent, message="Filled in")
    response = client.get(f"/track/{report.reference}")
    body = response.content.decode()
    assert response.status_code == 200
    assert report.reference in body and "Testshire Council" in body
    assert "Fixed" in body and "Booked for Tuesday" in body and "Filled in" in body
    assert "Outside 4 Mill Lane" in body
    assert "Deep &lt;b&gt;hole&lt;/b&gt;" in body  # escaped, not markup
    assert "Secret staff note" not in body
    assert "private@example.org" not in body and "Pat Private" not in body


def test_finding_by_reference(client, report):
    assert client.get("/track").status_code == 200
    response = client.get("/track", {"reference": report.reference.lower()})
    assert response.status_code == 302 and response["Location"] == f"/track/{report.reference}"
    bad = client.get("/track", {"reference": "<script>alert(1)</script>"})
    assert bad.status_code == 400
    assert "Enter a reference like" in bad.content.decode()
    assert "<SCRIPT>ALERT(1)" not in bad.content.decode()  # echoed back escaped only
    assert "&lt;SCRIPT&gt;ALERT(1)" in bad.content.decode()


def test_unknown_and_private_requests_are_not_found(client, council):
    application = case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=council,
        values={"child_name": "Sam", "sen": "no"},
    )
    for reference in ("TST-26-999999", application.reference):
        response = client.get(f"/track/{reference}")
        assert response.status_code == 404
        assert "We cannot find a request" in response.content.decode()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_public_photo_is_served_on_its_track_page_and_a_hidden_one_never(client, report, agent):
    from townsquare.cases.services import case_attach_file

    shown = case_attach_file(case=report, actor=agent, data=_png(), name="hole.png", is_public=True)
    hidden = case_attach_file(case=report, actor=agent, data=_png(), name="plate.png")
    page = client.get(f"/track/{report.reference}").content.decode()
    url = f"/track/{report.reference}/photos/{shown.id}"
    assert f'src="{url}"' in page
    assert f"/photos/{hidden.id}" not in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert response["Cache-Control"] == "public, max-age=600"
    assert b"".join(response.streaming_content).startswith((b"\x89PNG", b"\xff\xd8"))
    assert client.get(f"/track/{report.reference}/photos/{hidden.id}").status_code == 404
    # A photo is only found under its own case's reference.
    other = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    assert client.get(f"/track/{other.reference}/photos/{shown.id}").status_code == 404


def test_a_private_cases_photo_is_not_served(client, council, agent):
    from townsquare.cases.models import Attachment
    from townsquare.cases.services import case_attach_file

    application = case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=council,
        values={"child_name": "Sam", "sen": "no"},
    )
    attachment = case_attach_file(case=application, actor=agent, data=_png(), name="a.png")
    Attachment.objects.filter(id=attachment.id).update(is_public=True)  # even if marked so
    response = client.get(f"/track/{application.reference}/photos/{attachment.id}")
    assert response.status_code == 404
