from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from townsquare.accounts.models import ApiKey, Membership, SecondFactor
from townsquare.accounts.services import api_key_authenticate
from townsquare.core.models import Event
from townsquare.councils.models import Area, Council, Team

pytestmark = pytest.mark.django_db


def geojson(data) -> SimpleUploadedFile:
    return SimpleUploadedFile("x.geojson", json.dumps(data).encode(), "application/geo+json")


def test_only_admins_reach_the_settings_and_the_audit(council, staff_client):
    supervisor = staff_client("supervisor")
    for url in (
        "/staff/admin/teams",
        "/staff/admin/staff",
        "/staff/admin/api-keys",
        "/staff/admin/branding",
        "/staff/admin/areas",
        "/staff/audit/",
        "/staff/audit/export.csv",
    ):
        assert supervisor.get(url).status_code == 403, url
    admin = staff_client("council_admin")
    for url in (
        "/staff/admin/teams",
        "/staff/admin/staff",
        "/staff/admin/api-keys",
        "/staff/admin/branding",
        "/staff/admin/areas",
        "/staff/audit/",
    ):
        assert admin.get(url).status_code == 200, url


def test_teams(council, staff_client):
    admin = staff_client("council_admin")
    assert admin.post("/staff/admin/teams", {"code": "parks", "name": "Parks"}).status_code == 302
    assert Team.objects.filter(council=council, code="parks", name="Parks").exists()
    bad = admin.post("/staff/admin/teams", {"code": "Bad Code", "name": ""})
    assert bad.status_code == 400 and "Enter a code of lower-case" in bad.content.decode()


def test_staff_members_roles_and_reset(council, other_council, staff_client):
    admin = staff_client("council_admin")
    response = admin.post(
        "/staff/admin/staff",
        {"op": "add", "email": "New@Testshire.test", "full_name": "New Person", "role": "agent"},
    )
    assert response.status_code == 302
    page = admin.get("/staff/admin/staff").content.decode()
    password = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    membership = Membership.objects.get(user__email="new@testshire.test")
    assert membership.user.check_password(password)
    admin.post(
        "/staff/admin/staff", {"op": "change", "user": membership.user_id, "role": "supervisor"}
    )
    membership.refresh_from_db()
    assert membership.role == "supervisor"
    # A team of another council is refused.
    foreign = Team.objects.filter(council=other_council).first()
    refused = admin.post(
        "/staff/admin/staff",
        {"op": "change", "user": membership.user_id, "role": "agent", "team": foreign.id},
    )
    assert refused.status_code == 400
    # Admins cannot lock themselves out.
    refused = admin.post(
        "/staff/admin/staff", {"op": "change", "user": admin.user.pk, "role": "agent"}
    )
    assert "own admin role" in refused.content.decode()
    factories.make_staff_signed_in(council, "agent", email="lost@testshire.test")
    lost = Membership.objects.get(user__email="lost@testshire.test")
    admin.post("/staff/admin/staff", {"op": "reset", "user": lost.user_id})
    assert not SecondFactor.objects.filter(user_id=lost.user_id).exists()
    admin.post("/staff/admin/staff", {"op": "remove", "user": lost.user_id})
    assert not Membership.objects.filter(pk=lost.pk).exists()
    assert Event.objects.filter(kind="membership.removed", council_id=council.id).exists()
    # Someone of another council cannot be touched.
    outsider, _ = factories.make_staff(other_council, "agent", email="out@otherby.test")
    admin.post("/staff/admin/staff", {"op": "remove", "user": outsider.pk})
    assert Membership.objects.filter(user=outsider).exists()
    # A team that does not exist is refused with a message, not a failure.
    missing = admin.post(
        "/staff/admin/staff",
        {"op": "change", "user": membership.user_id, "role": "agent", "team": 987654},
    )
    assert missing.status_code == 400 and "Choose one of the council" in missing.content.decode()


def test_an_admin_cannot_reset_the_authenticator_of_someone_from_another_council(
    council, other_council, staff_client
):
    from townsquare.accounts.services import membership_set

    admin = staff_client("council_admin")
    both, _ = factories.make_staff_signed_in(council, "agent", email="both@testshire.test")
    membership_set(user=both, council_id=other_council.id, role="council_admin")
    refused = admin.post("/staff/admin/staff", {"op": "reset", "user": both.pk})
    assert refused.status_code in (400, 403)
    assert "ask a platform admin" in refused.content.decode()
    assert SecondFactor.objects.filter(user_id=both.pk).exists()
    # A platform admin can.
    from townsquare.accounts.models import User

    User.objects.filter(pk=admin.user.pk).update(is_platform_admin=True)
    admin.post("/staff/admin/staff", {"op": "reset", "user": both.pk})
    assert not SecondFactor.objects.filter(user_id=both.pk).exists()


