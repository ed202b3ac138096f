"""Where the replica router sends a read (ADR 231). tests/test_replicas.py runs the whole thing
against a real streaming replica; these pin the rules one by one."""

from __future__ import annotations

import pytest
from django.db import transaction

from townsquare.core import replicas
from townsquare.core.replicas import ReplicaRouter, ReplicaState, primary_only, reads_may_lag


@pytest.fixture
def one_replica(monkeypatch, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    lag: dict[str, float | None] = {"replica1": 0.2}
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(replicas, "_measure", lambda alias: ReplicaState(alias, lag[alias]))
    return lag


def test_only_reads_that_may_lag_leave_the_primary(one_replica):
    router = ReplicaRouter()
    assert router.db_for_read(object) == "default"
    with reads_may_lag():
        assert router.db_for_read(object) == "replica1"
        with primary_only():
            assert router.db_for_read(object) == "default"
    assert router.db_for_write(object) == "default"


@pytest.mark.django_db
def test_a_transaction_reads_from_the_primary(one_replica):
    with reads_may_lag(), transaction.atomic():
        assert ReplicaRouter().db_for_read(object) == "default"


def test_a_replica_too_far_behind_or_down_is_left_alone(one_replica, interval_clock):
    router = ReplicaRouter()
    one_replica["replica1"] = 6.0
    with reads_may_lag():
        assert router.db_for_read(object) == "default"
        one_replica["replica1"] = 0.0
        assert router.db_for_read(object) == "default"  # not measured again within the second
        interval_clock.advance(1.0)
        assert router.db_for_read(object) == "replica1"
        one_replica["replica1"] = None  # down
        interval_clock.advance(1.0)
        assert router.db_for_read(object) == "default"


def test_only_the_primary_is_migrated():
    assert ReplicaRouter().allow_migrate("default", "cases")
    assert not ReplicaRouter().allow_migrate("replica1", "cases")
