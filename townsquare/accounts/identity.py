"""Signing in through OpenID Providers: who a verified sign-in is here, linking identities,
staff roles from provider groups, back-channel logout, and the audit trail of all of it.

The protocol (tokens, keys, PKCE) is in oidc.py; this module decides what a verified sign-in
means for accounts (docs/adr/0090-openid-connect-sign-in.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from townsquare.accounts.events import (
    IdentityLinked,
    IdentityProviderSet,
    IdentitySignedIn,
    IdentitySignedOut,
    IdentitySignInRefused,
    MembershipRemoved,
)
from townsquare.accounts.models import (
    IdentityProvider,
    LinkedIdentity,
    Membership,
    ProviderSession,
    Role,
    User,
)
from townsquare.accounts.oidc import Provider, SignedIn, caches_clear, issuer_check
from townsquare.accounts.services import membership_set
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.eventlog import append_event
from townsquare.core.sealed import seal, unseal

ONE_LOGIN = "one-login"


def private_key_load(path: str) -> dict[str, Any]:
    """A private key as a JWK, from a JWK (JSON) file or a PEM file."""
    text = Path(path).read_text()
    if text.lstrip().startswith("{"):
        jwk = json.loads(text)
        return jwk
    for kind in (ECKey, RSAKey):
        try:
            key = kind.import_key(text)
        except Exception:  # noqa: S112 (try the other kind)
            continue
        jwk = key.as_dict(private=True)
        jwk.setdefault("kid", key.thumbprint())
        return jwk
    raise ValueError(f"{path} holds no EC or RSA private key")


def resident_provider() -> Provider | None:
    """The deployment's provider for residents (GOV.UK One Login), if configured."""
    if not settings.ONE_LOGIN_ISSUER or not settings.ONE_LOGIN_CLIENT_ID:
        return None
    key = (
        private_key_load(settings.ONE_LOGIN_PRIVATE_KEY_FILE)
        if settings.ONE_LOGIN_PRIVATE_KEY_FILE
        else {}
    )
    provider = Provider(
        key=ONE_LOGIN,
        label="GOV.UK One Login",
        issuer=settings.ONE_LOGIN_ISSUER,
        client_id=settings.ONE_LOGIN_CLIENT_ID,
        client_secret=settings.ONE_LOGIN_CLIENT_SECRET,
        private_key_jwk=key,
        scopes=settings.ONE_LOGIN_SCOPES,
        one_login=True,
        identity_issuer=identity_issuer_of(settings.ONE_LOGIN_ISSUER),
    )
    if provider.is_demo:
        return Provider(**{**provider.__dict__, "label": "GOV.UK One Login (demo)"})
    return provider


def identity_issuer_of(issuer: str) -> str:
    """Who signs One Login's identity credentials (ONE_LOGIN_IDENTITY_ISSUER, or the identity
    service beside the provider: oidc.account.gov.uk's is identity.account.gov.uk; the local
    demo provider's is its /identity/)."""
    if settings.ONE_LOGIN_IDENTITY_ISSUER:
        return settings.ONE_LOGIN_IDENTITY_ISSUER
    parts = urlsplit(issuer)
    if parts.hostname and parts.hostname.startswith("oidc."):
        return f"{parts.scheme}://identity.{parts.netloc.removeprefix('oidc.')}/"
    return issuer.rstrip("/") + "/identity/"


def council_provider(council_id: int) -> Provider | None:
    row = IdentityProvider.objects.filter(council_id=council_id, enabled=True).first()
    return _provider_of(row) if row else None


def _provider_of(row: IdentityProvider) -> Provider:
    """The row as a client of its provider, holding only the credential it authenticates with."""
    by_key = row.client_auth == IdentityProvider.ClientAuth.PRIVATE_KEY_JWT
    return Provider(
        key=f"council-{row.council_id}",
        label=row.label,
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret="" if by_key else unseal(row.client_secret_sealed),
        private_key_jwk=private_key_of(row) if by_key else {},
        scopes=row.scopes,
    )


def private_key_of(row: IdentityProvider) -> dict[str, Any]:
    return json.loads(unseal(row.private_key_sealed)) if row.private_key_sealed else {}


def client_key_new(kid: str) -> dict[str, Any]:
    """A new P-256 private key as a JWK, for private_key_jwt (ES256, as One Login accepts)."""
    key = ECKey.generate_key(
        "P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"}, private=True
    )
    return key.as_dict(private=True)


def public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    """A key's public half: what is registered with the provider."""
    return {k: v for k, v in jwk.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}


