"""OpenID Connect relying party: the protocol (see docs/adr/0090-openid-connect-sign-in.md).

Authorization code flow with `state`, `nonce` and PKCE (S256); the client authenticates at the
token endpoint with `private_key_jwt` (GOV.UK One Login's way) or a client secret. JOSE is
joserfc's and the token request authlib's: nothing here parses or signs a JWT by hand. ID tokens
are verified fully (algorithm allow-list, key by `kid` from the provider's JWKS with one re-fetch
for rotation, issuer, audience, expiry, issue time, nonce, auth_time, vot) and each is accepted
once (`jti`, or the token's hash). Every failure raises `SignInRefused` with a stable `reason`
for the audit trail; callers sign nobody in on it.

Discovery documents and key sets are cached per process (docs/adr/0007-per-process-caches.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.db import IntegrityError, transaction
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from townsquare.accounts import levels
from townsquare.accounts.models import TokenSeen
from townsquare.core import clock

# Only asymmetric algorithms: `none` and HS256 (which a confused verifier would check with the
# provider's public key as the secret) are refused before any key is looked at.
ALLOWED_ALGS = ("ES256", "RS256")
# Clocks differ a little between us and the provider.
LEEWAY = dt.timedelta(seconds=60)
# An ID token issued longer ago than this is refused even when unexpired.
MAX_TOKEN_AGE = dt.timedelta(minutes=10)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# GOV.UK One Login's identity credential: a JWT in userinfo, asked for in the `claims`
# parameter, signed by One Login's identity service (not its OpenID Provider).
CORE_IDENTITY_CLAIM = "https://vocab.account.gov.uk/v1/coreIdentityJWT"

# Levels of confidence and One Login's vectors of trust (accounts.levels).
LEVEL_NONE, LEVEL_AUTHENTICATED, LEVEL_P2 = levels.NONE, levels.AUTHENTICATED, levels.P2
LEVELS = levels.LEVELS
VTR_FOR_LEVEL = levels.VTR_FOR_LEVEL
level_of_vot = levels.level_of_vot
level_at_least = levels.level_at_least


class SignInRefused(Exception):
    """Sign-in refused. `reason` is stable (audit trail, tests); `message` is for people."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message or "We could not sign you in."


@dataclass(frozen=True)
class Provider:
    """How to reach one OpenID Provider as one client."""

    key: str  # "one-login", or "council-<id>" for a council's staff provider
    label: str
    issuer: str
    client_id: str
    client_secret: str = ""
    private_key_jwk: dict[str, Any] = field(default_factory=dict)
    scopes: str = "openid email"
    # One Login's extras: vectors of trust, ui_locales and the identity credential's issuer.
    one_login: bool = False
    identity_issuer: str = ""

    @property
    def is_demo(self) -> bool:
        return urlsplit(self.issuer).hostname in {"127.0.0.1", "localhost"}


@dataclass(frozen=True)
class Pending:
    """What the browser's session keeps between sending the person off and their return."""

    provider_key: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    level: str = LEVEL_AUTHENTICATED
    next_path: str = ""
    purpose: str = "sign_in"  # or "link"
    started_at: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Pending:
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SignedIn:
    """A verified sign-in: who, how strongly, and the provider session it belongs to."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    level: str
    vot: str
    sid: str
    auth_time: int
    claims: dict[str, Any]
    id_token: str


def _timeout() -> float:
    return settings.OIDC_HTTP_TIMEOUT_SECONDS


def _http_get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=_timeout(), allow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(
            "provider_unreachable", "The sign-in service is not answering. Try again later."
        ) from exc
    if not isinstance(data, dict):
        raise SignInRefused("provider_unreachable", "The sign-in service answered wrongly.")
    return data


def issuer_check(issuer: str) -> None:
    """Providers are reached over HTTPS, except a local demo provider on loopback."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}:
        return
    raise ValueError(f"An issuer must be an https:// URL (got {issuer!r})")


_lock = threading.Lock()
_discovery: dict[str, dict[str, Any]] = {}
_keys: dict[str, KeySet] = {}


