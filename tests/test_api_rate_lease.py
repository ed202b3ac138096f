"""A busy key's reads cost no write each (ADR 230): its token bucket is spent a lease at a time,
and its calls are logged in batches; neither lets a key past its limit nor loses a call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_api_v1 import client_for, key_for
from townsquare.api import store
from townsquare.api.models import ApiCall
from townsquare.core import caching, clock, ratelimit

pytestmark = pytest.mark.django_db


def test_low_limits_are_spent_one_token_a_call():
    assert ratelimit.lease_size(rate=10, burst=50) == 1
    assert ratelimit.lease_size(rate=19, burst=1000) == 1
    assert ratelimit.lease_size(rate=400, burst=200) == 20
    assert ratelimit.lease_size(rate=1e6, burst=1e8) == 50_000


def test_a_lease_is_spent_from_memory_and_never_past_the_bucket(interval_clock):
    decisions = [ratelimit.take_leased("k", rate=400, burst=200) for _ in range(10)]
    assert all(d.allowed for d in decisions)
    with CaptureQueriesContext(connection) as spent_in_memory:
        assert all(ratelimit.take_leased("k", rate=400, burst=200).allowed for _ in range(10))
    assert len(spent_in_memory) == 0  # the first lease of 20 covers all twenty calls

    allowed = 20 + sum(ratelimit.take_leased("k", rate=400, burst=200).allowed for _ in range(300))
    assert allowed == 200  # the whole burst, and not one call more

    # Another process starts with no lease: the shared bucket is empty for it too.
    caching.invalidate_all()
    refused = ratelimit.take_leased("k", rate=400, burst=200)
    assert not refused.allowed and refused.retry_after == 1
    interval_clock.advance(0.051)  # a little over 20 tokens back: one lease
    assert sum(ratelimit.take_leased("k", rate=400, burst=200).allowed for _ in range(40)) == 20


def test_what_a_lease_holds_when_it_ends_is_dropped(interval_clock):
    ratelimit.take_leased("k", rate=400, burst=200)  # a lease of 20, one spent
    interval_clock.advance(ratelimit.LEASE_SECONDS)
    with CaptureQueriesContext(connection) as queries:
        assert ratelimit.take_leased("k", rate=400, burst=200).allowed
    assert len(queries) == 1  # a new lease from the bucket, not the old one's 19


def test_a_busy_keys_reads_write_nothing_per_call(settings, council):
    settings.API_RATE_PER_SECOND = 1000
    settings.API_RATE_BURST = 1000
    settings.API_CALL_LOG_BATCH = 100
    settings.API_CALL_LOG_SECONDS = 60
    api = client_for(key_for(council))
    assert api.get("/api/v1/services").status_code == 200  # takes a lease of 50
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/services").status_code == 200
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    store.calls_flush()
    assert ApiCall.objects.count() == 2


def test_calls_are_logged_in_batches_and_none_is_lost(settings, council, monkeypatch):
    settings.API_CALL_LOG_BATCH = 3
    settings.API_CALL_LOG_SECONDS = 60
    api = client_for(key_for(council))
    api.get("/api/v1/services")
    api.get("/api/v1/cases/TST-00-1")
    assert ApiCall.objects.count() == 0  # waiting for a batch
    api.get("/api/v1/services")
    assert list(ApiCall.objects.order_by("id").values_list("path", "status")) == [
        ("/api/v1/services", 200),
        ("/api/v1/cases/TST-00-1", 404),
        ("/api/v1/services", 200),
    ]

    # A call that has waited its time is written with the next one, batch or not.
    api.get("/api/v1/services")
    later = clock.now() + dt.timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    api.get("/api/v1/services")
    assert ApiCall.objects.count() == 5

    # And what waits when the process stops (or a reader asks) is written then.
    api.get("/api/v1/services")
    store.calls_flush()
    assert ApiCall.objects.count() == 6