def council_of(provider_key: str) -> int | None:
    """The council whose staff provider this is (its sign-outs go in that council's audit
    trail); None for the residents' provider."""
    rest = provider_key.removeprefix("council-")
    return int(rest) if rest != provider_key and rest.isdigit() else None


def provider_by_key(key: str) -> Provider | None:
    if key == ONE_LOGIN:
        return resident_provider()
    council_id = council_of(key)
    return council_provider(council_id) if council_id is not None else None


def provider_for_token(token: str) -> Provider | None:
    """Which configured provider a token claims to come from and be meant for (read without
    checking it: only to choose whose keys then check it)."""
    try:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    issuer, aud = claims.get("iss"), claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    resident = resident_provider()
    if resident is not None and resident.issuer == issuer and resident.client_id in audiences:
        return resident
    row = IdentityProvider.objects.filter(
        issuer=issuer, client_id__in=[a for a in audiences if isinstance(a, str)], enabled=True
    ).first()
    return _provider_of(row) if row else None


def staff_providers() -> list[tuple[int, str, Provider]]:
    """Every council's enabled staff provider: (council id, council name, provider)."""
    rows = (
        IdentityProvider.objects.filter(enabled=True)
        .select_related("council")
        .order_by("council__name")
    )
    return [(row.council_id, row.council.name, _provider_of(row)) for row in rows]


def identity_provider_set(
    *,
    council_id: int,
    label: str,
    issuer: str,
    client_id: str,
    private_key_jwk: dict[str, Any] | None = None,
    client_secret: str | None = None,
    client_auth: str | None = None,
    group_roles: dict[str, str] | None = None,
    totp_required: bool = False,
    scopes: str = "openid email profile groups",
    groups_claim: str = "groups",
    enabled: bool = True,
    actor: Actor | None = None,
) -> IdentityProvider:
    """Create or change a council's staff provider, and audit it (callers check the actor may:
    identity_settings does for the admin page). A `private_key_jwk` or `client_secret` of None
    keeps the one stored; the client authenticates with `client_auth` (by default the key when
    one is given, else the secret)."""
    issuer_check(issuer)
    for role in (group_roles or {}).values():
        if role not in Role.values:
            raise ValueError(f"Unknown role {role!r}")
    if client_auth is None:
        client_auth = (
            IdentityProvider.ClientAuth.CLIENT_SECRET
            if client_secret and not private_key_jwk
            else IdentityProvider.ClientAuth.PRIVATE_KEY_JWT
        )
    if client_auth not in IdentityProvider.ClientAuth.values:
        raise ValueError(f"Unknown client authentication {client_auth!r}")
    defaults: dict[str, Any] = {
        "label": label,
        "issuer": issuer,
        "client_id": client_id,
        "client_auth": client_auth,
        "group_roles": group_roles or {},
        "totp_required": totp_required,
        "scopes": scopes,
        "groups_claim": groups_claim,
        "enabled": enabled,
    }
    if private_key_jwk is not None:
        defaults["private_key_sealed"] = seal(json.dumps(private_key_jwk))
    if client_secret is not None:
        defaults["client_secret_sealed"] = seal(client_secret)
    with transaction.atomic():
        row, _ = IdentityProvider.objects.update_or_create(council_id=council_id, defaults=defaults)
        append_event(
            IdentityProviderSet(
                label=label,
                issuer=issuer,
                client_id=client_id,
                client_auth=client_auth,
                scopes=scopes,
                groups_claim=groups_claim,
                group_roles=dict(group_roles or {}),
                totp_required=totp_required,
                enabled=enabled,
                secret_changed=bool(client_secret),
                key_id=str(private_key_of(row).get("kid", "")),
            ),
            council_id=council_id,
            stream="council",
            stream_id=council_id,
            actor=actor or Actor.system("Townsquare set-up"),
        )
    # The next sign-in reads the provider afresh (it may be another one now).
    caches_clear()
    return row


def _is_staff(user: User) -> bool:
    return user.is_platform_admin or user.is_staff or user.memberships.exists()


def _actor(user: User | None, label: str = "") -> Actor:
    if user is None:
        return Actor.anonymous((label or "Someone signing in")[:200])
    return Actor(
        kind="staff" if _is_staff(user) else "citizen",
        label=(user.full_name or user.email)[:200],
        user_id=user.pk,
    )


def refusal_record(
    *, provider_key: str, reason: str, council_id: int | None = None, user: User | None = None
) -> None:
    """Audit a refused sign-in. Nothing of the token or the person's details is kept."""
    with transaction.atomic():
        append_event(
            IdentitySignInRefused(
                provider=provider_key, reason=reason[:60], user_id=user.pk if user else None
            ),
            council_id=council_id,
            stream="user",
            stream_id=user.pk if user else 0,
            actor=_actor(user),
        )