def caches_clear() -> None:
    with _lock:
        _discovery.clear()
        _keys.clear()


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def discovery_fetch(issuer: str) -> dict[str, Any]:
    """The provider's metadata fetched now (not cached), whose `issuer` must be exactly the one
    configured and which names the endpoints a relying party needs."""
    issuer_check(issuer)
    doc = _http_get_json(discovery_url(issuer))
    if doc.get("issuer") != issuer:
        raise SignInRefused(
            "wrong_issuer",
            f"The sign-in service calls itself {str(doc.get('issuer'))[:300]!r}, not {issuer!r}.",
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(name), str):
            raise SignInRefused("provider_unreachable", f"The sign-in service has no {name}.")
    return doc


def discovery(provider: Provider) -> dict[str, Any]:
    """The provider's metadata (discovery_fetch), cached per process."""
    with _lock:
        cached = _discovery.get(provider.issuer)
    if cached is not None:
        return cached
    doc = discovery_fetch(provider.issuer)
    with _lock:
        _discovery[provider.issuer] = doc
    return doc


def _key_set(provider: Provider, *, refresh: bool = False) -> KeySet:
    with _lock:
        cached = None if refresh else _keys.get(provider.issuer)
    if cached is not None:
        return cached
    raw = _http_get_json(discovery(provider)["jwks_uri"])
    # Only public signing keys of the kinds allowed; anything else in the set is ignored.
    keys = [
        k
        for k in raw.get("keys", [])
        if isinstance(k, dict)
        and k.get("kty") in {"EC", "RSA"}
        and k.get("use", "sig") == "sig"
        and "d" not in k
    ]
    try:
        key_set = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused("bad_jwks", "The sign-in service's keys cannot be read.") from exc
    with _lock:
        _keys[provider.issuer] = key_set
    return key_set


def _key_for(provider: Provider, kid: str | None, alg: str) -> ECKey | RSAKey:
    kty = "EC" if alg.startswith("ES") else "RSA"
    for refresh in (False, True):  # an unknown kid may be a new key: fetch the set once more
        key_set = _key_set(provider, refresh=refresh)
        matches = [k for k in key_set.keys if k.key_type == kty and (kid is None or k.kid == kid)]
        if kid is None and len(matches) > 1:
            raise SignInRefused("unknown_key", "The token does not say which key signed it.")
        if matches:
            return matches[0]
    raise SignInRefused(
        "unknown_key", "The token was signed with a key the sign-in service does not publish."
    )