# The create form as it comes with its defaults chosen.
NEW_KEY = {"op": "create", "key_type": "live", "scopes": ["read_public"], "expiry": "365"}


def test_api_keys(council, staff_client):
    admin = staff_client("council_admin")
    admin.post("/staff/admin/api-keys", {**NEW_KEY, "name": "FixMyStreet"})
    page = admin.get("/staff/admin/api-keys").content.decode()
    raw = re.search(r'id="new-api-key">([^<]+)<', page).group(1)
    assert api_key_authenticate(raw=raw) is not None
    assert raw not in admin.get("/staff/admin/api-keys").content.decode()  # shown once
    key = ApiKey.objects.get(council=council)
    admin.post("/staff/admin/api-keys", {"op": "revoke", "key": key.id})
    assert api_key_authenticate(raw=raw) is None


def test_branding(council, staff_client):
    admin = staff_client("council_admin")
    admin.post("/staff/admin/branding", {"colour": "#00703C", "website": ""})
    council.refresh_from_db()
    assert council.branding["colour"] == "#00703c"
    bad = admin.post("/staff/admin/branding", {"colour": "red; background: url(x)"})
    assert bad.status_code == 400 and "six hexadecimal digits" in bad.content.decode()


def test_areas_and_boundary_upload_is_validated(council, staff_client):
    admin = staff_client("council_admin")
    good = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "north", "name": "North ward"},
                "geometry": factories.square(-2.0, 51.5, -1.0, 52.0),
            }
        ],
    }
    assert (
        admin.post("/staff/admin/areas", {"op": "areas", "areas": geojson(good)}).status_code == 302
    )
    assert Area.objects.filter(council=council, code="north").exists()
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "No code"},
                "geometry": factories.square(-2.0, 51.5, -1.0, 52.0),
            },
            {
                "type": "Feature",
                "properties": {"code": "far", "name": "Far away"},
                "geometry": factories.square(10.0, 10.0, 11.0, 11.0),
            },
            {
                "type": "Feature",
                "properties": {"code": "pt", "name": "A point"},
                "geometry": {"type": "Point", "coordinates": [-1.5, 51.5]},
            },
        ],
    }
    response = admin.post("/staff/admin/areas", {"op": "areas", "areas": geojson(bad)})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Feature 1 (No code): no “code” property" in text
    assert "Feature 2 (Far away): it lies outside" in text
    assert "Feature 3 (A point)" in text and "Point" in text
    not_json = admin.post(
        "/staff/admin/areas",
        {"op": "boundary", "boundary": SimpleUploadedFile("b.geojson", b"{not json")},
    )
    assert not_json.status_code == 400 and "not GeoJSON" in not_json.content.decode()
    admin.post(
        "/staff/admin/areas",
        {"op": "boundary", "boundary": geojson(factories.square(-2.5, 51, -1, 52))},
    )
    assert Council.objects.get(pk=council.pk).min_lng == -2.5
    assert "<svg" in admin.get("/staff/admin/areas").content.decode()