@dataclass(frozen=True)
class ResidentOutcome:
    user: User | None
    # "signed_in", "linked", or a refusal reason ("link_needed", "staff_account"...)
    result: str


def resident_sign_in(
    *, signed_in: SignedIn, current_user: User | None = None, purpose: str = "sign_in"
) -> ResidentOutcome:
    """Who a verified One Login sign-in is here.

    A known identity signs in as its user. A new identity with a verified email that no account
    uses gets a new account. One whose email an account already uses is linked only when the
    person proved that account first (they are signed in to it and asked to link, and signed
    in again at the provider to do so): otherwise anyone who could get the provider to vouch
    for an address would take over the account holding it.
    """
    with transaction.atomic():
        identity = (
            LinkedIdentity.objects.select_related("user")
            .filter(issuer=signed_in.issuer, subject=signed_in.subject)
            .first()
        )
        if purpose == "link":
            return _link(signed_in, identity, current_user)
        if identity is not None:
            user = identity.user
            if not user.is_active or _is_staff(user):
                return ResidentOutcome(None, "account_unavailable")
            identity.last_signed_in_at = clock.now()
            identity.save(update_fields=["last_signed_in_at"])
            return ResidentOutcome(user, "signed_in")
        if not signed_in.email or not signed_in.email_verified:
            return ResidentOutcome(None, "email_not_verified")
        existing = User.objects.filter(email=signed_in.email).first()
        if existing is not None:
            return ResidentOutcome(None, "staff_account" if _is_staff(existing) else "link_needed")
        user = User.objects.create_user(signed_in.email, None, full_name=signed_in.name)
        LinkedIdentity.objects.create(
            user=user,
            issuer=signed_in.issuer,
            subject=signed_in.subject,
            email=signed_in.email,
            linked_at=clock.now(),
            last_signed_in_at=clock.now(),
        )
        append_event(
            IdentityLinked(provider=ONE_LOGIN, user_id=user.pk, new_account=True),
            council_id=None,
            stream="user",
            stream_id=user.pk,
            actor=_actor(user),
        )
        return ResidentOutcome(user, "signed_in")


def _link(
    signed_in: SignedIn, identity: LinkedIdentity | None, current_user: User | None
) -> ResidentOutcome:
    if current_user is None:
        return ResidentOutcome(None, "not_signed_in")
    if identity is not None:
        if identity.user_id == current_user.pk:
            return ResidentOutcome(current_user, "linked")
        return ResidentOutcome(None, "identity_linked_elsewhere")
    if not signed_in.email_verified or signed_in.email != current_user.email:
        return ResidentOutcome(None, "email_mismatch")
    now = clock.now()
    LinkedIdentity.objects.create(
        user=current_user,
        issuer=signed_in.issuer,
        subject=signed_in.subject,
        email=signed_in.email,
        linked_at=now,
        last_signed_in_at=now,
    )
    append_event(
        IdentityLinked(provider=ONE_LOGIN, user_id=current_user.pk, new_account=False),
        council_id=None,
        stream="user",
        stream_id=current_user.pk,
        actor=_actor(current_user),
    )
    return ResidentOutcome(current_user, "linked")


@dataclass(frozen=True)
class StaffOutcome:
    user: User | None
    result: str  # "signed_in", "totp_required" or a refusal reason
    role: str = ""


