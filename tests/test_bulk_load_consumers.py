"""After a bulk load every consumer of the event log is caught up by the loading process, in one
bulk step, and no request is left with the catch-up (issue 24, ADR 223)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import h3
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townsquare.cases.bulk import cases_bulk_create
from townsquare.cases.models import Case
from townsquare.cases.tests.test_bulk import _spec
from townsquare.catalogue.models import ServiceTemplate
from townsquare.core import clock
from townsquare.core.eventlog import newest_event_id
from townsquare.core.models import Event
from townsquare.insights.figures import figures_position
from townsquare.insights.models import CaseFact
from townsquare.insights.selectors import Filters, dashboard_get
from townsquare.messaging.models import Cursor as OutboxCursor
from townsquare.messaging.models import Message
from townsquare.messaging.outbox import CURSOR, outbox_dispatch

pytestmark = pytest.mark.django_db


def _real_spec(council, service, at):
    cells = tuple(h3.str_to_int(h3.latlng_to_cell(51.5, -1.5, r)) for r in (7, 9, 11))
    return dataclasses.replace(_spec(council, service, at), h3=cells)


def _load(council, count: int) -> None:
    service = ServiceTemplate.objects.filter(council=council, kind="report").first()
    now = clock.now()
    specs = [_real_spec(council, service, now - dt.timedelta(hours=i)) for i in range(count)]
    cases_bulk_create(specs, batch_size=7, actor_label="Import")


def test_a_bulk_load_leaves_the_figures_and_the_outbox_caught_up(
    council, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGING_DISPATCH = "inline"
    outbox_dispatch()  # the outbox has handled what came before
    with django_capture_on_commit_callbacks(execute=True):
        _load(council, 20)
    loaded = Event.objects.get(kind="cases.bulk_loaded")
    assert loaded.payload["cases"] == 20
    assert newest_event_id() == loaded.id
    assert figures_position() == loaded.id
    assert CaseFact.objects.filter(council_id=council.id).count() == 20
    cursor = OutboxCursor.objects.get(name=CURSOR)
    assert cursor.last_event_id == loaded.id
    # History, not news: nobody is messaged about the loaded cases.
    assert not Message.objects.exists()
    # The first dashboard view finds nothing left to catch up.
    today = clock.now().date()
    with CaptureQueriesContext(connection) as queries:
        dashboard_get(council=council, filters=Filters(start=today, end=today))
    assert not any("insights_casefact" in q["sql"] and "INSERT" in q["sql"] for q in queries)


def test_a_dashboard_view_catches_up_one_bounded_step_at_most(council, settings, monkeypatch):
    from townsquare.insights import selectors

    monkeypatch.setattr(selectors, "REQUEST_CATCH_UP_EVENTS", 5)
    before = figures_position()
    service = ServiceTemplate.objects.filter(council=council, kind="report").first()
    # Events the figures have not seen, as if left by a process that did not catch them up.
    from townsquare.cases.bulk import _insert_all

    _insert_all(
        [_real_spec(council, service, clock.now()) for _ in range(12)],
        batch_size=50,
        actor_label="Import",
        progress=None,
    )
    assert Case.objects.filter(council=council).count() == 12
    # The fifth event after the position: ids need not follow on from it (PostgreSQL's
    # sequences are not rolled back with a test's rows).
    fifth = Event.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True)[4]
    today = clock.now().date()
    dashboard_get(council=council, filters=Filters(start=today, end=today))
    assert figures_position() == fifth
