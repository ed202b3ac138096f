"""Signing citizens in with a one-time link sent by email; no passwords.

The answer to "send me a link" is the same whether or not the address has an account, so the
form cannot be used to find out who uses the service. A link works once, for 15 minutes; only
a hash of its token is stored. Requests are throttled per requester, per requester and address,
and (generously) per address (ADR 143). Staff accounts are never signed in this way: they sign
in with a password and a second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.selectors import user_by_email
from townsquare.accounts.services import user_ensure
from townsquare.core import clock, ratelimit
from townsquare.core.errors import InvalidInput
from townsquare.messaging.services import transactional_message_send
from townsquare.portal.models import SignInLink

LINK_LIFETIME = dt.timedelta(minutes=15)
# One asker may send one address this many links in LINK_LIFETIME (ADR 143).
LINKS_PER_ASKER_AND_ADDRESS = 3


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def requester_hash(address: str) -> str:
    """A keyed hash of a network address: it throttles without storing the address."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def email_clean(raw: str) -> str:
    email = raw.strip().lower()
    if not email:
        raise InvalidInput({"email": [_("Enter your email address")]})
    if len(email) > 254:
        raise InvalidInput({"email": [_("Email address must be 254 characters or fewer")]})
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            {"email": [_("Enter an email address in the correct format, like name@example.com")]}
        ) from None
    return email


def safe_next(path: str) -> str:
    """Only a path on this site (never //elsewhere or a scheme) may follow a sign-in."""
    if (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and len(path) <= 300
        and all(31 < ord(c) < 127 for c in path)
    ):
        return path
    return ""


def _links_wait(*, email: str, requester: str) -> int:
    """0 when another link may go to `email` for this asker, else seconds to wait (ADR 143).

    Limits are per asker, so nobody can stop a resident signing in by asking for their links:
    each asker has its own allowance for one address and for everyone together. The
    per-address budget over all askers only bounds how full someone else can fill an inbox;
    it is generous, and while it is spent every link it paid for is in that inbox, working."""
    target = hashlib.sha256(email.encode()).hexdigest()[:32]
    rate, burst = ratelimit.per_hour(settings.SIGNIN_LINKS_PER_REQUESTER_PER_HOUR)
    limits = [
        (f"resident-link-asker:{requester[:64]}", rate, burst),
        (
            f"resident-link-pair:{requester[:32]}:{target}",
            LINKS_PER_ASKER_AND_ADDRESS / LINK_LIFETIME.total_seconds(),
            float(LINKS_PER_ASKER_AND_ADDRESS),
        ),
        (
            f"resident-link-address:{target}",
            *ratelimit.per_hour(settings.SIGNIN_LINKS_PER_ADDRESS_PER_HOUR),
        ),
    ]
    for key, rate, burst in limits:
        decision = ratelimit.take(key, rate=rate, burst=burst)
        if not decision.allowed:
            return decision.retry_after
    return 0


def sign_in_link_send(
    *,
    email: str,
    requester_address: str,
    next_path: str,
    build_url,
    staff_sign_in_url: str,
) -> int:
    """Email a one-time sign-in link to `email` (in the page's language), saying which network
    address asked for it. Returns 0 when queued, else the seconds to wait (the page says to
    use a link already sent, or try again later). An address with no account gets a link too,
    which creates the account when used. A staff member's address gets the same kind of
    message, queued the same way, pointing to `staff_sign_in_url` instead: the answer does the
    same work whoever the address belongs to. Raises MessageNotQueued when the message cannot
    be queued (nothing is kept then)."""
    email = email_clean(email)
    requester = requester_hash(ratelimit.address_key(requester_address))
    wait = _links_wait(email=email, requester=requester)
    if wait:
        return wait
    now = clock.now()
    token = secrets.token_urlsafe(32)
    values = {
        "minutes": str(int(LINK_LIFETIME.total_seconds() // 60)),
        "requester": requester_address,
    }
    with transaction.atomic():
        SignInLink.objects.create(
            token_hash=token_hash(token),
            email=email,
            next_path=safe_next(next_path),
            requester=requester,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        user = user_by_email(email=email)
        staff = user is not None and _is_staff(user)
        transactional_message_send(
            # Staff sign in at /staff/ with their second factor: no link that signs them in.
            kind="sign_in_staff" if staff else "sign_in",
            to=email,
            link=staff_sign_in_url if staff else build_url(token),
            language=get_language() or "en",
            values=values,
        )
    return 0


def _is_staff(user: User) -> bool:
    return user.is_platform_admin or user.is_staff or user.memberships.exists()


def sign_in_link_use(*, token: str) -> tuple[User, str] | None:
    """The citizen a link signs in (created on first use) and where to go next; None when the
    link is unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    now = clock.now()
    with transaction.atomic():
        link = SignInLink.objects.select_for_update().filter(token_hash=token_hash(token)).first()
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        link.used_at = now
        link.save(update_fields=["used_at"])
        user = user_ensure(email=link.email)
        if not user.is_active or _is_staff(user):
            return None
        return user, link.next_path


def sign_in_links_purge(*, now: dt.datetime | None = None) -> int:
    """Delete links a day after they expired (they hold email addresses)."""
    cutoff = (now or clock.now()) - dt.timedelta(days=1)
    deleted, _kinds = SignInLink.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
