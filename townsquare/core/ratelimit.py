"""Token buckets that hold across processes (ADR 133): the REST API's per-key limit, public
writes per client address, Open311 creates per key, and messages a stranger can cause per
target email address, all spend from the same kind of bucket.

The buckets live in the database (core.models.RateBucket): the refill and the spend are one
UPDATE whose WHERE asks for a whole token after the refill, so concurrent callers in any
process are serialised by the row and never overspend. The clock is core.clock.shared_seconds,
which tests hold still and move (the `interval_clock` fixture). `take_leased` spends a
high-rate bucket (the REST API's) a lease of tokens at a time (ADR 230). `Backoff` keeps
growing waits (staff sign-in, ADR 143) in the same rows, and `client_address` is the one
reader of the client's address, from a trusted proxy's header when one is configured."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, F, FloatField, Value, When
from django.db.models.functions import Greatest, Least, Power
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from townsquare.core import caching, clock
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
    if _spend(key, rate=rate, burst=burst, tokens=1.0, now=now):
        return RateDecision(True, 0, int(burst))
    return _refused(key, rate=rate, burst=burst, now=now)


def _spend(key: str, *, rate: float, burst: float, tokens: float, now: float) -> bool:
    """Take `tokens` from the bucket in one UPDATE, or nothing if it holds fewer."""
    # Clocks of two processes differ a little: time never runs backwards for the bucket.
    elapsed = Greatest(Value(0.0), Value(now) - F("refilled_at"), output_field=FloatField())
    refilled = Least(Value(burst), F("tokens") + elapsed * Value(rate), output_field=FloatField())
    # Twice at most: a first call that loses the race to create the bucket spends from it.
    for _attempt in range(2):
        updated = RateBucket.objects.filter(
            GreaterThanOrEqual(refilled, Value(tokens)), key=key
        ).update(
            tokens=refilled - Value(tokens),
            refilled_at=Greatest(F("refilled_at"), Value(now), output_field=FloatField()),
        )
        if updated:
            return True
        if RateBucket.objects.filter(key=key).exists():
            return False  # the bucket is there and holds too few
        if burst < tokens:
            return False
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, tokens=burst - tokens, refilled_at=now)
            return True
        except IntegrityError:
            continue
    return False


def _refused(key: str, *, rate: float, burst: float, now: float) -> RateDecision:
    bucket = RateBucket.objects.filter(key=key).values("tokens", "refilled_at").first()
    tokens = (
        min(burst, bucket["tokens"] + max(0.0, now - bucket["refilled_at"]) * rate)
        if bucket
        else 0.0
    )
    wait = math.ceil((1 - tokens) / rate) if rate > 0 else 3600
    return RateDecision(False, max(1, wait), int(burst))


# A lease lives this long: tokens taken from the shared bucket and not spent by then are
# dropped, so a lease cannot carry an old allowance into a later burst.
LEASE_SECONDS = 1.0


def lease_size(*, rate: float, burst: float) -> int:
    """Tokens a process takes from a bucket at once: a twentieth of a second's refill and at
    most a tenth of the burst. Below 20 tokens a second that is 1, so low limits (the
    defaults, and every limit a test sets low) are spent one token per call, exactly."""
    return max(1, min(int(rate / 20), int(burst / 10)))


class _Leases:
    """Tokens this process has taken from shared buckets and not spent yet, by bucket key."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        caching.register(self)

    def spend(self, key: str, now: float) -> bool:
        with self._lock:
            left, taken_at = self._held.get(key, (0, 0.0))
            if left > 0 and 0 <= now - taken_at < LEASE_SECONDS:
                self._held[key] = (left - 1, taken_at)
                return True
            return False

    def hold(self, key: str, tokens: int, now: float) -> None:
        with self._lock:
            if len(self._held) > 10_000:
                self._held = {}
            self._held[key] = (tokens, now)

    def invalidate(self) -> None:
        with self._lock:
            self._held = {}


