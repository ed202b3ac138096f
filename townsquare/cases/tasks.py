"""Background entry points; each calls one service and is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from townsquare.cases.services import cases_anonymise_expired


@task()
def anonymise_expired_cases() -> int:
    return cases_anonymise_expired()
