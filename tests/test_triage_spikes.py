"""The anomaly alerts' back-test (issue 19): the same rules replayed in memory."""

from __future__ import annotations

import datetime as dt
import random

from townsquare.insights.backtest import Replay, Reported, backtest, cell_of


def _steady_year(seed: int = 1) -> list[Reported]:
    rng = random.Random(seed)
    cells = [cell_of(42.35 + i * 0.01, -71.06) for i in range(5)]
    start = dt.datetime(2015, 1, 1)
    return [
        Reported(
            at=start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60)),
            service=rng.choice(["pothole", "graffiti"]),
            cell=rng.choice(cells),
        )
        for _ in range(3000)
    ]


def test_a_quiet_year_raises_no_alert_and_large_bursts_are_caught():
    figures = backtest(_steady_year(), sizes=(3, 20), bursts=50)
    assert figures["alerts_on_the_real_year"] == 0
    sizes = figures["detected_within_hour_by_burst_size"]
    assert sizes["3"] == 0.0  # below the minimum count: never an alert
    assert sizes["20"] == 1.0


def test_a_burst_in_the_data_is_an_alert_in_its_hour():
    reports = _steady_year()
    hour = dt.datetime(2015, 6, 3, 14)
    cell = reports[0].cell
    reports += [Reported(hour + dt.timedelta(minutes=i), "pothole", cell) for i in range(15)]
    replay = Replay(reports)
    assert replay.alert("pothole", cell, hour)
    assert not replay.alert("pothole", cell, hour + dt.timedelta(hours=1))
    assert replay.false_alerts() == 1