_leases = _Leases()


def take_leased(key: str, *, rate: float, burst: float) -> RateDecision:
    """`take` for buckets spent many times a second (ADR 230): a process takes a lease of
    `lease_size` tokens in one UPDATE and spends them from memory, so a busy key costs one
    write per lease rather than one per call. Tokens are taken from the shared bucket before
    they are spent, so two processes never spend more than it allows; what a process holds
    when its lease ends is lost, which errs towards refusing. With a lease of 1 this is
    `take`."""
    rate, burst = float(rate), float(burst)
    size = lease_size(rate=rate, burst=burst)
    if size == 1:
        return take(key, rate=rate, burst=burst)
    now = clock.shared_seconds()
    if _leases.spend(key, now):
        return RateDecision(True, 0, int(burst))
    if _spend(key, rate=rate, burst=burst, tokens=float(size), now=now):
        _leases.hold(key, size - 1, now)
        return RateDecision(True, 0, int(burst))
    # Fewer than a lease left: the last tokens go one call at a time.
    return take(key, rate=rate, burst=burst)


def take_or_raise(key: str, *, rate: float, burst: float) -> None:
    decision = take(key, rate=rate, burst=burst)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)


def give_back(key: str, *, burst: float) -> None:
    """Return the token an attempt spent, when it turned out not to count (a right password
    spends from a budget of wrong ones)."""
    RateBucket.objects.filter(key=key).update(
        tokens=Least(Value(float(burst)), F("tokens") + Value(1.0), output_field=FloatField())
    )


@dataclass(frozen=True)
class Backoff:
    """Growing delays for one key (a staff account): `free` failures cost nothing, then each
    doubles the wait before the next attempt, from `base_seconds` up to `max_seconds`; the
    count is forgotten `forget_seconds` after the last wait ended."""

    free: int
    base_seconds: float
    max_seconds: float
    forget_seconds: float

    def _delay(self, failures):
        exponent = Least(failures - Value(float(self.free + 1)), Value(40.0))
        return Case(
            When(LessThanOrEqual(failures, Value(float(self.free))), then=Value(0.0)),
            default=Least(
                Value(float(self.max_seconds)),
                Value(float(self.base_seconds)) * Power(Value(2.0), exponent),
            ),
            output_field=FloatField(),
        )

    def claim(self, key: str) -> int:
        """Claim one attempt under `key`: 0 when it may go ahead, else whole seconds to wait.

        The attempt is counted as a failure as it is claimed, in the same UPDATE that checks
        the wait is over (the row's `tokens` is the count, `refilled_at` when the next attempt
        may come), so attempts sent in parallel cannot all slip through one gap; a success
        then clears the key (`clear`)."""
        now = clock.shared_seconds()
        failures = Case(
            When(refilled_at__lt=now - self.forget_seconds, then=Value(1.0)),
            default=F("tokens") + Value(1.0),
            output_field=FloatField(),
        )
        for _attempt in range(2):
            if RateBucket.objects.filter(key=key, refilled_at__lte=now).update(
                tokens=failures, refilled_at=Value(now) + self._delay(failures)
            ):
                return 0
            waiting = RateBucket.objects.filter(key=key).values_list("refilled_at", flat=True)
            until = waiting.first()
            if until is not None:
                return max(1, math.ceil(until - now))
            first_delay = 0.0 if self.free >= 1 else float(self.base_seconds)
            try:
                with transaction.atomic():
                    RateBucket.objects.create(key=key, tokens=1.0, refilled_at=now + first_delay)
                return 0
            except IntegrityError:
                continue
        return 1

    def failures(self, key: str) -> int:
        """Failures counted against `key` and not yet forgotten."""
        row = RateBucket.objects.filter(key=key).values("tokens", "refilled_at").first()
        if row is None or row["refilled_at"] < clock.shared_seconds() - self.forget_seconds:
            return 0
        return int(row["tokens"])

    def passed_step(self, key: str) -> None:
        """The claimed attempt was right at a step that does not end the matter (a password
        before its code): it is not a failure, and the next step may come at once. The count
        stays, so a next step that fails waits as long as this one would have."""
        RateBucket.objects.filter(key=key).update(
            tokens=Greatest(F("tokens") - Value(1.0), Value(0.0)),
            refilled_at=Value(clock.shared_seconds()),
        )

    @staticmethod
    def clear(key: str) -> None:
        RateBucket.objects.filter(key=key).delete()


