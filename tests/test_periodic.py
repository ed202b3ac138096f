"""Jobs on the worker's clock: due when their period has passed, failures logged and retried,
and the retention and clean-up jobs registered by their apps."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.core.periodic import Clock, Job, periodic_jobs


def test_jobs_run_at_start_then_each_period_and_a_failure_stops_nothing(caplog):
    now = [1000.0]
    runs: list[str] = []

    def broken():
        runs.append("broken")
        raise RuntimeError("no database")

    clock = Clock(
        [
            Job("a", dt.timedelta(seconds=60), lambda: runs.append("a")),
            Job("b", dt.timedelta(seconds=600), broken),
        ],
        now=lambda: now[0],
    )
    assert clock.run_due() == ["a", "b"]
    assert "Periodic job b failed" in caplog.text
    now[0] += 59
    assert clock.run_due() == [] and clock.seconds_to_next() == pytest.approx(1)
    now[0] += 1
    assert clock.run_due() == ["a"]
    now[0] += 600
    assert clock.run_due() == ["a", "b"]
    assert runs == ["a", "broken", "a", "a", "broken"]


def test_retention_and_citizen_state_jobs_are_registered():
    names = {job.name: job.every for job in periodic_jobs()}
    assert names["cases.anonymise_expired"] == dt.timedelta(hours=1)
    assert names["portal.purge_citizen_state"] == dt.timedelta(hours=1)
