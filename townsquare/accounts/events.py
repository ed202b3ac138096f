from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class ApiKeyCreated(DomainEvent):
    kind: ClassVar[str] = "api_key.created"
    visibility: ClassVar[str] = Visibility.INTERNAL
    api_key_id: int
    name: str
    # Kept for events recorded before key types: true for a test key.
    test_mode: bool
    key_type: str = "live"
    scopes: tuple[str, ...] = ()
    expires_at: str = ""


@dataclass(frozen=True)
class ApiKeyRotated(DomainEvent):
    """A key was replaced by a new one; the old one works until `old_expires_at` (RFC 3339)."""

    kind: ClassVar[str] = "api_key.rotated"
    visibility: ClassVar[str] = Visibility.INTERNAL
    api_key_id: int
    new_api_key_id: int
    name: str
    old_expires_at: str


@dataclass(frozen=True)
class ApiKeyRevoked(DomainEvent):
    kind: ClassVar[str] = "api_key.revoked"
    visibility: ClassVar[str] = Visibility.INTERNAL
    api_key_id: int
    name: str


@dataclass(frozen=True)
class MembershipSet(DomainEvent):
    """Someone was given a role in a council (or their role or team changed)."""

    kind: ClassVar[str] = "membership.set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int
    role: str
    team_id: int | None


@dataclass(frozen=True)
class StaffSignInRefused(DomainEvent):
    """A wrong password or code for a known staff account (`step` "password" or "code");
    `locked` when the address typed now has to wait before its next try (ADR 143: nothing is
    locked any more; the name is kept for the events already stored). An attempt on an address that
    is no staff account is recorded too, with no user and nothing of what was typed: the same
    write either way, so the time taken does not tell which addresses are staff."""

    kind: ClassVar[str] = "staff.sign_in_refused"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int | None
    step: str
    locked: bool


@dataclass(frozen=True)
class StaffSignedIn(DomainEvent):
    """A staff member passed both factors. `method` is "totp" or "recovery_code"."""

    kind: ClassVar[str] = "staff.signed_in"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int
    method: str


@dataclass(frozen=True)
class SecondFactorEnrolled(DomainEvent):
    kind: ClassVar[str] = "staff.second_factor_enrolled"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int


@dataclass(frozen=True)
class RecoveryCodesIssued(DomainEvent):
    kind: ClassVar[str] = "staff.recovery_codes_issued"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int
    count: int


@dataclass(frozen=True)
class SecondFactorReset(DomainEvent):
    kind: ClassVar[str] = "staff.second_factor_reset"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int


@dataclass(frozen=True)
class MembershipRemoved(DomainEvent):
    kind: ClassVar[str] = "membership.removed"
    visibility: ClassVar[str] = Visibility.INTERNAL
    user_id: int


@dataclass(frozen=True)
class IdentitySignedIn(DomainEvent):
    """Someone signed in through an OpenID Provider (`provider` "one-login" or "council-<id>");
    `level` is the level of confidence reached, `vot` One Login's vector of trust."""

    kind: ClassVar[str] = "identity.signed_in"
    visibility: ClassVar[str] = Visibility.INTERNAL
    provider: str
    user_id: int
    level: str
    vot: str


@dataclass(frozen=True)
class IdentitySignInRefused(DomainEvent):
    """A sign-in through an OpenID Provider was refused; `reason` is stable (wrong_issuer,
    wrong_audience, bad_algorithm, bad_signature, unknown_key, expired_token, wrong_nonce,
    wrong_state, vot_too_low, replayed_token, token_refused, no_role, link_needed...)."""

    kind: ClassVar[str] = "identity.sign_in_refused"
    visibility: ClassVar[str] = Visibility.INTERNAL
    provider: str
    reason: str
    user_id: int | None


@dataclass(frozen=True)
class IdentityLinked(DomainEvent):
    """An account at a provider now signs in as this user (`new_account` when the account was
    created for it)."""

    kind: ClassVar[str] = "identity.linked"
    visibility: ClassVar[str] = Visibility.INTERNAL
    provider: str
    user_id: int
    new_account: bool


@dataclass(frozen=True)
class IdentitySignedOut(DomainEvent):
    """Sessions begun through a provider ended: `how` is "here" (the person signed out) or
    "back_channel" (the provider told us the person signed out there)."""

    kind: ClassVar[str] = "identity.signed_out"
    visibility: ClassVar[str] = Visibility.INTERNAL
    provider: str
    user_id: int
    how: str


@dataclass(frozen=True)
class IdentityProviderSet(DomainEvent):
    """A council's staff identity provider was set or changed. Never the secret or the private
    key: `secret_changed` says a new client secret was stored, `key_id` names the key pair."""

    kind: ClassVar[str] = "identity.provider_set"
    visibility: ClassVar[str] = Visibility.INTERNAL
    label: str
    issuer: str
    client_id: str
    client_auth: str
    scopes: str
    groups_claim: str
    group_roles: dict[str, str]
    totp_required: bool
    enabled: bool
    secret_changed: bool
    key_id: str


@dataclass(frozen=True)
class IdentityProviderKeyMade(DomainEvent):
    """A new key pair for private_key_jwt replaced the council's old one (its public half is to
    be registered with the provider)."""

    kind: ClassVar[str] = "identity.provider_key_made"
    visibility: ClassVar[str] = Visibility.INTERNAL
    key_id: str
