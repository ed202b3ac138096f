"""Staff sign-in: a password, then a second factor (TOTP or a single-use recovery code).

Failed attempts are counted per email address typed (hashed) and per client address, whether or
not an account exists, so the answers never tell a known address from an unknown one. After
STAFF_SIGNIN_MAX_FAILURES failures within STAFF_SIGNIN_LOCKOUT_MINUTES the key is locked for that
long; a successful sign-in clears its email key. Failed second-factor codes count against the
same email key, so guessing six-digit codes is throttled like guessing passwords.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from townsquare.accounts.events import (
    RecoveryCodesIssued,
    SecondFactorEnrolled,
    SecondFactorReset,
    StaffSignedIn,
    StaffSignInRefused,
)
from townsquare.accounts.models import Membership, SecondFactor, SignInThrottle, User
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event

ISSUER = "Townsquare"
RECOVERY_CODE_COUNT = 10
# Codes from the previous and next 30-second step are accepted: phones' clocks drift.
TOTP_WINDOW = 1
# Client addresses are shared (offices, NAT): allow many more failures before locking one.
CLIENT_FAILURE_FACTOR = 10


def _max_failures() -> int:
    return settings.STAFF_SIGNIN_MAX_FAILURES


def _lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.STAFF_SIGNIN_LOCKOUT_MINUTES)


def email_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return f"email:{digest}"


def client_key(address: str) -> str:
    return f"client:{(address or 'unknown')[:60]}"


def locked_until(keys: list[str]) -> dt.datetime | None:
    """The latest time any of `keys` stays locked, or None when none is locked now."""
    now = clock.now()
    times = [
        t
        for t in SignInThrottle.objects.filter(key__in=keys, locked_until__gt=now).values_list(
            "locked_until", flat=True
        )
    ]
    return max(times) if times else None


def failure_record(keys: list[str]) -> dt.datetime | None:
    """Count one failed attempt against each key; returns the lock time if one is now locked."""
    now = clock.now()
    locked = None
    with transaction.atomic():
        for key in keys:
            limit = _max_failures() * (CLIENT_FAILURE_FACTOR if key.startswith("client:") else 1)
            row, _ = SignInThrottle.objects.select_for_update().get_or_create(
                key=key, defaults={"window_started_at": now}
            )
            if now - row.window_started_at > _lockout():
                row.failures, row.window_started_at = 0, now
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = now + _lockout()
                row.failures, row.window_started_at = 0, now
                locked = max(locked or row.locked_until, row.locked_until)
            row.save()
    return locked


def failures_clear(keys: list[str]) -> None:
    SignInThrottle.objects.filter(key__in=keys).delete()


def _is_staff(user: User) -> bool:
    return user.is_platform_admin or Membership.objects.filter(user_id=user.pk).exists()


# A password hash made once, checked against when no account matches, so an unknown address
# costs the same time as a known one.
_DUMMY_HASH: str | None = None


def _dummy_check(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("not-a-real-password")
    check_password(password, _DUMMY_HASH)


@dataclass(frozen=True)
class PasswordResult:
    """`user` when the password was right; `locked_until` when the attempt was refused."""

    user: User | None
    locked_until: dt.datetime | None = None


def staff_password_check(*, email: str, password: str, client: str) -> PasswordResult:
    """First step: the password of an active staff member (council role or platform admin)."""
    keys = [email_key(email), client_key(client)]
    lock = locked_until(keys)
    if lock is not None:
        return PasswordResult(user=None, locked_until=lock)
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        _dummy_check(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active and _is_staff(user)
    if not ok:
        lock = failure_record(keys)
        _refusal_record(
            user if user is not None and _is_staff(user) else None,
            step="password",
            locked=lock is not None,
        )
        return PasswordResult(user=None, locked_until=lock)
    return PasswordResult(user=user)


def _refusal_record(user: User | None, *, step: str, locked: bool) -> None:
    label = f"Someone signing in as {user.email}" if user else "Someone signing in"
    with transaction.atomic():
        append_event(
            StaffSignInRefused(user_id=user.pk if user else None, step=step, locked=locked),
            council_id=None,
            stream="user",
            stream_id=user.pk if user else 0,
            actor=Actor.anonymous(label[:200]),
        )


def second_factor_of(user: User) -> SecondFactor | None:
    """The user's confirmed second factor, or None when they have yet to set one up."""
    factor = SecondFactor.objects.filter(user=user).first()
    return factor if factor and factor.confirmed_at else None


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def totp_enrolment_start(*, user: User) -> SecondFactor:
    """A new unconfirmed secret (or the pending one), to show as a QR code and in text."""
    factor = SecondFactor.objects.filter(user=user).first()
    if factor is not None and factor.confirmed_at:
        raise InvalidInput("This account already has an authenticator set up")
    if factor is None:
        factor = SecondFactor.objects.create(user=user, totp_secret=pyotp.random_base32())
    return factor


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _new_recovery_codes() -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def _totp_step(secret: str, code: str, after_step: int) -> int | None:
    """The time step `code` is valid for (within the window), if later than `after_step`."""
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(clock.now())
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns new recovery codes,
    shown once (only their hashes are kept)."""
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        if factor is None or factor.confirmed_at:
            raise InvalidInput({"code": ["Start setting up your authenticator again"]})
        step = _totp_step(factor.totp_secret, code, 0)
        if step is None:
            raise InvalidInput(
                {
                    "code": [
                        "The code is not right. Enter the 6-digit code your "
                        "authenticator app shows now"
                    ]
                }
            )
        codes = _new_recovery_codes()
        factor.confirmed_at = clock.now()
        factor.last_used_step = step
        factor.recovery_code_hashes = [_hash_code(c) for c in codes]
        factor.save()
        actor = Actor(kind="staff", label=user.full_name or user.email, user_id=user.pk)
        append_event(
            SecondFactorEnrolled(user_id=user.pk),
            council_id=None,
            stream="user",
            stream_id=user.pk,
            actor=actor,
        )
        append_event(
            RecoveryCodesIssued(user_id=user.pk, count=len(codes)),
            council_id=None,
            stream="user",
            stream_id=user.pk,
            actor=actor,
        )
    return codes


def second_factor_verify(*, user: User, code: str, client: str) -> str | None:
    """Second step: a current TOTP code (not one already used) or an unused recovery code.

    Returns "totp" or "recovery_code" and records the sign-in, or None (a failure is counted,
    and the caller should say nothing more than that the code was wrong or the key locked).
    """
    keys = [email_key(user.email), client_key(client)]
    if locked_until(keys) is not None:
        return None
    method = None
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        if factor is not None and factor.confirmed_at:
            step = _totp_step(factor.totp_secret, code, factor.last_used_step)
            if step is not None:
                factor.last_used_step = step
                method = "totp"
            else:
                hashed = _hash_code(code)
                if len(_normalise(code)) == 10 and hashed in factor.recovery_code_hashes:
                    factor.recovery_code_hashes = [
                        h for h in factor.recovery_code_hashes if h != hashed
                    ]
                    method = "recovery_code"
            if method:
                factor.save()
                append_event(
                    StaffSignedIn(user_id=user.pk, method=method),
                    council_id=None,
                    stream="user",
                    stream_id=user.pk,
                    actor=Actor(kind="staff", label=user.full_name or user.email, user_id=user.pk),
                )
    if method is None:
        _refusal_record(user, step="code", locked=failure_record(keys) is not None)
    else:
        failures_clear([keys[0]])
    return method


def recovery_codes_remaining(*, user: User) -> int:
    factor = second_factor_of(user)
    return len(factor.recovery_code_hashes) if factor else 0


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace every recovery code with new ones (the old stop working); shown once."""
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        if factor is None or not factor.confirmed_at:
            raise InvalidInput("Set up an authenticator first")
        codes = _new_recovery_codes()
        factor.recovery_code_hashes = [_hash_code(c) for c in codes]
        factor.save()
        append_event(
            RecoveryCodesIssued(user_id=user.pk, count=len(codes)),
            council_id=None,
            stream="user",
            stream_id=user.pk,
            actor=Actor(kind="staff", label=user.full_name or user.email, user_id=user.pk),
        )
    return codes


def second_factor_set(*, user: User, secret: str) -> SecondFactor:
    """Give a user a confirmed authenticator with a known secret: for demo accounts, whose
    secret is published so anyone trying the demo can sign in."""
    pyotp.TOTP(secret).now()  # raises on a secret that is not base32
    factor, _ = SecondFactor.objects.update_or_create(
        user=user, defaults={"totp_secret": secret, "confirmed_at": clock.now()}
    )
    return factor


def totp_code_now(*, secret: str) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def second_factor_reset(*, user: User, council_id: int | None, actor: Actor) -> None:
    """Remove a person's authenticator and recovery codes (they lost their phone): they set up
    a new one at their next sign-in. Callers check the actor may do this."""
    with transaction.atomic():
        SecondFactor.objects.filter(user=user).delete()
        append_event(
            SecondFactorReset(user_id=user.pk),
            council_id=council_id,
            stream="user",
            stream_id=user.pk,
            actor=actor,
        )
