"""A resident's account links the identities they sign in with (an emailed link, GOV.UK One
Login) by a verified email, only after signing in again at the provider; My requests shows
everything under the account, whichever identity they signed in with."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.identity.test_token_refusals import NONCE, STATE, tiny
from townsquare.accounts import oidc
from townsquare.accounts.models import LinkedIdentity, User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import Reporter, case_create
from townsquare.core import clock
from townsquare.core.models import Event

__all__ = ["tiny"]  # the fixture


def _report(council, actor, email):
    return case_create(
        service_code="pothole",
        council=council,
        actor=actor,
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        reporter=Reporter(email=email),
    )


def _back(client, one_login, started, account):
    back = urlsplit(one_login.sign_in(started["Location"], account))
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


@pytest.mark.django_db
def test_my_requests_links_one_login_and_shows_everything_whichever_way_they_sign_in(
    client, one_login, council
):
    user = User.objects.create_user("sam.taylor@example.com", None)
    mine = _report(council, principal_for_user(user), "sam.taylor@example.com")
    client.force_login(user)  # signed in by an emailed link
    page = unescape(client.get("/my-requests").content.decode())
    assert "With a link emailed to sam.taylor@example.com." in page
    form = re.search(r'<form method="post" action="(/sign-in/one-login/link)">', page)
    assert form and "Link GOV.UK One Login (demo)" in page

    started = client.post(form.group(1))
    assert parse_qs(urlsplit(started["Location"]).query)["prompt"] == ["login"]
    assert _back(client, one_login, started, "resident-basic").status_code == 303
    assert "it is linked to this account" in unescape(client.get("/my-requests").content.decode())
    assert Event.objects.filter(kind="identity.linked", stream_id=user.pk).exists()

    # A report sent without signing in, from the same address, while signed out.
    client.post("/sign-out")
    sent_anonymously = _report(council, Principal.anonymous(), "sam.taylor@example.com")
    # Signing in with One Login now reaches the same account, with both.
    assert (
        _back(client, one_login, client.get("/sign-in/one-login"), "resident-basic").status_code
        == 303
    )
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get("/my-requests").content.decode()
    assert mine.reference in page and sent_anonymously.reference in page


@pytest.mark.django_db
def test_a_link_without_signing_in_again_at_the_provider_is_refused(client, tiny):
    user = User.objects.create_user("person@example.com", None)
    client.force_login(user)
    session = client.session
    session["oidc.pending"] = oidc.Pending(
        provider_key="one-login",
        state=STATE,
        nonce=NONCE,
        code_verifier="v" * 50,
        redirect_uri="http://testserver/sign-in/one-login/return",
        purpose="link",
        started_at=clock.now().isoformat(),
    ).as_dict()
    session.save()
    # The provider answered from a session an hour old instead of asking again.
    tiny.next_id_token = tiny.sign(tiny.claims(auth_time=int(time.time()) - 3600))
    response = client.get("/sign-in/one-login/return", {"code": "a-code", "state": STATE})
    assert response.status_code == 400
    assert "sign in to it again" in response.content.decode()
    event = Event.objects.filter(kind="identity.sign_in_refused").get()
    assert event.payload["reason"] == "not_reauthenticated"
    assert not LinkedIdentity.objects.exists()
