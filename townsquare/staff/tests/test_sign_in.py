from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.test import Client

from tests import factories
from townsquare.accounts import policies
from townsquare.accounts.models import SecondFactor
from townsquare.accounts.services import membership_set, user_ensure
from townsquare.core.models import Event

pytestmark = pytest.mark.django_db

WRONG = "Enter a correct email address and password"


def _password(client: Client, email: str, password: str = factories.STAFF_PASSWORD):
    return client.post("/staff/sign-in", {"email": email, "password": password})


def test_staff_pages_send_strangers_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in?next=%2Fstaff%2F"


def test_password_then_code_signs_in_and_is_audited(client, council):
    user, _ = factories.make_staff_signed_in(council, "agent")
    response = _password(client, user.email)
    assert response["Location"] == "/staff/sign-in/code"
    # Only the password: not signed in yet.
    assert client.get("/staff/").status_code == 302
    response = client.post(
        "/staff/sign-in/code", {"code": pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()}
    )
    assert response["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Testshire Council" in page.content.decode()
    assert page["Cache-Control"] == "no-store, private"
    event = Event.objects.get(kind="staff.signed_in")
    assert event.actor_user_id == user.pk and event.payload["method"] == "totp"


def test_unknown_and_known_accounts_get_the_same_answer(client, council):
    user, _ = factories.make_staff_signed_in(council, "agent")
    known = _password(client, user.email, "wrong-password")
    unknown = _password(client, "nobody@testshire.test", "wrong-password")
    assert known.status_code == unknown.status_code == 400
    strip = lambda r: (  # noqa: E731
        r.content.decode().replace(user.email, "X").replace("nobody@testshire.test", "X")
    )
    assert WRONG in strip(known)
    assert re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", strip(known)) == re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', "", strip(unknown)
    )


def test_citizens_cannot_use_the_staff_sign_in(client, council):
    user_ensure(email="citizen@example.com", password=factories.STAFF_PASSWORD)
    response = _password(client, "citizen@example.com")
    assert response.status_code == 400 and WRONG in response.content.decode()


def test_a_code_cannot_be_used_twice(council):
    user, _ = factories.make_staff_signed_in(council, "agent")
    code = pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()
    for expected in (302, 400):
        client = Client()
        _password(client, user.email)
        assert client.post("/staff/sign-in/code", {"code": code}).status_code == expected


def test_first_sign_in_sets_up_the_authenticator_and_recovery_codes_work_once(council):
    user, _ = factories.make_staff(council, "supervisor")
    client = Client()
    response = _password(client, user.email)
    assert response["Location"] == "/staff/sign-in/set-up-authenticator"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/staff/sign-in/set-up-authenticator", {"code": "123456"}).status_code == 400
    response = client.post(
        "/staff/sign-in/set-up-authenticator", {"code": pyotp.TOTP(secret).now()}
    )
    assert response["Location"] == "/staff/account/recovery-codes"
    page = client.get("/staff/account/recovery-codes").content.decode()
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(codes) == 10
    # Shown once only.
    assert codes[0] not in client.get("/staff/account/recovery-codes").content.decode()
    stored = SecondFactor.objects.get(user=user)
    assert codes[0] not in str(stored.recovery_code_hashes)

    other = Client()
    _password(other, user.email)
    response = other.post("/staff/sign-in/code", {"code": codes[0].upper()})
    assert response["Location"] == "/staff/"
    assert "You have 9 left" in other.get("/staff/").content.decode()
    again = Client()
    _password(again, user.email)
    assert again.post("/staff/sign-in/code", {"code": codes[0]}).status_code == 400


def test_idle_sessions_expire(council, staff_client):
    client = staff_client("agent")
    assert client.get("/staff/").status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    from unittest import mock

    with mock.patch("townsquare.core.clock.now", return_value=later):
        response = client.get("/staff/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because your session ended" in page
    assert client.get("/staff/").status_code == 302


def test_sign_out(staff_client):
    client = staff_client("agent")
    response = client.post("/staff/sign-out")
    assert response["Location"] == "/staff/sign-in?signed_out=1"
    assert client.get("/staff/").status_code == 302


def test_council_switcher_lists_only_the_members_councils(council, other_council, staff_client):
    client = staff_client("agent")
    page = client.get("/staff/").content.decode()
    assert "council-switcher" not in page
    membership_set(user=client.user, council_id=other_council.id, role="supervisor")
    page = client.get("/staff/").content.decode()
    assert "Otherby Council" in page and "council-switcher" in page
    client.post("/staff/council", {"council": other_council.id, "next": "/staff/"})
    page = client.get("/staff/").content.decode()
    assert '<span class="govuk-caption-l">Otherby Council' in page
    stranger = factories.make_council("thirdham", prefix="THD", bounds=(1.0, 51.0, 2.0, 52.0))
    client.post("/staff/council", {"council": stranger.id})
    assert "Thirdham" not in client.get("/staff/").content.decode()


def test_the_decorator_enforces_the_policy_in_the_current_council(rf, council, staff_client):
    from townsquare.staff.access import staff_view

    @staff_view(policies.can_administer_council)
    def admin_only(request):
        from django.http import HttpResponse

        return HttpResponse("secret admin page")

    agent = staff_client("agent")
    admin = staff_client("council_admin")
    for client, expected in ((agent, 403), (admin, 200)):
        request = rf.get("/staff/admin-only")
        request.session = client.session
        request.user = client.user
        response = admin_only(request)
        assert response.status_code == expected