def _groups(claims: dict[str, Any], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _role_from_groups(groups: list[str], group_roles: dict[str, str]) -> str | None:
    """The strongest role any of the person's groups maps to."""
    order = [Role.AGENT, Role.SUPERVISOR, Role.COUNCIL_ADMIN]
    roles = [group_roles[g] for g in groups if group_roles.get(g) in order]
    return max(roles, key=order.index) if roles else None


def staff_sign_in(*, council_id: int, signed_in: SignedIn) -> StaffOutcome:
    """A council's staff member back from the council's provider.

    The provider's groups decide the role, at every sign-in: someone in no mapped group (they
    left, or moved) loses their role here now. Accounts with a role in another council, or
    platform admins, sign in with their password: one council's provider must not open
    another council's door.
    """
    row = IdentityProvider.objects.filter(council_id=council_id, enabled=True).first()
    if row is None:
        return StaffOutcome(None, "provider_not_configured")
    if not signed_in.email or not signed_in.email_verified:
        return StaffOutcome(None, "email_not_verified")
    role = _role_from_groups(_groups(signed_in.claims, row.groups_claim), row.group_roles)
    with transaction.atomic():
        identity = (
            LinkedIdentity.objects.select_related("user")
            .filter(issuer=signed_in.issuer, subject=signed_in.subject)
            .first()
        )
        user = identity.user if identity else User.objects.filter(email=signed_in.email).first()
        if user is not None and (
            user.is_platform_admin
            or Membership.objects.filter(user=user).exclude(council_id=council_id).exists()
        ):
            return StaffOutcome(user, "other_council_account")
        if role is None:
            if user is not None:
                membership = Membership.objects.filter(user=user, council_id=council_id).first()
                if membership is not None:
                    membership_id = membership.pk
                    membership.delete()
                    append_event(
                        MembershipRemoved(user_id=user.pk),
                        council_id=council_id,
                        stream="membership",
                        stream_id=membership_id,
                        actor=Actor.system(f"{row.label} (groups at sign-in)"),
                    )
            return StaffOutcome(user, "no_role")
        if user is not None and not user.is_active:
            return StaffOutcome(user, "account_unavailable")
        if user is None:
            user = User.objects.create_user(signed_in.email, None, full_name=signed_in.name)
        if identity is None:
            LinkedIdentity.objects.create(
                user=user,
                issuer=signed_in.issuer,
                subject=signed_in.subject,
                email=signed_in.email,
                linked_at=clock.now(),
            )
            append_event(
                IdentityLinked(
                    provider=f"council-{council_id}", user_id=user.pk, new_account=False
                ),
                council_id=council_id,
                stream="user",
                stream_id=user.pk,
                actor=_actor(user),
            )
        LinkedIdentity.objects.filter(issuer=signed_in.issuer, subject=signed_in.subject).update(
            last_signed_in_at=clock.now()
        )
        team_id = (
            Membership.objects.filter(user=user, council_id=council_id)
            .values_list("team_id", flat=True)
            .first()
        )
        membership_set(
            user=user,
            council_id=council_id,
            role=role,
            team_id=team_id,
            actor=Actor.system(f"{row.label} (groups at sign-in)"),
        )
    return StaffOutcome(user, "totp_required" if row.totp_required else "signed_in", role)


def signed_in_record(
    *,
    provider_key: str,
    user: User,
    signed_in: SignedIn,
    session_key: str,
    council_id: int | None = None,
) -> None:
    """Audit a completed sign-in and remember its provider session for back-channel logout."""
    with transaction.atomic():
        ProviderSession.objects.create(
            issuer=signed_in.issuer,
            sid=signed_in.sid[:255],
            subject=signed_in.subject,
            user=user,
            session_key=session_key,
            started_at=clock.now(),
        )
        append_event(
            IdentitySignedIn(
                provider=provider_key,
                user_id=user.pk,
                level=signed_in.level,
                vot=signed_in.vot[:40],
            ),
            council_id=council_id,
            stream="user",
            stream_id=user.pk,
            actor=_actor(user),
        )


def backchannel_logout(
    *, provider: Provider, claims: dict[str, Any], session_end: Callable[[str], None]
) -> int:
    """End every session the provider session (or, without a `sid`, the person) started here.
    `session_end` deletes one Django session by key. Returns how many ended."""
    rows = ProviderSession.objects.filter(issuer=provider.issuer)
    if claims.get("sid"):
        rows = rows.filter(sid=claims["sid"])
    if claims.get("sub"):
        rows = rows.filter(subject=claims["sub"])
    ended = list(rows)
    for row in ended:
        session_end(row.session_key)
    with transaction.atomic():
        ProviderSession.objects.filter(pk__in=[r.pk for r in ended]).delete()
        for user_id in sorted({r.user_id for r in ended}):
            append_event(
                IdentitySignedOut(provider=provider.key, user_id=user_id, how="back_channel"),
                council_id=council_of(provider.key),
                stream="user",
                stream_id=user_id,
                actor=Actor.system(provider.label[:200]),
            )
    return len(ended)


def signed_out_record(*, provider_key: str, user: User, session_key: str) -> None:
    """Audit a sign-out started here (the provider is then asked to end its session too)."""
    with transaction.atomic():
        ProviderSession.objects.filter(session_key=session_key).delete()
        append_event(
            IdentitySignedOut(provider=provider_key, user_id=user.pk, how="here"),
            council_id=council_of(provider_key),
            stream="user",
            stream_id=user.pk,
            actor=_actor(user),
        )


def provider_session_rekey(old_key: str, new_key: str) -> None:
    """A session begun at a provider got a new key (signing in cycles it): follow it."""
    if old_key and new_key and old_key != new_key:
        ProviderSession.objects.filter(session_key=old_key).update(session_key=new_key)
