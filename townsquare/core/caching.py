"""Per-process caches of small, rarely changed tables (councils, boundaries, the catalogue).

A cache is rebuilt when a cheap "stamp" query (counts, latest change times) gives a new answer,
and that query runs at most once per `check_every` seconds, so hot paths such as creating a case
cost no query at all for them. Writes in this process call `invalidate()` and are seen at once;
writes in other processes are seen within `check_every` seconds.

Their time comes from `core.clock.monotonic`, which tests hold still: a cache re-checks in a test
only when the test moves the clock on or a write invalidates it, never because the machine was
slow between two requests (ADR 7).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from townsquare.core.clock import monotonic

T = TypeVar("T")


class Forgettable(Protocol):
    def invalidate(self) -> None: ...


_all: list[Forgettable] = []


def register(state: Forgettable) -> None:
    """Another kind of per-process state that tests must start without (rate-limit leases)."""
    _all.append(state)


class StampedCache(Generic[T]):
    def __init__(
        self, *, build: Callable[[], T], stamp: Callable[[], object], check_every: float = 1.0
    ) -> None:
        self._build = build
        self._stamp_of = stamp
        self._check_every = check_every
        self._lock = threading.Lock()
        self._value: T | None = None
        self._stamp: object = None
        self._checked_at = float("-inf")
        # Counts the builds: a value derived from this cache's (documents prepared from the
        # catalogue) is current while the generation it was derived at is.
        self.generation = 0
        _all.append(self)

    def get(self) -> T:
        now = monotonic()
        value = self._value
        if value is not None and now - self._checked_at < self._check_every:
            return value
        with self._lock:
            stamp = self._stamp_of()
            if self._value is None or stamp != self._stamp:
                self._value = self._build()
                self._stamp = stamp
                self.generation += 1
            self._checked_at = now
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
            self._checked_at = float("-inf")


class MemoCache(Generic[T]):
    """Values that never change once written (template versions), kept by key for the process.

    Bounded: past `size` entries it starts again, which is cheaper than tracking use and costs
    at most one query per entry.
    """

    def __init__(self, *, load: Callable[[list], dict], size: int = 10_000) -> None:
        self._load = load
        self._size = size
        self._values: dict = {}
        _all.append(self)

    def get_many(self, keys: set) -> dict:
        missing = [k for k in keys if k not in self._values]
        if missing:
            if len(self._values) + len(missing) > self._size:
                self._values = {}
            self._values.update(self._load(missing))
        return {k: self._values[k] for k in keys if k in self._values}

    def invalidate(self) -> None:
        self._values = {}


def invalidate_all() -> None:
    """Forget every cache (tests call this between cases, as their rollbacks are silent)."""
    for cache in _all:
        cache.invalidate()


class StampedValues(Generic[T]):
    """Values by key, each reused while a cheap stamp query (asked on every get) gives the same
    answer as when it was computed: for expensive reads whose inputs change often but are read
    far more often (a council's queue counts, stamped by its latest event id). Bounded like
    MemoCache."""

    def __init__(self, *, size: int = 2_000) -> None:
        self._size = size
        self._values: dict = {}
        self._lock = threading.Lock()
        _all.append(self)

    def get(self, key: object, *, stamp: object, compute: Callable[[], T]) -> T:
        held = self._values.get(key)
        if held is not None and held[0] == stamp:
            return held[1]
        value = compute()
        with self._lock:
            if len(self._values) >= self._size:
                self._values = {}
            self._values[key] = (stamp, value)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._values = {}


class TimedValues(Generic[T]):
    """Values by key, each reused for `keep_for` seconds after it was read: for a row read on
    every request and rarely changed (an API key), where a change made in another process may
    take `keep_for` seconds to be seen. Writes in this process call `invalidate()`. A None
    is not kept. Bounded like MemoCache."""

    def __init__(self, *, keep_for: float, size: int = 10_000) -> None:
        self._keep_for = keep_for
        self._size = size
        self._values: dict = {}
        self._lock = threading.Lock()
        _all.append(self)

    def get(self, key: object, *, compute: Callable[[], T]) -> T:
        now = monotonic()
        held = self._values.get(key)
        if held is not None and 0 <= now - held[0] < self._keep_for:
            return held[1]
        value = compute()
        if value is None:
            return value  # not kept: what is missing now may be made in a moment
        with self._lock:
            if len(self._values) >= self._size:
                self._values = {}
            self._values[key] = (now, value)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._values = {}


class Throttle:
    """Lets something through at most once per `every` seconds in this process (e.g. queueing
    one refresh for a burst of events). Reset with the caches, so each test starts open."""

    def __init__(self, *, every: float) -> None:
        self._every = every
        self._last = float("-inf")
        self._lock = threading.Lock()
        _all.append(self)

    def ready(self) -> bool:
        now = monotonic()
        with self._lock:
            if now - self._last < self._every:
                return False
            self._last = now
            return True

    def invalidate(self) -> None:
        with self._lock:
            self._last = float("-inf")
