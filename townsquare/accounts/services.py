from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from townsquare.accounts.events import ApiKeyCreated, ApiKeyRevoked, MembershipSet
from townsquare.accounts.models import ApiKey, Membership, Role, User
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event


def user_ensure(
    *, email: str, full_name: str = "", password: str | None = None, is_platform_admin: bool = False
) -> User:
    """Create the user if missing; never changes an existing user's password."""
    with transaction.atomic():
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            user = User.objects.create_user(
                email,
                password,
                full_name=full_name,
                is_platform_admin=is_platform_admin,
                is_staff=is_platform_admin,
                is_superuser=is_platform_admin,
            )
        return user


def membership_set(
    *,
    user: User,
    council_id: int,
    role: str,
    team_id: int | None = None,
    actor: Actor | None = None,
) -> Membership:
    """Give a user a role (and optionally a team) in a council; recorded in the audit trail."""
    if role not in Role.values:
        raise InvalidInput(
            {"role": [f"Unknown role {role!r}; expected one of {', '.join(Role.values)}"]}
        )
    # Teams live in councils, a layer above; the foreign key reaches them without an import.
    teams = Membership._meta.get_field("team").related_model.objects
    if team_id is not None and not teams.filter(id=team_id, council_id=council_id).exists():
        raise InvalidInput({"team": ["Choose one of the council's teams"]})
    with transaction.atomic():
        existing = Membership.objects.filter(user=user, council_id=council_id).first()
        if existing and (existing.role, existing.team_id) == (role, team_id):
            return existing  # nothing changes, nothing to record
        membership, _ = Membership.objects.update_or_create(
            user=user, council_id=council_id, defaults={"role": role, "team_id": team_id}
        )
        append_event(
            MembershipSet(user_id=user.pk, role=role, team_id=team_id),
            council_id=council_id,
            stream="membership",
            stream_id=membership.pk,
            actor=actor or Actor.system(),
        )
        return membership


def _hash_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *, council_id: int, name: str, actor: Actor, test_mode: bool = False
) -> tuple[ApiKey, str]:
    """Create a key for a client system. Returns the row and the key, which is not stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput({"name": ["Give the client system a name of 1 to 100 characters"]})
    raw = f"ts_{'test_' if test_mode else ''}{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            council_id=council_id,
            name=name,
            prefix=raw[:12],
            key_hash=_hash_key(raw),
            test_mode=test_mode,
            created_by_label=actor.label[:200],
        )
        append_event(
            ApiKeyCreated(api_key_id=key.id, name=name, test_mode=test_mode),
            council_id=council_id,
            stream="api_key",
            stream_id=key.id,
            actor=actor,
        )
    return key, raw


def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            append_event(
                ApiKeyRevoked(api_key_id=key.id, name=key.name),
                council_id=key.council_id,
                stream="api_key",
                stream_id=key.id,
                actor=actor,
            )
    return key


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """The active key for `raw`, with its last-used time refreshed (at most once a minute, so a
    busy client does not turn every read into a write); None for unknown or revoked keys."""
    if not raw or len(raw) > 200:
        return None
    key = ApiKey.objects.filter(key_hash=_hash_key(raw), revoked_at__isnull=True).first()
    if key is None:
        return None
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
