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
    kinds = list(Event.objects.filter(stream="user", stream_id=user.pk)
                 .values_list("kind", flat=True))
    assert "identity.linked" in kinds and "identity.signed_in" in kinds
    assert client.get("/my-requests").status_code == 200
