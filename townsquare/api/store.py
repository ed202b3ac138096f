"""The REST API's own state (ADR 121): per-key token buckets, idempotency records, the call
log. The only API module that queries models, and only the API's own."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings

from townsquare.accounts.models import ApiKey
from townsquare.api.models import ApiCall, IdempotentRequest
from townsquare.core import clock, ratelimit
from townsquare.core.ratelimit import RateDecision


def rate_take(*, key: ApiKey) -> RateDecision:
    """Spend one of the key's tokens, if it has one: a token bucket of API_RATE_BURST tokens
    refilled at API_RATE_PER_SECOND, shared by every process (core.ratelimit, ADR 133)."""
    return ratelimit.take(
        f"api-key:{key.pk}",
        rate=float(settings.API_RATE_PER_SECOND),
        burst=float(settings.API_RATE_BURST),
    )


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