def per_minute(count: float) -> tuple[float, float]:
    """(rate per second, burst) for a limit written as "N a minute": N at once, then N more
    over the next minute."""
    return float(count) / 60.0, float(count)


def per_hour(count: float) -> tuple[float, float]:
    return float(count) / 3600.0, float(count)


def client_address(request) -> str:
    """The address of whoever made the request: the one place it is read, for every limit,
    sign-in record and email that names an address.

    Without TRUSTED_PROXY_HEADER it is REMOTE_ADDR. With it, the server sits behind that many
    reverse proxies (TRUSTED_PROXY_COUNT), each of which appends the address it was reached
    from to the header (X-Forwarded-For, or RFC 7239 Forwarded): the entry that many places
    from the right was written by our own outermost proxy, so it is the client; everything to
    its left came from the client and is not believed. A missing or malformed header leaves
    REMOTE_ADDR (the proxy), so a misconfiguration limits too much, never too little."""
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return remote
    meta = "HTTP_" + header.upper().replace("-", "_")
    hops = _forwarded_for(request.META.get(meta, ""), forwarded=header.lower() == "forwarded")
    count = max(1, settings.TRUSTED_PROXY_COUNT)
    if not hops:
        return remote
    # Fewer entries than proxies: the request skipped an outer proxy; the leftmost entry is
    # still one a proxy of ours wrote.
    return hops[-min(count, len(hops))] or remote


def _forwarded_for(value: str, *, forwarded: bool) -> list[str]:
    """The addresses in an X-Forwarded-For (or Forwarded: for=...) header, left to right;
    an entry that is not an IP address is kept as "" so positions still count."""
    entries = []
    for part in value.split(",")[:64]:
        part = part.strip()
        if forwarded:
            pairs = [p.strip().partition("=") for p in part.split(";")]
            part = next((v.strip().strip('"') for k, _, v in pairs if k.lower() == "for"), "")
        entries.append(_ip_or_blank(part))
    return entries


def _ip_or_blank(text: str) -> str:
    """ "203.0.113.9", "203.0.113.9:443", "[2001:db8::1]:443" or "2001:db8::1" -> the
    address; anything else -> ""."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def address_key(address: str) -> str:
    """What a per-address budget is keyed by: the address itself for IPv4, its /64 network for
    IPv6 (one home or phone is given a whole /64, so single IPv6 addresses cost nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:60]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def email_key(email: str) -> str:
    """A bucket key for a target email address that does not store the address itself."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"email:{digest}"


def limit_public_write(request) -> None:
    """Every public write (a citizen's POST, an Open311 create without a key) spends from its
    client address's bucket: PUBLIC_WRITES_PER_MINUTE."""
    from django.conf import settings

    rate, burst = per_minute(settings.PUBLIC_WRITES_PER_MINUTE)
    take_or_raise(f"write-address:{address_key(client_address(request))}", rate=rate, burst=burst)


def limit_email(email: str) -> None:
    """Every message a stranger can cause to an address (a sign-in link, a confirmation email
    for a report, an alert or a follow) spends from that address's bucket:
    EMAILS_PER_ADDRESS_PER_HOUR, so nobody can flood someone else's inbox."""
    from django.conf import settings

    if not email or not email.strip():
        return
    rate, burst = per_hour(settings.EMAILS_PER_ADDRESS_PER_HOUR)
    take_or_raise(email_key(email), rate=rate, burst=burst)
