"""The one place that asks what time it is, so tests and imports can set it.

Two clocks: `now()` is the wall clock for what is stored and shown; `monotonic()` is the
process's interval clock for when a per-process cache re-checks or a throttle lets work through.
Tests hold the interval clock still (`hold_monotonic`), so nothing a test observes depends on
how fast the machine happens to run (a loaded CI runner can leave seconds between two requests).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone

_monotonic: Callable[[], float] = time.monotonic
_shared: Callable[[], float] = time.time


def now() -> dt.datetime:
    return timezone.now()


def shared_seconds() -> float:
    """Seconds since the epoch, for state that several processes share (rate-limit buckets in
    the database): a per-process interval clock would mean nothing to another process. Held
    with the interval clock in tests, so a bucket refills only when the test moves time."""
    return _shared()


def monotonic() -> float:
    """Seconds that only move forward; their origin means nothing."""
    return _monotonic()


class HeldClock:
    """An interval clock that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.seconds = start

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@contextmanager
def hold_monotonic(start: float = 0.0) -> Iterator[HeldClock]:
    """Replace the interval clock with one the caller moves (tests only)."""
    global _monotonic, _shared
    held = HeldClock(start)
    wall_start = time.time()
    previous, _monotonic = _monotonic, held
    previous_shared, _shared = _shared, lambda: wall_start + held.seconds - start
    try:
        yield held
    finally:
        _monotonic = previous
        _shared = previous_shared
