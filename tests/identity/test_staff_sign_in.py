"""Staff sign in with their council's own provider (the local one): no Townsquare password,
roles from the provider's groups at every sign-in, TOTP as the council's admin chooses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.identity_provider import council_provider_set
from townsquare.accounts.models import Membership, User
from townsquare.accounts.services import membership_set
from townsquare.core.models import Event


def _sign_in(client, provider, council, account):
    started = client.get(f"/staff/sign-in/provider/{council.id}")
    assert started.status_code == 302, started.content[:300]
    back = urlsplit(provider.sign_in(started["Location"], account))
    assert back.path == "/staff/sign-in/provider/return"
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def _refusal(reason):
    event = Event.objects.filter(kind="identity.sign_in_refused").order_by("-id").first()
    assert event is not None and event.payload["reason"] == reason, event.payload if event else None


@pytest.mark.django_db
def test_an_officer_signs_in_without_a_townsquare_password(client, identity_provider, council):
    council_provider_set(council, identity_provider)
    page = client.get("/staff/sign-in").content.decode()
    assert "Testshire staff account (demo)" in page
    response = _sign_in(client, identity_provider, council, "bristol-officer")
    assert response.status_code == 302 and response["Location"].startswith("/staff/")
    user = User.objects.get(email="ola.officer@bristol.example")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, council=council).role == "agent"
    assert client.get("/staff/").status_code == 200
    event = Event.objects.get(kind="identity.signed_in")
    assert event.payload["provider"] == f"council-{council.id}"


@pytest.mark.django_db
def test_groups_decide_the_role_and_a_leaver_loses_access_at_the_next_sign_in(
    client, identity_provider, council
):
    row = council_provider_set(council, identity_provider)
    assert _sign_in(client, identity_provider, council, "bristol-officer").status_code == 302
    user = User.objects.get(email="ola.officer@bristol.example")
    client.logout()
    # The officer leaves the group at the provider (here: the group no longer maps to a role).
    row.group_roles = {"townsquare-supervisors": "supervisor"}
    row.save()
    response = _sign_in(client, identity_provider, council, "bristol-officer")
    assert response.status_code == 400
    assert "not in a group" in response.content.decode()
    _refusal("no_role")
    assert not Membership.objects.filter(user=user).exists()
    assert Event.objects.filter(kind="membership.removed", council_id=council.id).exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_someone_in_no_mapped_group_is_refused(client, identity_provider, council):
    council_provider_set(council, identity_provider)
    response = _sign_in(client, identity_provider, council, "bristol-leaver")
    assert response.status_code == 400
    _refusal("no_role")
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_the_council_can_still_require_totp(client, identity_provider, council):
    council_provider_set(council, identity_provider, totp_required=True)
    response = _sign_in(client, identity_provider, council, "bristol-supervisor")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in/set-up-authenticator"
    assert "_auth_user_id" not in client.session  # not signed in until the second factor
    user = User.objects.get(email="sid.supervisor@bristol.example")
    assert Membership.objects.get(user=user).role == "supervisor"


@pytest.mark.django_db
def test_one_councils_provider_cannot_open_another_councils_account(
    client, identity_provider, council, other_council
):
    council_provider_set(council, identity_provider)
    user = User.objects.create_user("ola.officer@bristol.example", "a-long-password")
    membership_set(user=user, council_id=other_council.id, role="council_admin")
    response = _sign_in(client, identity_provider, council, "bristol-officer")
    assert response.status_code == 400
    _refusal("other_council_account")
    assert not Membership.objects.filter(council=council).exists()


@pytest.mark.django_db
def test_a_group_moved_to_another_role_changes_the_role_at_the_next_sign_in(
    client, identity_provider, council
):
    row = council_provider_set(council, identity_provider)
    _sign_in(client, identity_provider, council, "bristol-officer")
    user = User.objects.get(email="ola.officer@bristol.example")
    assert Membership.objects.get(user=user).role == "agent"
    client.post("/staff/sign-out")
    row.group_roles = {"townsquare-agents": "supervisor"}
    row.save()
    assert _sign_in(client, identity_provider, council, "bristol-officer").status_code == 302
    assert Membership.objects.get(user=user).role == "supervisor"
    changed = Event.objects.filter(kind="membership.set", council_id=council.id).order_by("-id")
    assert changed.first().payload["role"] == "supervisor"


@pytest.mark.django_db
def test_signing_out_is_audited_and_ends_the_provider_session(client, identity_provider, council):
    from townsquare.accounts.models import ProviderSession

    council_provider_set(council, identity_provider)
    _sign_in(client, identity_provider, council, "bristol-officer")
    assert ProviderSession.objects.get().session_key == client.session.session_key
    response = client.post("/staff/sign-out")
    assert response.status_code == 302
    event = Event.objects.get(kind="identity.signed_out")
    assert event.payload["how"] == "here" and event.council_id == council.id
    assert event.payload["provider"] == f"council-{council.id}"
    assert not ProviderSession.objects.exists()
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
def test_with_totp_the_provider_session_follows_the_signed_in_session(
    client, identity_provider, council
):
    import pyotp

    from tests import factories
    from townsquare.accounts.models import ProviderSession
    from townsquare.accounts.signin import second_factor_set

    council_provider_set(council, identity_provider, totp_required=True)
    officer = User.objects.create_user("ola.officer@bristol.example", None)
    second_factor_set(user=officer, secret=factories.STAFF_TOTP_SECRET)
    response = _sign_in(client, identity_provider, council, "bristol-officer")
    assert response["Location"] == "/staff/sign-in/code"
    done = client.post(
        "/staff/sign-in/code", {"code": pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()}
    )
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert ProviderSession.objects.get().session_key == client.session.session_key
