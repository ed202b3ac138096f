"""The REST API's own state (ADR 121): per-key token buckets, idempotency records, the call
log. The only API module that queries models, and only the API's own."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from townsquare.accounts.models import ApiKey
from townsquare.api.models import ApiCall, IdempotentRequest, RateBucket
from townsquare.core import clock


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    # Whole seconds until a token is back (0 when allowed).
    retry_after: int
    limit: int


def rate_take(*, key: ApiKey) -> RateDecision:
    """Spend one of the key's tokens, if it has one: a token bucket of API_RATE_BURST tokens
    refilled at API_RATE_PER_SECOND, held in the database so it holds across processes.

    The refill and the spend are one UPDATE whose WHERE asks for a whole token after the
    refill, so concurrent callers are serialised by the row and never overspend."""
    rate = float(settings.API_RATE_PER_SECOND)
    burst = float(settings.API_RATE_BURST)
    now = clock.now().timestamp()
    # Clocks of two processes differ a little: time never runs backwards for the bucket.
    elapsed = Greatest(Value(0.0), Value(now) - F("refilled_at"), output_field=FloatField())
    refilled = Least(Value(burst), F("tokens") + elapsed * Value(rate), output_field=FloatField())
    # Twice at most: a first call that loses the race to create the bucket spends from it.
    for _attempt in range(2):
        updated = RateBucket.objects.filter(
            GreaterThanOrEqual(refilled, Value(1.0)), api_key_id=key.pk
        ).update(
            tokens=refilled - Value(1.0),
            refilled_at=Greatest(F("refilled_at"), Value(now), output_field=FloatField()),
        )
        if updated:
            return RateDecision(True, 0, int(burst))
        if RateBucket.objects.filter(api_key_id=key.pk).exists():
            break  # the bucket is there and empty
        try:
            with transaction.atomic():
                RateBucket.objects.create(api_key_id=key.pk, tokens=burst - 1, refilled_at=now)
            return RateDecision(True, 0, int(burst))
        except IntegrityError:
            continue
    bucket = RateBucket.objects.filter(api_key_id=key.pk).values("tokens", "refilled_at").first()
    tokens = (
        min(burst, bucket["tokens"] + max(0.0, now - bucket["refilled_at"]) * rate)
        if bucket
        else 0.0
    )
    wait = math.ceil((1 - tokens) / rate) if rate > 0 else 3600
    return RateDecision(False, max(1, wait), int(burst))


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


@dataclass(frozen=True)
class Remembered:
    fingerprint: str
    status: int
    body: dict


def idempotent_answer(*, key: ApiKey, idempotency_key: str) -> Remembered | None:
    row = (
        IdempotentRequest.objects.filter(api_key_id=key.pk, key=idempotency_key)
        .values("fingerprint", "status", "body")
        .first()
    )
    return Remembered(**row) if row else None


def idempotent_remember(
    *, key: ApiKey, idempotency_key: str, fingerprint: str, status: int, body: dict
) -> None:
    """Keep the answer to a create. Call inside the create's transaction: if another process
    answered the same key first, the IntegrityError rolls this create back."""
    IdempotentRequest.objects.create(
        api_key_id=key.pk,
        key=idempotency_key,
        fingerprint=fingerprint,
        status=status,
        body=body,
        created_at=clock.now(),
    )


def call_record(*, key: ApiKey, method: str, path: str, status: int) -> None:
    ApiCall.objects.create(
        api_key_id=key.pk,
        council_id=key.council_id,
        method=method[:10],
        path=path[:300],
        status=status,
        at=clock.now(),
    )


def calls_of_council(*, council_id: int, since: dt.datetime) -> list[ApiCall]:
    return list(ApiCall.objects.filter(council_id=council_id, at__gte=since).order_by("-at"))
