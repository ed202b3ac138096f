from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from townsquare.core.replicas import replica_states


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The primary answers (else this fails: 500), and, when replicas are configured, how far
    behind each is (ADR 231): a replica that is down or behind is reported, not an error, as
    reads then come from the primary."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    body: dict = {"status": "ok", "database": connection.vendor}
    states = replica_states()
    if states:
        body["replicas"] = [
            {
                "alias": state.alias,
                "lag_seconds": state.lag_seconds,
                "in_use": state.usable,
            }
            for state in states
        ]
    return JsonResponse(body)
