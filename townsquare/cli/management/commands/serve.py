"""townsquare serve — the web server (granian, ASGI) and the background worker, together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the product with granian and run the background worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SERVE_HOST)
        parser.add_argument("--port", type=int, default=settings.SERVE_PORT)
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.WEB_THREADS)
        parser.add_argument(
            "--no-worker", action="store_true", help="Serve only; run `townsquare worker` elsewhere"
        )

    def handle(
        self, *args, host: str, port: int, workers: int, threads: int, no_worker: bool, **options
    ):
        grace = settings.SERVE_STOP_GRACE_SECONDS
        # ASGI, so live streams are idle coroutines; ordinary views still run on a pool of
        # `threads` threads per process (config/asgi.py, ADR 0040). Backpressure bounds the open
        # connections per process: the streams plus a queue of ordinary requests.
        web = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--backpressure",
            str(settings.LIVE_MAX_STREAMS + threads * 4),
            "--backlog",
            str(max(2048, settings.LIVE_MAX_STREAMS)),
            "--no-ws",
            # A worker whose request threads are stuck (sending to a client that stopped
            # reading) ignores the stop; granian kills it after this long (ADR 141).
            "--workers-kill-timeout",
            str(grace),
            "config.asgi:application",
        ]
        children = [_start(web)]
        if not no_worker:
            children.append(_start([sys.executable, "-m", "townsquare.cli", "worker"]))

        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            # If either process dies, stop the other: a half-running product is worse than none.
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            killed = _end_within(children, grace + KILL_MARGIN_SECONDS)
        if killed:
            names = ", ".join(str(child.args[2]) for child in killed)
            self.stderr.write(f"Killed after the {grace} s grace period: {names}")
        stopped = (0, -signal.SIGTERM, -signal.SIGINT)
        if any(c.returncode not in stopped for c in children if c not in killed):
            raise SystemExit(1)


# Beyond granian's own kill timeout: time for it to kill its workers and exit itself.
KILL_MARGIN_SECONDS = 3


def _start(argv: list[str]) -> subprocess.Popen:
    # Each child leads a process group of its own, which its own children (granian's workers)
    # join: one killpg then reaches every process it started, even one it left behind.
    return subprocess.Popen(argv, process_group=0)  # noqa: S603 - our own argv, no shell


def _end_within(children: list[subprocess.Popen], seconds: float) -> list[subprocess.Popen]:
    """Wait up to `seconds` for the stopped children, then kill every process left in their
    groups. Returns the children that had to be killed."""
    deadline = time.monotonic() + seconds
    killed = []
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            killed.append(child)
    for child in children:
        # Also when the leader exited: a worker it failed to end would keep the port and the
        # database open.
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return killed
