"""The REST API's own state (ADR 121): per-key token buckets, idempotency records, the call
log. The only API module that queries models, and only the API's own."""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from townsquare.accounts.models import ApiKey
from townsquare.api.models import ApiCall, IdempotentRequest
from townsquare.core import clock, ratelimit
from townsquare.core.ratelimit import RateDecision


def rate_take(*, key: ApiKey) -> RateDecision:
    """Spend one of the key's tokens, if it has one: a token bucket of API_RATE_BURST tokens
    refilled at API_RATE_PER_SECOND, shared by every process (core.ratelimit, ADR 133), taken a
    lease at a time when the limit is high (ADR 230)."""
    return ratelimit.take_leased(
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


class _CallLog:
    """Calls waiting to be written, in this process (ADR 230). A row per call written as the
    call is answered would be a second write on every read; instead calls are kept here and
    written together once API_CALL_LOG_BATCH of them wait or the oldest has waited
    API_CALL_LOG_SECONDS, by the call that finds it so or by a thread that looks once a second
    (so a quiet API's last calls are not held), and when the process stops. A process killed
    outright loses at most those seconds of its read log; writes are audited by their events
    in the change's own transaction, whatever happens here."""

    def __init__(self) -> None:
        self._waiting: list[ApiCall] = []
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None

    def add(self, call: ApiCall) -> None:
        with self._lock:
            self._waiting.append(call)
            due = self._due()
        if due:
            self.flush()
        else:
            self._start_flusher()

    def _due(self) -> bool:
        waiting = self._waiting
        return bool(waiting) and (
            len(waiting) >= settings.API_CALL_LOG_BATCH
            or (clock.now() - waiting[0].at).total_seconds() >= settings.API_CALL_LOG_SECONDS
        )

    def flush(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        if batch:
            ApiCall.objects.bulk_create(batch)

    def _start_flusher(self) -> None:
        if self._flusher is not None and self._flusher.is_alive():
            return
        with self._lock:
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(
                    target=self._flush_when_due, name="api-call-log", daemon=True
                )
                self._flusher.start()

    def _flush_when_due(self) -> None:
        from django.db import connection

        try:
            while True:
                time.sleep(1.0)  # the thread's own pace: it waits for calls to age
                with self._lock:
                    due, idle = self._due(), not self._waiting
                if due:
                    self.flush()
                elif idle:
                    return  # the next call starts another
        finally:
            connection.close()


_calls = _CallLog()
atexit.register(_calls.flush)


def call_record(*, key: ApiKey, method: str, path: str, status: int) -> None:
    _calls.add(
        ApiCall(
            api_key_id=key.pk,
            council_id=key.council_id,
            method=method[:10],
            path=path[:300],
            status=status,
            at=clock.now(),
        )
    )


def calls_flush() -> None:
    """Write the calls this process has not written yet (a process stopping; tests)."""
    _calls.flush()


def calls_of_council(*, council_id: int, since: dt.datetime) -> list[ApiCall]:
    _calls.flush()
    return list(ApiCall.objects.filter(council_id=council_id, at__gte=since).order_by("-at"))
