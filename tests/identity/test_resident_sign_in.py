"""Residents sign in with the local One Login-like provider, end to end over loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from townsquare.accounts.models import LinkedIdentity, User
from townsquare.core.models import Event


def _callback(client, one_login, account, **params):
    started = client.get("/sign-in/one-login", params)
    assert started.status_code == 302, started.content[:300]
    back = one_login.sign_in(started["Location"], account)
    parts = urlsplit(back)
    assert parts.path == "/sign-in/one-login/return"
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


@pytest.mark.django_db
def test_a_new_resident_signs_in_and_gets_an_account(client, one_login):
    response = _callback(client, one_login, "resident-basic")
    assert response.status_code == 303, response.content[:500]
    assert response["Location"] == "/my-requests"
    user = User.objects.get(email="sam.taylor@example.com")
    assert LinkedIdentity.objects.filter(user=user, subject="resident-basic").exists()
    assert client.session["identity.level"] == "authenticated"
    kinds = list(
        Event.objects.filter(stream="user", stream_id=user.pk).values_list("kind", flat=True)
    )
    assert "identity.linked" in kinds and "identity.signed_in" in kinds
    assert client.get("/my-requests").status_code == 200


def _refusal(reason):
    event = Event.objects.filter(kind="identity.sign_in_refused").order_by("-id").first()
    assert event is not None and event.payload["reason"] == reason, event.payload if event else None


@pytest.mark.django_db
def test_asking_for_p2_reaches_p2_for_a_checked_identity(client, one_login):
    started = client.get("/sign-in/one-login", {"level": "P2", "next": "/apply/"})
    query = parse_qs(urlsplit(started["Location"]).query)
    assert query["vtr"] == ['["Cl.Cm.P2"]']
    assert query["code_challenge_method"] == ["S256"] and query["ui_locales"] == ["en"]
    assert query["scope"] == ["openid email phone"]
    back = urlsplit(one_login.sign_in(started["Location"], "resident-p2"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 303 and response["Location"] == "/apply/"
    assert client.session["identity.level"] == "P2"
    event = Event.objects.filter(kind="identity.signed_in").get()
    assert event.payload["vot"] == "Cl.Cm.P2" and event.payload["level"] == "P2"


@pytest.mark.django_db
def test_an_unchecked_identity_is_refused_where_p2_is_needed(client, one_login):
    response = _callback(client, one_login, "resident-basic", level="P2")
    assert response.status_code == 400
    assert "prove your identity" in response.content.decode()
    _refusal("vot_too_low")
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="sam.taylor@example.com").exists()


@pytest.mark.django_db
def test_welsh_pages_ask_the_provider_for_welsh(client, one_login):
    client.cookies["django_language"] = "cy"
    started = client.get("/sign-in/one-login")
    assert parse_qs(urlsplit(started["Location"]).query)["ui_locales"] == ["cy"]


@pytest.mark.django_db
def test_a_replayed_state_is_refused(client, one_login):
    started = client.get("/sign-in/one-login")
    back = urlsplit(one_login.sign_in(started["Location"], "resident-basic"))
    params = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert client.get(back.path, params).status_code == 303
    client.logout()
    response = client.get(back.path, params)
    assert response.status_code == 400
    _refusal("no_pending_sign_in")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_authorization_request_without_pkce_is_refused_by_the_provider(client, one_login):
    started = client.get("/sign-in/one-login")
    url = started["Location"]
    without_pkce = "&".join(
        p for p in urlsplit(url).query.split("&") if not p.startswith("code_challenge")
    )
    back = urlsplit(one_login.sign_in(url.split("?")[0] + "?" + without_pkce, ""))
    params = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    response = client.get(back.path, params)
    assert response.status_code == 400
    _refusal("provider_error")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_wrong_code_verifier_is_refused_at_the_token_endpoint(client, one_login):
    started = client.get("/sign-in/one-login")
    session = client.session
    session["oidc.pending"] = {**session["oidc.pending"], "code_verifier": "x" * 60}
    session.save()
    back = urlsplit(one_login.sign_in(started["Location"], "resident-basic"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 400
    _refusal("token_refused")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_cancelling_at_the_provider_signs_nobody_in(client, one_login):
    response = _callback(client, one_login, "")
    assert response.status_code == 400
    _refusal("cancelled")


@pytest.mark.django_db
def test_an_existing_account_is_linked_only_after_signing_in_to_it(client, one_login):
    user = User.objects.create_user("sam.taylor@example.com", None)
    response = _callback(client, one_login, "resident-basic")
    assert response.status_code == 400
    assert "already have a Townsquare account" in response.content.decode()
    _refusal("link_needed")
    assert not LinkedIdentity.objects.exists()

    client.force_login(user)
    started = client.post("/sign-in/one-login/link")
    query = parse_qs(urlsplit(started["Location"]).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]  # signs in again there
    back = urlsplit(one_login.sign_in(started["Location"], "resident-basic"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 303
    assert LinkedIdentity.objects.get().user == user
    assert Event.objects.filter(kind="identity.linked", stream_id=user.pk).exists()

    client.logout()
    assert _callback(client, one_login, "resident-basic").status_code == 303
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_linking_a_one_login_with_another_email_is_refused(client, one_login):
    user = User.objects.create_user("someone.else@example.com", None)
    client.force_login(user)
    started = client.post("/sign-in/one-login/link")
    back = urlsplit(one_login.sign_in(started["Location"], "resident-basic"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 400
    _refusal("email_mismatch")
    assert not LinkedIdentity.objects.exists()


@pytest.mark.django_db
def test_a_staff_email_cannot_sign_in_as_a_resident(client, one_login, council):
    from townsquare.accounts.services import membership_set

    staff = User.objects.create_user("sam.taylor@example.com", "pw-long-enough")
    membership_set(user=staff, council_id=council.id, role="agent")
    response = _callback(client, one_login, "resident-basic")
    assert response.status_code == 400
    _refusal("staff_account")


@pytest.mark.django_db
def test_the_sign_in_page_offers_one_login_when_configured(client, one_login, settings):
    page = client.get("/sign-in").content.decode()
    assert "Sign in with GOV.UK One Login (demo)" in page
    settings.ONE_LOGIN_ISSUER = ""
    assert "One Login" not in client.get("/sign-in").content.decode()
    assert client.get("/sign-in/one-login").status_code == 404
