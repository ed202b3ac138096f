"""cases_bulk_create inside a caller's transaction: its batches join it, without savepoints (on
SQLite, trigger-firing inserts in a savepoint slow down with the size of the database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from townsquare.cases.bulk import CaseSpec, cases_bulk_create
from townsquare.cases.models import Case, MapCellCount
from townsquare.catalogue.models import ServiceTemplate
from townsquare.core.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def _spec(council, service, at: dt.datetime) -> CaseSpec:
    return CaseSpec(
        council_id=council.id,
        reference_prefix=council.reference_prefix,
        service_id=service.id,
        service_version_id=service.current_version_id,
        service_code=service.code,
        kind=service.kind,
        initial_state="open",
        state="open",
        is_open=True,
        is_public=True,
        created_at=at,
        updated_at=at,
        lat=51.5,
        lng=-1.5,
        h3=(608296573071540223, 617303772296052735, 626310971520139263),
        channel="import",
    )


def test_batches_join_the_callers_transaction_without_savepoints(council):
    service = ServiceTemplate.objects.filter(council=council, kind="report").first()
    at = dt.datetime(2015, 1, 24, 19, 36, 52, tzinfo=dt.UTC)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        written = cases_bulk_create([_spec(council, service, at) for _ in range(5)], batch_size=2)
    assert written == 5
    open_savepoints, inserts_in_savepoint = 0, 0
    for query in queries:
        sql = query["sql"].upper()
        if sql.startswith("SAVEPOINT"):
            open_savepoints += 1
        elif sql.startswith(("RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            open_savepoints -= 1
        elif 'INSERT INTO "CASES_CASE"' in sql and open_savepoints:
            inserts_in_savepoint += 1
    assert inserts_in_savepoint == 0
    assert Case.objects.filter(council=council).count() == 5
    assert Event.objects.filter(council_id=council.id, kind="case.created").count() == 5
    # The map's counts (kept by a trigger) saw every case.
    assert sum(MapCellCount.objects.filter(council_id=council.id).values_list("n", flat=True)) == 5
    # Stored as Django stores an aware UTC time.
    assert Case.objects.filter(council=council).first().created_at == at


def test_an_error_in_a_batch_rolls_back_the_callers_whole_transaction(council):
    service = ServiceTemplate.objects.filter(council=council, kind="report").first()
    at = dt.datetime(2015, 1, 24, 19, 36, 52, tzinfo=dt.UTC)
    broken = _spec(council, service, at)
    broken.service_id = None  # NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        cases_bulk_create([_spec(council, service, at), broken], batch_size=1)
    assert not Case.objects.filter(council=council).exists()
