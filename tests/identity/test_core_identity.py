"""P2 needs GOV.UK One Login's identity credential (coreIdentityJWT): asked for through the
`claims` parameter, verified (signature by the identity service's DID key, issuer, audience,
subject, expiry, `vot`) before the level is recorded, and nothing of it kept.

Against the local provider end to end, and against a tiny provider (tests/identity/
test_token_refusals.py) where the test chooses the credential's content."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.identity.test_token_refusals import CLIENT_ID, _assert_refused, _return_with, tiny
from townsquare.accounts.oidc import CORE_IDENTITY_CLAIM
from townsquare.core.models import Event

__all__ = ["tiny"]  # the fixture


@pytest.mark.django_db
def test_p2_asks_for_the_identity_credential_and_keeps_nothing_of_it(client, one_login):
    started = client.get("/sign-in/one-login", {"level": "P2", "next": "/apply/"})
    query = parse_qs(urlsplit(started["Location"]).query)
    assert json.loads(query["claims"][0]) == {"userinfo": {CORE_IDENTITY_CLAIM: None}}
    back = urlsplit(one_login.sign_in(started["Location"], "resident-p2"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response.status_code == 303, response.content[:500]
    assert client.session["identity.level"] == "P2"
    # The birth date was in the credential; it is in no session and no event.
    kept = [s.get_decoded() for s in Session.objects.all()]
    kept += list(Event.objects.values_list("payload", flat=True))
    assert "1984-05-12" not in json.dumps(kept)
    assert CORE_IDENTITY_CLAIM not in json.dumps(kept)


@pytest.mark.django_db
def test_signing_in_without_asking_for_p2_does_not_ask_for_the_credential(client, one_login):
    started = client.get("/sign-in/one-login")
    assert "claims" not in parse_qs(urlsplit(started["Location"]).query)
    back = urlsplit(one_login.sign_in(started["Location"], "resident-p2"))
    client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert client.session["identity.level"] == "authenticated"


def _credential(tiny, *, key=None, **overrides):
    now = int(time.time())
    claims = {
        "iss": f"{tiny.issuer}/identity/",
        "aud": CLIENT_ID,
        "sub": "person-1",
        "iat": now,
        "nbf": now,
        "exp": now + 180,
        "vot": "P2",
        "vc": {
            "type": ["VerifiableCredential", "IdentityCheckCredential"],
            "credentialSubject": {
                "name": [{"nameParts": [{"type": "GivenName", "value": "Pat"}]}],
                "birthDate": [{"value": "1990-01-02"}],
            },
        },
        **overrides,
    }
    key = key or tiny.identity_key
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])


def _p2_return(client, tiny, credential):
    tiny.userinfo = {"sub": "person-1", "email": "person@example.com", "email_verified": True}
    if credential is not None:
        tiny.userinfo[CORE_IDENTITY_CLAIM] = credential
    return _return_with(client, tiny, tiny.sign(tiny.claims(vot="Cl.Cm.P2")), level="P2")


@pytest.mark.django_db
def test_a_good_credential_reaches_p2(client, tiny):
    response = _p2_return(client, tiny, _credential(tiny))
    assert response.status_code == 303, response.content[:300]
    assert client.session["identity.level"] == "P2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tiny: None, "identity_missing"),
        (lambda tiny: "not-a-jwt", "identity_invalid"),
        (lambda tiny: _credential(tiny, iss="https://identity.elsewhere.example/"), "wrong_issuer"),
        (lambda tiny: _credential(tiny, aud="another-client"), "wrong_audience"),
        (lambda tiny: _credential(tiny, sub="someone-else"), "identity_invalid"),
        (lambda tiny: _credential(tiny, vot="P1"), "vot_too_low"),
        (lambda tiny: _credential(tiny, exp=int(time.time()) - 600), "expired_token"),
        (lambda tiny: _credential(tiny, vc={"type": ["VerifiableCredential"]}), "identity_invalid"),
        (
            lambda tiny: _credential(
                tiny,
                key=ECKey.generate_key(
                    "P-256", parameters={"kid": "did:web:tiny#stranger"}, private=True
                ),
            ),
            "unknown_key",
        ),
        (
            # Signed by the identity service's key id, but not with its key.
            lambda tiny: _credential(
                tiny,
                key=ECKey.generate_key(
                    "P-256", parameters={"kid": tiny.identity_key.kid}, private=True
                ),
            ),
            "bad_signature",
        ),
        # The OpenID Provider's own key is not the identity service's.
        (lambda tiny: _credential(tiny, key=tiny.keys[0]), "unknown_key"),
    ],
)
def test_a_bad_credential_refuses_the_sign_in(client, tiny, make, reason):
    _assert_refused(client, _p2_return(client, tiny, make(tiny)), reason)
