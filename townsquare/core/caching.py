"""Per-process caches of small, rarely changed tables (councils, boundaries, the catalogue).

A cache is rebuilt when a cheap "stamp" query (counts, latest change times) gives a new answer,
and that query runs at most once per `check_every` seconds, so hot paths such as creating a case
cost no query at all for them. Writes in this process call `invalidate()` and are seen at once;
writes in other processes are seen within `check_every` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_all: list[StampedCache | MemoCache] = []


class StampedCache(Generic[T]):
    def __init__(self, *, build: Callable[[], T], stamp: Callable[[], object],
                 check_every: float = 1.0) -> None:
        self._build = build
        self._stamp_of = stamp
        self._check_every = check_every
        self._lock = threading.Lock()
        self._value: T | None = None
        self._stamp: object = None
        self._checked_at = float("-inf")
        _all.append(self)

    def get(self) -> T:
        now = time.monotonic()
        value = self._value
        if value is not None and now - self._checked_at < self._check_every:
            return value
        with self._lock:
            stamp = self._stamp_of()
            if self._value is None or stamp != self._stamp:
                self._value = self._build()
                self._stamp = stamp
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