def _verify_signature(provider: Provider, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused("malformed_token", "The sign-in token cannot be read.") from exc
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise SignInRefused("bad_algorithm", f"Tokens signed with {alg!r} are not accepted.")
    key = _key_for(provider, header.get("kid"), alg)
    try:
        decoded = jwt.decode(token, key, algorithms=[alg])
    except JoseError as exc:
        raise SignInRefused("bad_signature", "The sign-in token's signature is wrong.") from exc
    if not isinstance(decoded.claims, dict):
        raise SignInRefused("malformed_token", "The sign-in token cannot be read.")
    return dict(decoded.header), decoded.claims


def _audience_check(provider: Provider, claims: dict[str, Any]) -> None:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if provider.client_id not in audiences:
        raise SignInRefused("wrong_audience", "The sign-in token was meant for another service.")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("wrong_audience", "The sign-in token was meant for another service.")


def _number(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise SignInRefused("missing_claim", f"The sign-in token has no {name}.")
    return int(value)


def _once(issuer: str, token_id: str, expires: dt.datetime) -> None:
    """Record a token as used; refuses one seen before (a replay)."""
    now = clock.now()
    try:
        with transaction.atomic():
            TokenSeen.objects.create(
                issuer=issuer[:300], token_id=token_id[:255], expires_at=max(expires, now) + LEEWAY
            )
    except IntegrityError:
        raise SignInRefused("replayed_token", "This sign-in token was used already.") from None


def tokens_seen_purge() -> int:
    deleted, _kinds = TokenSeen.objects.filter(expires_at__lt=clock.now()).delete()
    return deleted


def id_token_verify(
    provider: Provider, token: str, *, nonce: str, level: str = LEVEL_NONE
) -> dict[str, Any]:
    """The claims of a valid ID token meant for us, answering our `nonce`; refuses with a
    reason otherwise. Records the token as used (call once per token)."""
    _header, claims = _verify_signature(provider, token)
    if claims.get("iss") != provider.issuer:
        raise SignInRefused("wrong_issuer", "The sign-in token came from another service.")
    _audience_check(provider, claims)
    now = clock.now()
    exp = dt.datetime.fromtimestamp(_number(claims, "exp"), dt.UTC)
    iat = dt.datetime.fromtimestamp(_number(claims, "iat"), dt.UTC)
    if exp + LEEWAY < now:
        raise SignInRefused("expired_token", "The sign-in took too long. Try again.")
    if iat - LEEWAY > now or now - iat > MAX_TOKEN_AGE + LEEWAY:
        raise SignInRefused("expired_token", "The sign-in took too long. Try again.")
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInRefused("wrong_nonce", "The sign-in did not answer our request.")
    if "auth_time" in claims:
        auth_time = dt.datetime.fromtimestamp(_number(claims, "auth_time"), dt.UTC)
        if auth_time - LEEWAY > now:
            raise SignInRefused("bad_auth_time", "The sign-in time is in the future.")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignInRefused("missing_claim", "The sign-in token names nobody.")
    if provider.one_login and level != LEVEL_NONE:
        vot = claims.get("vot")
        if not isinstance(vot, str) or not level_at_least(level_of_vot(vot), level):
            raise SignInRefused(
                "vot_too_low", "Your identity was not checked to the level this service needs."
            )
    token_id = (
        claims.get("jti")
        if isinstance(claims.get("jti"), str)
        else hashlib.sha256(token.encode()).hexdigest()
    )
    _once(provider.issuer, token_id, exp)
    return claims


def authorization_start(
    provider: Provider,
    *,
    redirect_uri: str,
    level: str = LEVEL_AUTHENTICATED,
    next_path: str = "",
    purpose: str = "sign_in",
    language: str = "en",
    reauthenticate: bool = False,
) -> tuple[str, Pending]:
    """The URL to send the person to, and what to keep in their session until they return."""
    doc = discovery(provider)
    pending = Pending(
        provider_key=provider.key,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        redirect_uri=redirect_uri,
        level=level,
        next_path=next_path,
        purpose=purpose,
        started_at=clock.now().isoformat(),
    )
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scopes,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": create_s256_code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    if provider.one_login:
        params["vtr"] = json.dumps([VTR_FOR_LEVEL.get(level, "Cl.Cm")])
        params["ui_locales"] = "cy" if language == "cy" else "en"
        if level == LEVEL_P2:
            params["claims"] = json.dumps({"userinfo": {CORE_IDENTITY_CLAIM: None}})
    if reauthenticate:
        params["prompt"] = "login"
        params["max_age"] = "0"
    return f"{doc['authorization_endpoint']}?{urlencode(params)}", pending


def _client_session(provider: Provider, token_endpoint: str) -> OAuth2Session:
    if provider.private_key_jwk:
        jwk = provider.private_key_jwk
        kind = ECKey if jwk.get("kty") == "EC" else RSAKey
        alg = jwk.get("alg") or ("ES256" if kind is ECKey else "RS256")
        # The assertion's header names the key, so a provider holding several of ours (during
        # a rotation) knows which to check it with.
        headers = {"kid": jwk["kid"]} if jwk.get("kid") else None
        session = OAuth2Session(
            provider.client_id,
            kind.import_key(jwk),
            token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg=alg, headers=headers),
        )
    else:
        session = OAuth2Session(
            provider.client_id,
            provider.client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106
        )
    return session


def authorization_complete(
    provider: Provider, pending: Pending | None, params: dict[str, str]
) -> SignedIn:
    """Check the person's return from the provider, redeem the code and verify what came
    back. `params` is the callback's query string. Refuses with a reason on any failure."""
    if pending is None or pending.provider_key != provider.key:
        raise SignInRefused(
            "no_pending_sign_in",
            "The sign-in was not started here, or was finished already. Start again.",
        )
    state = params.get("state", "")
    if not state or not secrets.compare_digest(state, pending.state):
        raise SignInRefused("wrong_state", "The sign-in did not answer our request. Start again.")
    if params.get("iss") and params["iss"] != provider.issuer:
        raise SignInRefused("wrong_issuer", "The answer came from another sign-in service.")
    if params.get("error"):
        reason = "cancelled" if params["error"] == "access_denied" else "provider_error"
        raise SignInRefused(
            reason,
            "You did not finish signing in."
            if reason == "cancelled"
            else "The sign-in service refused the request.",
        )
    code = params.get("code", "")
    if not code or len(code) > 2000:
        raise SignInRefused("no_code", "The sign-in service sent no code.")
    doc = discovery(provider)
    session = _client_session(provider, doc["token_endpoint"])
    try:
        tokens = session.fetch_token(
            doc["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            redirect_uri=pending.redirect_uri,
            code_verifier=pending.code_verifier,
            timeout=_timeout(),
        )
    except requests.RequestException as exc:
        raise SignInRefused(
            "provider_unreachable", "The sign-in service is not answering. Try again later."
        ) from exc
    except Exception as exc:  # authlib raises OAuthError subclasses for error answers
        raise SignInRefused(
            "token_refused",
            f"The sign-in service would not confirm the sign-in ({exc.__class__.__name__}).",
        ) from exc
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SignInRefused("no_id_token", "The sign-in service sent no identity token.")
    claims = id_token_verify(provider, id_token, nonce=pending.nonce, level=pending.level)
    if pending.purpose == "link":
        _reauthenticated_check(claims, pending)
    userinfo = _userinfo(provider, doc, tokens.get("access_token"), claims["sub"])
    # The identity credential proves P2; nothing of it (a name, a birth date) is kept.
    credential = userinfo.pop(CORE_IDENTITY_CLAIM, None)
    level = LEVEL_AUTHENTICATED
    if provider.one_login and pending.level == LEVEL_P2:
        core_identity_verify(provider, credential, subject=claims["sub"])
        level = LEVEL_P2
    merged = {**userinfo, **claims}
    vot = str(claims.get("vot") or "")
    return SignedIn(
        issuer=provider.issuer,
        subject=claims["sub"],
        email=str(merged.get("email") or "").strip().lower(),
        email_verified=merged.get("email_verified") is True,
        name=str(merged.get("name") or "")[:200],
        level=level,
        vot=vot,
        sid=str(claims.get("sid") or ""),
        auth_time=int(claims.get("auth_time") or 0),
        claims=merged,
        id_token=id_token,
    )


def _reauthenticated_check(claims: dict[str, Any], pending: Pending) -> None:
    """Linking asked the provider to sign the person in again (prompt=login, max_age=0): the
    token must say they did, after we asked, not reuse an older session there."""
    started = dt.datetime.fromisoformat(pending.started_at) if pending.started_at else None
    auth_time = claims.get("auth_time")
    if (
        started is None
        or not isinstance(auth_time, int | float)
        or dt.datetime.fromtimestamp(auth_time, dt.UTC) < started - LEEWAY
    ):
        raise SignInRefused(
            "not_reauthenticated", "You need to sign in again to link your account."
        )


def _userinfo(
    provider: Provider, doc: dict[str, Any], access_token: Any, subject: str
) -> dict[str, Any]:
    endpoint = doc.get("userinfo_endpoint")
    if not endpoint or not isinstance(access_token, str):
        return {}
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=_timeout(),
            allow_redirects=False,
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(
            "provider_unreachable", "The sign-in service is not answering. Try again later."
        ) from exc
    # A userinfo answer about someone else must not be merged into this sign-in.
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SignInRefused("userinfo_mismatch", "The sign-in service described someone else.")
    return data


def did_document_url(identity_issuer: str) -> str:
    """Where a did:web identifier for the issuer's host publishes its DID document."""
    parts = urlsplit(identity_issuer)
    return f"{parts.scheme}://{parts.netloc}/.well-known/did.json"


def _identity_keys(provider: Provider, *, refresh: bool = False) -> dict[str, ECKey]:
    """The identity service's keys by their DID URL (its DID document's assertion methods)."""
    cache_key = f"did:{provider.identity_issuer}"
    with _lock:
        cached = None if refresh else _keys.get(cache_key)
    if cached is not None:
        return {k.kid or "": k for k in cached.keys if isinstance(k, ECKey)}
    issuer_check(provider.identity_issuer)
    document = _http_get_json(did_document_url(provider.identity_issuer))
    methods = document.get("assertionMethod")
    keys = []
    for method in methods if isinstance(methods, list) else []:
        jwk = method.get("publicKeyJwk") if isinstance(method, dict) else None
        if isinstance(jwk, dict) and jwk.get("kty") == "EC" and "d" not in jwk:
            keys.append({**jwk, "kid": str(method.get("id", ""))})
    try:
        key_set = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused("bad_jwks", "The identity service's keys cannot be read.") from exc
    with _lock:
        _keys[cache_key] = key_set
    return {k.kid or "": k for k in key_set.keys if isinstance(k, ECKey)}


def core_identity_verify(provider: Provider, credential: Any, *, subject: str) -> None:
    """One Login's identity credential (coreIdentityJWT) is genuine, about this person, for
    us, current, and at P2 or above; refuses otherwise. ES256 only, as One Login signs it,
    with the key its DID document publishes under the token's `kid`."""
    if not isinstance(credential, str) or not credential:
        raise SignInRefused(
            "identity_missing", "GOV.UK One Login did not send the result of your identity check."
        )
    try:
        header = jws.extract_compact(credential.encode()).protected
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused("identity_invalid", "The identity check cannot be read.") from exc
    if header.get("alg") != "ES256":
        raise SignInRefused("bad_algorithm", "The identity check is not signed with ES256.")
    kid = header.get("kid")
    key = _identity_keys(provider).get(kid or "") or _identity_keys(provider, refresh=True).get(
        kid or ""
    )
    if key is None:
        raise SignInRefused("unknown_key", "The identity check was signed with an unknown key.")
    try:
        claims = jwt.decode(credential, key, algorithms=["ES256"]).claims
    except JoseError as exc:
        raise SignInRefused("bad_signature", "The identity check's signature is wrong.") from exc
    if claims.get("iss") != provider.identity_issuer:
        raise SignInRefused("wrong_issuer", "The identity check came from another service.")
    _audience_check(provider, claims)
    if claims.get("sub") != subject:
        raise SignInRefused("identity_invalid", "The identity check is about someone else.")
    now = clock.now()
    if dt.datetime.fromtimestamp(_number(claims, "exp"), dt.UTC) + LEEWAY < now:
        raise SignInRefused("expired_token", "The identity check has expired. Try again.")
    if "nbf" in claims and dt.datetime.fromtimestamp(_number(claims, "nbf"), dt.UTC) > now + LEEWAY:
        raise SignInRefused("expired_token", "The identity check is not valid yet.")
    vot = claims.get("vot")
    if not isinstance(vot, str) or level_of_vot(vot) != LEVEL_P2:
        raise SignInRefused(
            "vot_too_low", "Your identity was not checked to the level this service needs."
        )
    vc = claims.get("vc")
    person = vc.get("credentialSubject") if isinstance(vc, dict) else None
    if not isinstance(person, dict) or not person.get("name"):
        raise SignInRefused("identity_invalid", "The identity check names nobody.")


def logout_token_verify(provider: Provider, token: str) -> dict[str, Any]:
    """A back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6)."""
    header, claims = _verify_signature(provider, token)
    if header.get("typ") not in (None, "logout+jwt", "JWT"):
        raise SignInRefused("malformed_token", "Not a logout token.")
    if claims.get("iss") != provider.issuer:
        raise SignInRefused("wrong_issuer", "The logout token came from another service.")
    _audience_check(provider, claims)
    now = clock.now()
    iat = dt.datetime.fromtimestamp(_number(claims, "iat"), dt.UTC)
    if iat - LEEWAY > now or now - iat > MAX_TOKEN_AGE + LEEWAY:
        raise SignInRefused("expired_token", "The logout token is too old.")
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
        raise SignInRefused("malformed_token", "Not a logout token.")
    if "nonce" in claims:
        raise SignInRefused("malformed_token", "A logout token has no nonce.")
    if not claims.get("sid") and not claims.get("sub"):
        raise SignInRefused("missing_claim", "The logout token names no session.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise SignInRefused("missing_claim", "The logout token has no jti.")
    exp = claims.get("exp")
    expires = (
        dt.datetime.fromtimestamp(exp, dt.UTC) if isinstance(exp, int) else iat + MAX_TOKEN_AGE
    )
    _once(provider.issuer, jti, expires)
    return claims


def end_session_url(
    provider: Provider, *, id_token: str, post_logout_redirect_uri: str
) -> str | None:
    """Where to send the person to sign out at the provider too (RP-initiated logout)."""
    try:
        endpoint = discovery(provider).get("end_session_endpoint")
    except SignInRefused:
        return None
    if not isinstance(endpoint, str):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": provider.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{endpoint}?{query}"
