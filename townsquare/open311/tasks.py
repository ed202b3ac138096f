from __future__ import annotations

from django_tasks import task

from townsquare.open311.services import pending_request_process


@task()
def create_pending_request(token: str) -> str | None:
    case = pending_request_process(token=token)
    return case.reference if case else None
