"""Every forged or wrong token is refused with a clear page and an audit entry, and nobody is
left half signed in.

The tokens are signed here, by the test, with keys a tiny provider on loopback publishes (its
discovery document, JWKS and token endpoint are real HTTP): the relying party fetches the keys
and redeems the code exactly as it does with a real provider. Only the token's content is the
test's choice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from townsquare.accounts import oidc
from townsquare.accounts.models import LinkedIdentity, User
from townsquare.core.models import Event

CLIENT_ID = "test-client"
NONCE = "the-nonce-we-sent"
STATE = "the-state-we-sent"


class TinyProvider:
    """Discovery, JWKS and a token endpoint that hands back `next_id_token`."""

    def __init__(self) -> None:
        self.keys = [
            ECKey.generate_key("P-256", parameters={"kid": "ec-1", "alg": "ES256"}, private=True),
            RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256"}, private=True),
        ]
        self.next_id_token = ""
        self.token_requests: list[dict[str, list[str]]] = []
        # One Login's identity service: its key, published in a DID document, and what
        # userinfo answers (None: the provider has no userinfo endpoint).
        self.identity_key = ECKey.generate_key(
            "P-256", parameters={"kid": "did:web:tiny#identity-1", "alg": "ES256"}, private=True
        )
        self.userinfo: dict | None = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": f"{provider.issuer}/auth",
                            "token_endpoint": f"{provider.issuer}/token",
                            "jwks_uri": f"{provider.issuer}/jwks",
                            **(
                                {"userinfo_endpoint": f"{provider.issuer}/userinfo"}
                                if provider.userinfo is not None
                                else {}
                            ),
                        }
                    )
                elif self.path == "/jwks":
                    self._json({"keys": [k.as_dict(private=False) for k in provider.keys]})
                elif self.path == "/userinfo" and provider.userinfo is not None:
                    self._json(provider.userinfo)
                elif self.path == "/.well-known/did.json":
                    public = provider.identity_key.as_dict(private=False)
                    self._json(
                        {
                            "id": "did:web:tiny",
                            "assertionMethod": [
                                {
                                    "type": "JsonWebKey",
                                    "id": public.pop("kid"),
                                    "controller": "did:web:tiny",
                                    "publicKeyJwk": public,
                                }
                            ],
                        }
                    )
                else:
                    self.send_error(404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                provider.token_requests.append(parse_qs(body))
                self._json(
                    {
                        "access_token": "at",
                        "token_type": "Bearer",
                        "id_token": provider.next_id_token,
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def claims(self, **overrides):
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "person-1",
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": NONCE,
            "vot": "Cl.Cm",
            "email": "person@example.com",
            "email_verified": True,
            **overrides,
        }

    def sign(self, claims=None, *, key=None, alg="ES256", kid=None):
        key = key or self.keys[0]
        header = {"alg": alg, "kid": kid or key.kid}
        return jwt.encode(header, claims or self.claims(), key, algorithms=[alg])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def tiny(settings, tmp_path):
    provider = TinyProvider()
    client_key = ECKey.generate_key("P-256", parameters={"kid": "rp-1"}, private=True)
    key_file = tmp_path / "rp.json"
    key_file.write_text(json.dumps(client_key.as_dict(private=True)))
    settings.ONE_LOGIN_ISSUER = provider.issuer
    settings.ONE_LOGIN_CLIENT_ID = CLIENT_ID
    settings.ONE_LOGIN_PRIVATE_KEY_FILE = str(key_file)
    oidc.caches_clear()
    yield provider
    provider.server.shutdown()
    oidc.caches_clear()


def _return_with(client, tiny, id_token, *, level="authenticated", state=STATE):
    """The person comes back from the provider with a code; the provider's token endpoint
    answers with `id_token`."""
    session = client.session
    session["oidc.pending"] = oidc.Pending(
        provider_key="one-login",
        state=STATE,
        nonce=NONCE,
        code_verifier="v" * 50,
        redirect_uri="http://testserver/sign-in/one-login/return",
        level=level,
    ).as_dict()
    session.save()
    tiny.next_id_token = id_token
    return client.get("/sign-in/one-login/return", {"code": "a-code", "state": state})


def _assert_refused(client, response, reason):
    assert response.status_code == 400, response.content[:300]
    assert "You are not signed in" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "identity.level" not in client.session
    event = Event.objects.filter(kind="identity.sign_in_refused").order_by("-id").first()
    assert event is not None and event.payload["reason"] == reason, event.payload if event else None
    assert not LinkedIdentity.objects.exists()
    assert not User.objects.filter(email="person@example.com").exists()


@pytest.mark.django_db
def test_a_good_token_signs_in_and_the_code_went_with_pkce_and_a_client_assertion(client, tiny):
    response = _return_with(client, tiny, tiny.sign())
    assert response.status_code == 303, response.content[:300]
    assert "_auth_user_id" in client.session
    sent = tiny.token_requests[-1]
    assert sent["code_verifier"] == ["v" * 50]
    assert sent["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assert "client_secret" not in sent


@pytest.mark.django_db
def test_an_rs256_token_signs_in_too(client, tiny):
    response = _return_with(client, tiny, tiny.sign(key=tiny.keys[1], alg="RS256"))
    assert response.status_code == 303


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://elsewhere.example"}, "wrong_issuer"),
        ({"aud": "another-client"}, "wrong_audience"),
        ({"aud": [CLIENT_ID, "another-client"]}, "wrong_audience"),
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired_token"),
        ({"nonce": "some-other-nonce"}, "wrong_nonce"),
        ({"auth_time": int(time.time()) + 3600}, "bad_auth_time"),
    ],
)
def test_wrong_claims_are_refused(client, tiny, change, reason):
    _assert_refused(client, _return_with(client, tiny, tiny.sign(tiny.claims(**change))), reason)


@pytest.mark.django_db
def test_alg_none_is_refused(client, tiny):
    token = ".".join(
        [
            _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
            _b64(json.dumps(tiny.claims()).encode()),
            "",
        ]
    )
    _assert_refused(client, _return_with(client, tiny, token), "bad_algorithm")


@pytest.mark.django_db
def test_hs256_signed_with_the_public_key_is_refused(client, tiny):
    public_pem = tiny.keys[1].as_pem(private=False)
    signing_input = ".".join(
        [
            _b64(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode()),
            _b64(json.dumps(tiny.claims()).encode()),
        ]
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    _assert_refused(
        client, _return_with(client, tiny, f"{signing_input}.{_b64(mac)}"), "bad_algorithm"
    )


@pytest.mark.django_db
def test_a_tampered_token_is_refused(client, tiny):
    header, payload, signature = tiny.sign().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    _assert_refused(client, _return_with(client, tiny, forged), "bad_signature")


@pytest.mark.django_db
def test_a_key_the_provider_does_not_publish_is_refused(client, tiny):
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-published"}, private=True)
    _assert_refused(client, _return_with(client, tiny, tiny.sign(key=stranger)), "unknown_key")


@pytest.mark.django_db
def test_a_rotated_key_is_fetched_once_and_accepted(client, tiny):
    assert _return_with(client, tiny, tiny.sign()).status_code == 303  # keys now cached
    client.logout()
    rotated = ECKey.generate_key("P-256", parameters={"kid": "ec-2", "alg": "ES256"}, private=True)
    tiny.keys = [rotated]  # the provider rotates: the old key is gone, a new one published
    response = _return_with(
        client, tiny, tiny.sign(tiny.claims(sub="person-2", email="p2@example.com"), key=rotated)
    )
    assert response.status_code == 303, response.content[:300]


@pytest.mark.django_db
def test_a_replayed_token_is_refused(client, tiny):
    token = tiny.sign(tiny.claims(jti="token-1"))
    assert _return_with(client, tiny, token).status_code == 303
    client.logout()
    LinkedIdentity.objects.all().delete()
    User.objects.all().delete()
    _assert_refused(client, _return_with(client, tiny, token), "replayed_token")


@pytest.mark.django_db
def test_a_vot_below_the_level_asked_for_is_refused(client, tiny):
    response = _return_with(client, tiny, tiny.sign(tiny.claims(vot="Cl.Cm")), level="P2")
    _assert_refused(client, response, "vot_too_low")
    assert "prove your identity" in response.content.decode()


@pytest.mark.django_db
def test_a_state_that_does_not_match_is_refused(client, tiny):
    _assert_refused(client, _return_with(client, tiny, tiny.sign(), state="forged"), "wrong_state")
    assert tiny.token_requests == []  # the code was never redeemed