def test_audit_filters_and_csv_is_neutralised(council, report, staff_client):
    admin = staff_client("council_admin")
    agent = staff_client("agent")
    case, other = report(), report()
    agent.post(f"/staff/cases/{case.reference}/note", {"note": '=HYPERLINK("http://x")'})
    admin.post(f"/staff/cases/{other.reference}/note", {"note": "plain"})
    page = admin.get(f"/staff/audit/?case={case.reference}").content.decode()
    assert "case.internal_note" in page and "case.created" in page
    assert "plain" not in page
    by_agent = admin.get(f"/staff/audit/?person={agent.user.pk}").content.decode()
    assert "HYPERLINK" in by_agent and "plain" not in by_agent
    assert admin.get("/staff/audit/?from=yesterday").status_code == 400

    response = admin.get(f"/staff/audit/export.csv?case={case.reference}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id"
    details = [r[-1] for r in rows[1:]]
    assert any(d.startswith("note: =HYPERLINK") for d in details)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_neutralise():
    from townsquare.staff.audit import neutralise

    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+44") == "'+44"
    assert neutralise("-2") == "'-2"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("safe") == "safe"


def test_the_audit_shows_its_staffs_sign_ins_and_refusals_and_filters_by_date(
    council, other_council, staff_client
):
    from django.test import Client

    from townsquare.core import clock

    admin = staff_client("council_admin")
    agent, _ = factories.make_staff_signed_in(council, "agent", email="agent2@testshire.test")
    outsider, _ = factories.make_staff_signed_in(other_council, "agent", email="out@otherby.test")
    for email in (agent.email, outsider.email, "nobody@testshire.test"):
        Client().post("/staff/sign-in", {"email": email, "password": "wrong"})
    page = admin.get(f"/staff/audit/?person={agent.pk}&kind=staff").content.decode()
    assert "staff.sign_in_refused" in page
    everything = admin.get("/staff/audit/").content.decode()
    assert "staff.signed_in" in everything  # the admin's own sign-in
    assert "out@otherby.test" not in everything and "nobody@" not in everything
    refused = Event.objects.get(kind="staff.sign_in_refused", stream_id=agent.pk)
    assert refused.payload == {"user_id": agent.pk, "step": "password", "locked": False}

    today = clock.now().date()
    tomorrow = today.fromordinal(today.toordinal() + 1)
    assert (
        "staff.sign_in_refused"
        in admin.get(
            f"/staff/audit/?from={today.isoformat()}&to={today.isoformat()}"
        ).content.decode()
    )
    assert (
        "staff.sign_in_refused"
        not in admin.get(f"/staff/audit/?from={tomorrow.isoformat()}").content.decode()
    )


def test_api_keys_show_when_they_were_last_used(council, staff_client):
    from django.utils import timezone

    admin = staff_client("council_admin")
    admin.post("/staff/admin/api-keys", {**NEW_KEY, "name": "FixMyStreet"})
    raw = re.search(
        r'id="new-api-key">([^<]+)<', admin.get("/staff/admin/api-keys").content.decode()
    ).group(1)
    assert re.search(
        r"FixMyStreet.*?Never", admin.get("/staff/admin/api-keys").content.decode(), re.S
    )
    # A client system uses it (an Open311 request with the key).
    admin.get("/open311/v2/requests.json", {"api_key": raw})
    api_key_authenticate(raw=raw)
    used = ApiKey.objects.get(council=council, name="FixMyStreet").last_used_at
    assert used is not None
    shown = timezone.localtime(used).strftime("%-d %b %Y")
    page = admin.get("/staff/admin/api-keys").content.decode()
    assert re.search(rf"FixMyStreet.*?{shown}", page, re.S)


def test_the_audit_names_people_and_teams(council, report, staff_client):
    from townsquare.councils.models import Team

    admin = staff_client("council_admin")
    case = report()
    education = Team.objects.get(council=council, code="education")
    admin.post(
        f"/staff/cases/{case.reference}/assign",
        {"team": education.id, "assignee": "me", "revision": case.revision},
    )
    page = admin.get(f"/staff/audit/?case={case.reference}").content.decode()
    assert f"team: Education (#{education.id})" in page
    assert f"assigned to: {admin.user.full_name} (#{admin.user.pk})" in page


def test_public_pages_are_edited_by_council_admins_and_audited(council, staff_client):
    assert staff_client("supervisor").get("/staff/admin/public-pages").status_code == 403
    admin = staff_client("council_admin")
    page = admin.get("/staff/admin/public-pages").content.decode()
    assert "Emergency phone number" in page and "Date the site was last tested" in page
    bad = admin.post(
        "/staff/admin/public-pages",
        {"emergency_phone": "call me", "phase": "beta", "accessibility_compliance": "partial"},
    )
    assert bad.status_code == 400
    assert 'href="#public_emergency_phone"' in bad.content.decode()
    saved = admin.post(
        "/staff/admin/public-pages",
        {
            "emergency_phone": "0117 496 0999",
            "accessibility_tested_on": "2026-11-30",
            "dpo_contact": "dpo@testshire.example",
            "phase": "alpha",
            "accessibility_compliance": "partial",
        },
    )
    assert saved.status_code == 302
    council.refresh_from_db()
    assert council.settings["public_pages"]["emergency_phone"] == "0117 496 0999"
    event = Event.objects.filter(kind="council.public_pages_set", council_id=council.id).get()
    assert event.actor_user_id == admin.user.id
    assert "0117 496 0999" in admin.get("/staff/admin/public-pages").content.decode()


def test_a_case_that_is_not_there_is_the_staff_404_with_the_view_s_reason(council, staff_client):
    response = staff_client("agent").get("/staff/cases/TST-26-999999")
    assert response.status_code == 404
    page = response.content.decode()
    assert "No such case" in page and "Go to the staff home" in page and "ts-staff" in page
