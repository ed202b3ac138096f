"""Jobs on a clock: what must happen without anyone asking (removing personal data when its
retention ends, deleting expired drafts), run by `townsquare worker`.

Each app registers its own jobs in its AppConfig.ready(). Every worker process runs the clock,
so with several workers a job may run more than once per period: each job must be safe to run
twice (they are bounded deletes and updates), and none needs a lock or a table of its own.
A job that fails is logged and tried again at its next turn; it never stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[], object]


_jobs: dict[str, Job] = {}


def periodic_register(name: str, *, every: dt.timedelta, run: Callable[[], object]) -> None:
    """Run `run` once soon after a worker starts, then every `every` (registering a name again
    replaces the job)."""
    _jobs[name] = Job(name=name, every=every, run=run)


def periodic_jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)


class Clock:
    """Which jobs are due, by the process's monotonic clock; `run_due` runs them."""

    def __init__(self, jobs: list[Job], *, now: Callable[[], float] = time.monotonic) -> None:
        self.jobs = jobs
        self.now = now
        self.next_at = {job.name: now() for job in jobs}

    def run_due(self) -> list[str]:
        ran = []
        for job in self.jobs:
            if self.now() < self.next_at[job.name]:
                continue
            self.next_at[job.name] = self.now() + job.every.total_seconds()
            try:
                result = job.run()
            except Exception:
                log.exception("Periodic job %s failed; it runs again in %s", job.name, job.every)
            else:
                log.info("Periodic job %s: %s", job.name, result)
            ran.append(job.name)
        return ran

    def seconds_to_next(self) -> float:
        if not self.next_at:
            return 60.0
        return max(0.0, min(self.next_at.values()) - self.now())


def periodic_start(*, stop: threading.Event | None = None) -> threading.Thread:
    """Run the registered jobs on a daemon thread of this process until `stop` is set."""
    stop = stop or threading.Event()
    clock = Clock(periodic_jobs())

    def loop() -> None:
        while not stop.is_set():
            close_old_connections()
            clock.run_due()
            connection.close()
            stop.wait(min(60.0, max(1.0, clock.seconds_to_next())))

    thread = threading.Thread(target=loop, name="periodic-jobs", daemon=True)
    thread.start()
    return thread
