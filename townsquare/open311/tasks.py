from __future__ import annotations

from django_tasks import task


@task()
def create_pending_request(token: str) -> str | None:
    # Imported here: the services module enqueues this task, so it imports this one.
    from townsquare.open311.services import pending_request_process

    case = pending_request_process(token=token)
    return case.reference if case else None
