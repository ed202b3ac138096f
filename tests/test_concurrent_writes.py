"""32 threads making 2,000 writes at once: SQLite must queue them, never say "locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_create
from townsquare.core.models import Event
from townsquare.geo.points import Point

THREADS = 32
WRITES = 2000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_case_creates_never_lock(council):
    errors: list[BaseException] = []

    def work(i: int) -> str | None:
        try:
            return case_create(
                service_code="pothole",
                actor=Principal.anonymous(),
                point=Point(51.1 + (i % 80) / 100, -1.9 + (i % 90) / 100),
                values={"depth": "deep"},
            ).reference
        except BaseException as exc:  # collect, so one failure does not hide the others
            errors.append(exc)
            return None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        references = list(pool.map(work, range(WRITES)))
    assert errors == []
    assert len(set(references)) == WRITES
    assert Case.objects.count() == WRITES
    ids = list(Event.objects.filter(kind="case.created").values_list("stream_id", flat=True))
    assert len(ids) == WRITES
