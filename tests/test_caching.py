"""The per-process caches and throttles run on the interval clock the tests hold still."""

from __future__ import annotations

from townsquare.core.caching import StampedCache, Throttle


def test_a_stamped_cache_rechecks_only_when_its_clock_moves_past_the_interval(interval_clock):
    stamps, builds = iter(range(100)), []

    def build():
        builds.append(1)
        return len(builds)

    cache = StampedCache(build=build, stamp=lambda: next(stamps), check_every=1.0)
    assert cache.get() == 1
    assert cache.get() == 1  # same instant: no stamp query, no rebuild
    interval_clock.advance(0.9)
    assert cache.get() == 1
    interval_clock.advance(0.2)
    assert cache.get() == 2  # re-checked: the stamp changed, so rebuilt
    cache.invalidate()
    assert cache.get() == 3  # a write in this process is seen at once


def test_a_throttle_lets_one_through_per_interval_and_resets_between_tests(interval_clock):
    throttle = Throttle(every=5.0)
    assert throttle.ready()
    assert not throttle.ready()
    interval_clock.advance(4.9)
    assert not throttle.ready()
    interval_clock.advance(0.1)
    assert throttle.ready()
    throttle.invalidate()
    assert throttle.ready()
