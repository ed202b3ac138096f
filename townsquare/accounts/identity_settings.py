"""A council's admin sets up the council's staff identity provider (Entra ID, Google Workspace,
Okta...): issuer, client id, how the client authenticates (a key pair made here, whose public
half the admin registers with the provider, or a client secret from it), scopes, the groups
claim, which groups give which role, and whether a Townsquare TOTP code is still asked.

Only the council's own admins may (policies.can_administer_council); every change is audited
(accounts.identity.identity_provider_set). The client secret and the private key are sealed
and never shown again. A configuration is saved only once the issuer's discovery document
answers and offers what Townsquare needs, so a typo shows here, not at a staff member's sign-in.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction

from townsquare.accounts import identity, oidc, policies
from townsquare.accounts.events import IdentityProviderKeyMade
from townsquare.accounts.models import IdentityProvider, Role
from townsquare.accounts.principal import Principal
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.core.sealed import seal

ROLE_ORDER = (Role.AGENT, Role.SUPERVISOR, Role.COUNCIL_ADMIN)
MAX_GROUPS = 200


@dataclass(frozen=True)
class ProviderSettings:
    """What the admin page shows: never the secret nor the private key."""

    label: str
    issuer: str
    client_id: str
    client_auth: str
    scopes: str
    groups_claim: str
    groups_by_role: dict[str, list[str]]
    totp_required: bool
    enabled: bool
    has_secret: bool
    public_jwk: dict[str, Any] | None


def _require(actor: Principal, council_id: int) -> None:
    if not policies.can_administer_council(actor, council_id):
        raise PermissionDenied("Only the council's admins can change its staff sign-in")


def staff_provider_settings(*, actor: Principal, council_id: int) -> ProviderSettings | None:
    _require(actor, council_id)
    row = IdentityProvider.objects.filter(council_id=council_id).first()
    if row is None:
        return None
    key = identity.private_key_of(row)
    groups_by_role: dict[str, list[str]] = {role: [] for role in ROLE_ORDER}
    for group, role in sorted(row.group_roles.items()):
        groups_by_role.setdefault(role, []).append(group)
    return ProviderSettings(
        label=row.label,
        issuer=row.issuer,
        client_id=row.client_id,
        client_auth=row.client_auth,
        scopes=row.scopes,
        groups_claim=row.groups_claim,
        groups_by_role=groups_by_role,
        totp_required=row.totp_required,
        enabled=row.enabled,
        has_secret=bool(row.client_secret_sealed),
        public_jwk=identity.public_jwk(key) if key else None,
    )


def _unreachable(issuer: str, exc: BaseException | None) -> str:
    url = oidc.discovery_url(issuer)
    cause = exc.__cause__ if exc is not None else None
    if isinstance(cause, requests.HTTPError) and cause.response is not None:
        return f"{url} answered HTTP {cause.response.status_code}, not a discovery document."
    if isinstance(cause, requests.Timeout):
        return f"Nothing answered at {url} in time."
    if isinstance(cause, requests.ConnectionError):
        return f"Nothing answered at {url}. Check the issuer's address."
    if isinstance(cause, ValueError):
        return f"{url} did not answer with JSON: is the issuer's address right?"
    return f"The discovery document at {url} is not usable: {exc}"


def discovery_check(*, issuer: str, client_auth: str, scopes: str) -> dict[str, Any]:
    """The issuer's discovery document, fetched now; InvalidInput naming what is wrong when it
    cannot be fetched or does not offer what the configuration needs."""
    try:
        doc = oidc.discovery_fetch(issuer)
    except ValueError as exc:  # not https (issuer_check)
        raise InvalidInput({"issuer": [str(exc)]}) from None
    except oidc.SignInRefused as exc:
        if exc.reason == "provider_unreachable" and exc.__cause__ is not None:
            message = _unreachable(issuer, exc)
        else:
            message = f"{exc.message} ({oidc.discovery_url(issuer)})"
        raise InvalidInput({"issuer": [message]}) from None
    problems: list[str] = []
    offered = doc.get("token_endpoint_auth_methods_supported")
    if isinstance(offered, list) and client_auth not in offered:
        accepted = ", ".join(map(str, offered))
        problems.append(f"The provider does not accept {client_auth} (it offers {accepted}).")
    challenges = doc.get("code_challenge_methods_supported")
    if isinstance(challenges, list) and "S256" not in challenges:
        problems.append("The provider does not offer PKCE with S256.")
    algs = doc.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and not set(algs) & set(oidc.ALLOWED_ALGS):
        problems.append("The provider signs ID tokens with none of ES256 or RS256.")
    known_scopes = doc.get("scopes_supported")
    if isinstance(known_scopes, list):
        unknown = [s for s in scopes.split() if s not in known_scopes]
        if unknown:
            raise InvalidInput(
                {"scopes": [f"The provider does not offer the scopes {', '.join(unknown)}."]}
            )
    if problems:
        raise InvalidInput({"client_auth": problems})
    return doc


def _loopback(issuer: str) -> bool:
    host = urlsplit(issuer).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def _groups(text: str) -> list[str]:
    return [g.strip() for g in text.replace(",", "\n").splitlines() if g.strip()]


def staff_provider_save(
    *,
    actor: Principal,
    council_id: int,
    label: str,
    issuer: str,
    client_id: str,
    client_auth: str,
    client_secret: str,
    scopes: str,
    groups_claim: str,
    groups_by_role: dict[str, str],
    totp_required: bool,
    enabled: bool,
) -> IdentityProvider:
    """Check and save the council's staff provider. `client_secret` "" keeps the one stored;
    `groups_by_role` holds, for each role, the provider's groups giving it (one per line)."""
    _require(actor, council_id)
    label, issuer, client_id = label.strip(), issuer.strip().rstrip("/"), client_id.strip()
    scopes = " ".join(scopes.split())
    groups_claim, client_secret = groups_claim.strip(), client_secret.strip()
    existing = IdentityProvider.objects.filter(council_id=council_id).first()
    errors: dict[str, list[str]] = {}
    if not label or len(label) > 100:
        errors["label"] = ["Enter the sign-in button's words, up to 100 characters"]
    if not issuer or len(issuer) > 300:
        errors["issuer"] = ["Enter the issuer's address, starting https://"]
    else:
        try:
            oidc.issuer_check(issuer)
        except ValueError:
            errors["issuer"] = ["Enter the issuer's address, starting https://"]
        else:
            if _loopback(issuer) and not settings.OIDC_ALLOW_LOOPBACK_ISSUERS:
                errors["issuer"] = [
                    "Enter the provider's public address: this server's own addresses are "
                    "not allowed"
                ]
    if not client_id or len(client_id) > 300:
        errors["client_id"] = ["Enter the client id the provider gave, up to 300 characters"]
    if client_auth not in IdentityProvider.ClientAuth.values:
        errors["client_auth"] = ["Choose how Townsquare proves itself to the provider"]
    elif client_auth == IdentityProvider.ClientAuth.CLIENT_SECRET:
        if len(client_secret) > 500:
            errors["client_secret"] = ["Enter a client secret of up to 500 characters"]
        elif not client_secret and not (existing and existing.client_secret_sealed):
            errors["client_secret"] = ["Enter the client secret the provider gave"]
    elif not (existing and existing.private_key_sealed):
        errors["client_auth"] = [
            "Make a key pair first (below), and register its public key with the provider"
        ]
    if "openid" not in scopes.split() or len(scopes) > 300:
        errors["scopes"] = ["Enter the scopes, separated by spaces, including openid"]
    if not groups_claim or len(groups_claim) > 100 or " " in groups_claim:
        errors["groups_claim"] = ["Enter the name of the claim that lists a person's groups"]
    group_roles: dict[str, str] = {}
    for role in ROLE_ORDER:
        for group in _groups(groups_by_role.get(role, "")):
            if len(group) > 200:
                errors[f"groups_{role}"] = ["Enter groups of up to 200 characters each"]
            elif group_roles.get(group, role) != role:
                errors[f"groups_{role}"] = [f"The group {group} is given two roles: choose one"]
            group_roles[group] = role
    if not group_roles:
        errors[f"groups_{Role.AGENT}"] = [
            "Enter at least one group: only people in a listed group may sign in"
        ]
    elif len(group_roles) > MAX_GROUPS:
        errors[f"groups_{Role.AGENT}"] = [f"Enter at most {MAX_GROUPS} groups"]
    if errors:
        raise InvalidInput(errors)
    discovery_check(issuer=issuer, client_auth=client_auth, scopes=scopes)
    return identity.identity_provider_set(
        council_id=council_id,
        label=label,
        issuer=issuer,
        client_id=client_id,
        client_auth=client_auth,
        client_secret=client_secret or None,
        group_roles=group_roles,
        totp_required=totp_required,
        scopes=scopes,
        groups_claim=groups_claim,
        enabled=enabled,
        actor=actor.as_actor(),
    )


