"""Staff sign-in: a password, then a second factor (TOTP or a single-use recovery code).

Wrong attempts slow down, they never lock (ADR 143). They are counted per email address typed
(hashed), whether or not an account exists, so the answers never tell a known address from an
unknown one: STAFF_SIGNIN_FREE_FAILURES cost nothing, then each doubles the wait before the next
try, up to STAFF_SIGNIN_MAX_DELAY_SECONDS, and the answer says how long. Every client address
also has a budget of wrong attempts an hour. A browser that has signed in to the account before
carries a device token: its attempts are counted on their own, so a stranger's wrong passwords
neither delay nor spend the budget of the person at their usual browser. Failed second-factor
codes count like wrong passwords; only a whole sign-in clears the count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction

from townsquare.accounts.events import (
    RecoveryCodesIssued,
    SecondFactorEnrolled,
    SecondFactorReset,
    StaffSignedIn,
    StaffSignInRefused,
)
from townsquare.accounts.models import Membership, SecondFactor, User
from townsquare.core import clock, ratelimit
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event

ISSUER = "Townsquare"
RECOVERY_CODE_COUNT = 10
# Codes from the previous and next 30-second step are accepted: phones' clocks drift.
TOTP_WINDOW = 1
# The first wait after the free failures; each further failure doubles it.
FIRST_DELAY_SECONDS = 1.0
# A count is forgotten this long after its last wait ended.
FORGET_AFTER_SECONDS = 3600.0
DEVICE_SALT = "townsquare.staff.device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def _backoff() -> ratelimit.Backoff:
    return ratelimit.Backoff(
        free=settings.STAFF_SIGNIN_FREE_FAILURES,
        base_seconds=FIRST_DELAY_SECONDS,
        max_seconds=settings.STAFF_SIGNIN_MAX_DELAY_SECONDS,
        forget_seconds=FORGET_AFTER_SECONDS,
    )


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def account_key(email: str) -> str:
    return f"signin-account:{_email_digest(email)}"


def _device_key(device: str) -> str:
    return f"signin-device:{device}"


def _address_budget(client: str) -> tuple[str, float, float]:
    rate, burst = ratelimit.per_hour(settings.STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR)
    return f"signin-address:{ratelimit.address_key(client)}", rate, burst


def device_token_make(*, user: User) -> str:
    """A token for the browser `user` has just signed in with (kept in a cookie): later
    attempts for the same address from it are counted apart from everyone else's."""
    return signing.dumps(
        {"e": _email_digest(user.email), "d": secrets.token_urlsafe(12)}, salt=DEVICE_SALT
    )


def _device_for(token: str, email: str) -> str:
    """The device id in `token` when it was issued for `email`, else ""."""
    if not token:
        return ""
    try:
        data = signing.loads(token[:300], salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("e") != _email_digest(email):
        return ""
    return str(data.get("d", ""))[:40]


@dataclass(frozen=True)
class Attempt:
    """One claimed try: `wait` seconds to wait instead (0: go ahead), and the key it counted."""

    wait: int
    key: str = ""
    address_key: str = ""


def _attempt_claim(*, email: str, client: str, device_token: str) -> Attempt:
    backoff = _backoff()
    device = _device_for(device_token, email)
    if device:
        key = _device_key(device)
        return Attempt(backoff.claim(key), key)
    budget, rate, burst = _address_budget(client)
    spent = ratelimit.take(budget, rate=rate, burst=burst)
    if not spent.allowed:
        return Attempt(spent.retry_after)
    key = account_key(email)
    wait = backoff.claim(key)
    if wait:
        ratelimit.give_back(budget, burst=burst)
        return Attempt(wait)
    return Attempt(0, key, budget)


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
class SignInResult:
    """`user` when the password (or code) was right; `retry_after` seconds when the attempt
    was refused unchecked; `warn` the staff member whose address just began to be slowed
    down, to be told by email (the interface queues it), with `failures` counted."""

    user: User | None
    retry_after: int = 0
    warn: User | None = None
    failures: int = 0
    # How the second step was passed: "totp" or "recovery_code".
    method: str = ""


def staff_password_check(
    *, email: str, password: str, client: str, device_token: str = ""
) -> SignInResult:
    """First step: the password of an active staff member (council role or platform admin).
    `client` is the client address; `device_token` the browser's device token, if any."""
    attempt = _attempt_claim(email=email, client=client, device_token=device_token)
    if attempt.wait:
        return SignInResult(user=None, retry_after=attempt.wait)
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        _dummy_check(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active and _is_staff(user)
    if ok:
        # Only a whole sign-in clears the count: the password alone proves too little, and
        # clearing here would give whoever knows it free guesses at the code. But a right
        # password is no failure, and the person goes on to the code without a wait.
        if attempt.key:
            _backoff().passed_step(attempt.key)
        if attempt.address_key:
            ratelimit.give_back(attempt.address_key, burst=_address_budget(client)[2])
        return SignInResult(user=user)
    staff = user if user is not None and _is_staff(user) else None
    return _refused(staff, attempt, step="password")


def _refused(user: User | None, attempt: Attempt, *, step: str) -> SignInResult:
    backoff = _backoff()
    failures = backoff.failures(attempt.key)
    slowed = failures > backoff.free
    _refusal_record(user, step=step, locked=slowed)
    # Told once, when the waits begin: on the account's own count, not a device's (that is
    # the person themselves, at their usual browser).
    warn = (
        user
        if user is not None
        and failures == backoff.free + 1
        and attempt.key.startswith("signin-account:")
        else None
    )
    return SignInResult(user=None, warn=warn, failures=failures)


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


def second_factor_verify(
    *, user: User, code: str, client: str, device_token: str = ""
) -> SignInResult:
    """Second step: a current TOTP code (not one already used) or an unused recovery code.

    On success `user` and `method` ("totp" or "recovery_code") are set, the sign-in is
    recorded and the count cleared. Otherwise the caller says no
    more than that the code was wrong, or how long to wait (`retry_after`)."""
    attempt = _attempt_claim(email=user.email, client=client, device_token=device_token)
    if attempt.wait:
        return SignInResult(user=None, retry_after=attempt.wait)
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
        return _refused(user, attempt, step="code")
    ratelimit.Backoff.clear(account_key(user.email))
    ratelimit.Backoff.clear(attempt.key)
    if attempt.address_key:
        ratelimit.give_back(attempt.address_key, burst=_address_budget(client)[2])
    return SignInResult(user=user, method=method)


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
