"""Idempotent creates for the REST API's routes (ADR 121): a retry with the same
`Idempotency-Key` and request gets the first answer instead of a second object; the same key
with another request is a 422."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from townsquare.api import store
from townsquare.api.http import ApiProblem, key_of

MAX_KEY = 255


def idempotency_key(request: HttpRequest) -> str:
    idem = request.headers.get("Idempotency-Key", "").strip()
    if len(idem) > MAX_KEY:
        raise ApiProblem(
            400, "bad_idempotency_key", f"Use an Idempotency-Key of {MAX_KEY} characters or fewer."
        )
    return idem


def idempotent_create(
    request: HttpRequest, *, request_print: str, create: Callable[[], HttpResponse]
) -> HttpResponse:
    """`create()`'s answer (a JSON response), made once per Idempotency-Key: kept in the
    create's transaction, so a race between two processes loses cleanly. `request_print`
    identifies the request (store.fingerprint of what the client sent)."""
    key, idem = key_of(request), idempotency_key(request)
    if not idem:
        return create()
    seen = store.idempotent_answer(key=key, idempotency_key=idem)
    if seen is not None:
        return _replayed(seen, request_print)
    try:
        with transaction.atomic():
            response = create()
            store.idempotent_remember(
                key=key,
                idempotency_key=idem,
                fingerprint=request_print,
                status=response.status_code,
                body=json.loads(response.content),
            )
    except IntegrityError:
        # Another call with the same Idempotency-Key won the race; answer as it did.
        seen = store.idempotent_answer(key=key, idempotency_key=idem)
        if seen is None:
            raise
        return _replayed(seen, request_print)
    return response


def _replayed(seen: store.Remembered, request_print: str) -> HttpResponse:
    if seen.fingerprint != request_print:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request: use a new key for a new one.",
        )
    response = JsonResponse(seen.body, status=seen.status)
    response["Idempotent-Replayed"] = "true"
    return response