def staff_provider_key_make(*, actor: Principal, council_id: int) -> dict[str, Any]:
    """A new key pair for private_key_jwt, replacing the old one; returns its public JWK. Before
    the provider's first configuration there is no row yet: the key waits in one, switched off."""
    _require(actor, council_id)
    kid = f"townsquare-{council_id}-{secrets.token_hex(4)}"
    jwk = identity.client_key_new(kid)
    with transaction.atomic():
        row = IdentityProvider.objects.select_for_update().filter(council_id=council_id).first()
        if row is None:
            row = IdentityProvider(council_id=council_id, enabled=False, label="", issuer="")
        row.private_key_sealed = seal(json.dumps(jwk))
        row.save()
        append_event(
            IdentityProviderKeyMade(key_id=kid),
            council_id=council_id,
            stream="council",
            stream_id=council_id,
            actor=actor.as_actor(),
        )
    oidc.caches_clear()
    return identity.public_jwk(jwk)


def staff_provider_check(*, actor: Principal, council_id: int) -> dict[str, Any]:
    """Fetch the saved issuer's discovery document now (InvalidInput says what is wrong)."""
    _require(actor, council_id)
    row = IdentityProvider.objects.filter(council_id=council_id).first()
    if row is None or not row.issuer:
        raise InvalidInput({"issuer": ["Save the provider's settings first"]})
    return discovery_check(issuer=row.issuer, client_auth=row.client_auth, scopes=row.scopes)
