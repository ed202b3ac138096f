"""Token buckets that hold across processes (ADR 133): the REST API's per-key limit, public
writes per client address, Open311 creates per key, and messages a stranger can cause per
target email address, all spend from the same kind of bucket.

The buckets live in the database (core.models.RateBucket): the refill and the spend are one
UPDATE whose WHERE asks for a whole token after the refill, so concurrent callers in any
process are serialised by the row and never overspend. The clock is core.clock.shared_seconds,
which tests hold still and move (the `interval_clock` fixture)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from townsquare.core import clock
from townsquare.core.models import RateBucket


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    # Whole seconds until a token is back (0 when allowed).
    retry_after: int
    limit: int


class RateLimited(Exception):
    """Raised by a service or view past a limit; each interface answers it with a 429 and
    Retry-After in its own format (a GOV.UK page, an Open311 error, an API problem)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


def take(key: str, *, rate: float, burst: float) -> RateDecision:
    """Spend one token from the bucket `key` (created full on first use): `burst` tokens at
    most, refilled at `rate` per second."""
    rate, burst = float(rate), float(burst)
    now = clock.shared_seconds()
    # Clocks of two processes differ a little: time never runs backwards for the bucket.
    elapsed = Greatest(Value(0.0), Value(now) - F("refilled_at"), output_field=FloatField())
    refilled = Least(Value(burst), F("tokens") + elapsed * Value(rate), output_field=FloatField())
    # Twice at most: a first call that loses the race to create the bucket spends from it.
    for _attempt in range(2):
        updated = RateBucket.objects.filter(
            GreaterThanOrEqual(refilled, Value(1.0)), key=key
        ).update(
            tokens=refilled - Value(1.0),
            refilled_at=Greatest(F("refilled_at"), Value(now), output_field=FloatField()),
        )
        if updated:
            return RateDecision(True, 0, int(burst))
        if RateBucket.objects.filter(key=key).exists():
            break  # the bucket is there and empty
        if burst < 1:
            break
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, tokens=burst - 1, refilled_at=now)
            return RateDecision(True, 0, int(burst))
        except IntegrityError:
            continue
    bucket = RateBucket.objects.filter(key=key).values("tokens", "refilled_at").first()
    tokens = (
        min(burst, bucket["tokens"] + max(0.0, now - bucket["refilled_at"]) * rate)
        if bucket
        else 0.0
    )
    wait = math.ceil((1 - tokens) / rate) if rate > 0 else 3600
    return RateDecision(False, max(1, wait), int(burst))


def take_or_raise(key: str, *, rate: float, burst: float) -> None:
    decision = take(key, rate=rate, burst=burst)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)


def per_minute(count: float) -> tuple[float, float]:
    """(rate per second, burst) for a limit written as "N a minute": N at once, then N more
    over the next minute."""
    return float(count) / 60.0, float(count)


def per_hour(count: float) -> tuple[float, float]:
    return float(count) / 3600.0, float(count)


def client_address(request) -> str:
    """The address a public limit is keyed by. The one place that reads it: REMOTE_ADDR for
    now; reading a trusted proxy's X-Forwarded-For belongs here when there is one."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def email_key(email: str) -> str:
    """A bucket key for a target email address that does not store the address itself."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"email:{digest}"


def limit_public_write(request) -> None:
    """Every public write (a citizen's POST, an Open311 create without a key) spends from its
    client address's bucket: PUBLIC_WRITES_PER_MINUTE."""
    from django.conf import settings

    rate, burst = per_minute(settings.PUBLIC_WRITES_PER_MINUTE)
    take_or_raise(f"write-address:{client_address(request)}", rate=rate, burst=burst)


def limit_email(email: str) -> None:
    """Every message a stranger can cause to an address (a sign-in link, a confirmation email
    for a report, an alert or a follow) spends from that address's bucket:
    EMAILS_PER_ADDRESS_PER_HOUR, so nobody can flood someone else's inbox."""
    from django.conf import settings

    if not email or not email.strip():
        return
    rate, burst = per_hour(settings.EMAILS_PER_ADDRESS_PER_HOUR)
    take_or_raise(email_key(email), rate=rate, burst=burst)
