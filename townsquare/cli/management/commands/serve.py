"""townsquare serve — the web server (granian, ASGI) and the background worker, together."""

from __future__ import annotations

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
            "config.asgi:application",
        ]
        children = [subprocess.Popen(web)]  # noqa: S603 - our own argv, no shell
        if not no_worker:
            worker = [sys.executable, "-m", "townsquare.cli", "worker"]
            children.append(subprocess.Popen(worker))  # noqa: S603

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
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [c.returncode for c in children]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            raise SystemExit(1)
