from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction

from townsquare.accounts.events import ApiKeyCreated, ApiKeyRevoked, ApiKeyRotated, MembershipSet
from townsquare.accounts.models import ApiKey, KeyType, Membership, Role, Scope, User
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.caching import TimedValues
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


# A key's row is read on every call it makes and changes a few times in its life (ADR 230):
# each process keeps the rows it has read for a second. A revocation, rotation or expiry
# made in this process is seen at once (after its commit); one made in another, within that
# second.
_keys_in_use: TimedValues[ApiKey | None] = TimedValues(keep_for=1.0)


def _hash_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


# How long a rotated key keeps working beside its replacement, by default.
ROTATION_OVERLAP = dt.timedelta(hours=24)
MAX_ROTATION_OVERLAP = dt.timedelta(days=30)


def _scope_problems(scopes: set[str]) -> list[str]:
    if not scopes:
        return ["Choose at least one thing the key may do"]
    unknown = scopes - set(Scope.values)
    if unknown:
        return [f"Unknown scopes: {', '.join(sorted(unknown))}"]
    return []


def api_key_create(
    *,
    council_id: int,
    name: str,
    actor: Actor,
    key_type: str = KeyType.LIVE,
    scopes: Iterable[str] = (Scope.READ_PUBLIC,),
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for a client system. Returns the row and the key, which is not stored.
    Every field is checked before any is refused, so a form can show all its problems."""
    name = (name or "").strip()
    chosen = {s for s in scopes if s}
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = ["Give the client system a name of 1 to 100 characters"]
    if key_type not in KeyType.values:
        errors["key_type"] = ["Choose live, team or test"]
    if problems := _scope_problems(chosen):
        errors["scopes"] = problems
    if expires_at is not None and expires_at <= clock.now():
        errors["expires_at"] = ["Choose an expiry in the future"]
    if errors:
        raise InvalidInput(errors, code="bad_key")
    # In the order of Scope, so every list of a key's scopes reads the same.
    ordered = [s for s in Scope.values if s in chosen]
    with transaction.atomic():
        key, raw = _key_insert(
            council_id=council_id,
            name=name,
            key_type=key_type,
            scopes=ordered,
            expires_at=expires_at,
            actor=actor,
        )
        append_event(
            ApiKeyCreated(
                api_key_id=key.id,
                name=name,
                test_mode=key.test_mode,
                key_type=key_type,
                scopes=tuple(ordered),
                expires_at=expires_at.isoformat() if expires_at else "",
            ),
            council_id=council_id,
            stream="api_key",
            stream_id=key.id,
            actor=actor,
        )
    return key, raw


def _key_insert(
    *,
    council_id: int,
    name: str,
    key_type: str,
    scopes: list[str],
    expires_at: dt.datetime | None,
    actor: Actor,
) -> tuple[ApiKey, str]:
    # The type is in the key, as Notify does, so a test key in a live system is plain to see.
    raw = f"ts_{key_type}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        council_id=council_id,
        name=name,
        prefix=raw[:12],
        key_hash=_hash_key(raw),
        key_type=key_type,
        scopes=scopes,
        expires_at=expires_at,
        created_by_label=actor.label[:200],
    )
    return key, raw


def api_key_rotate(
    *, key: ApiKey, actor: Actor, overlap: dt.timedelta = ROTATION_OVERLAP
) -> tuple[ApiKey, str]:
    """Replace a key with a new one of the same name, type, scopes and expiry. The old key
    keeps working for `overlap` (never past its own expiry), so a client can change over
    without a gap. Returns the new row and the new key, which is not stored."""
    if not dt.timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise InvalidInput(
            {"overlap": ["Keep the old key working for between 0 hours and 30 days"]},
            code="bad_overlap",
        )
    now = clock.now()
    with transaction.atomic():
        old = ApiKey.objects.select_for_update().get(pk=key.pk)
        if not old.is_active_at(now) or old.replaced_by_id is not None:
            raise InvalidInput(
                {"key": ["Only a key in use that has not been rotated can be rotated"]},
                code="not_rotatable",
            )
        new, raw = _key_insert(
            council_id=old.council_id,
            name=old.name,
            key_type=old.key_type,
            scopes=list(old.scopes),
            expires_at=old.expires_at,
            actor=actor,
        )
        ends = now + overlap
        old.expires_at = min(old.expires_at, ends) if old.expires_at else ends
        old.replaced_by = new
        old.save(update_fields=["expires_at", "replaced_by"])
        _keys_in_use.invalidate()
        transaction.on_commit(_keys_in_use.invalidate)  # and what was read before the commit
        append_event(
            ApiKeyRotated(
                api_key_id=old.id,
                new_api_key_id=new.id,
                name=old.name,
                old_expires_at=old.expires_at.isoformat(),
            ),
            council_id=old.council_id,
            stream="api_key",
            stream_id=old.id,
            actor=actor,
        )
    return new, raw


def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            _keys_in_use.invalidate()
            transaction.on_commit(_keys_in_use.invalidate)  # and what was read before it
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
    busy client does not turn every read into a write); None for unknown, expired or revoked
    keys (a rotated key is expired once its overlap ends)."""
    if not raw or len(raw) > 200:
        return None
    key_hash = _hash_key(raw)
    key = _keys_in_use.get(
        key_hash,
        compute=lambda: ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first(),
    )
    now = clock.now()
    if key is None or not key.is_active_at(now):
        return None
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
