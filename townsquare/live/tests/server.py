"""A real ASGI server for tests: granian running config.asgi on the test's database."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def _static_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    collected = manifest.stat().st_mtime
    sources = (ROOT / "townsquare").glob("*/static/**/*")
    return any(path.is_file() and path.stat().st_mtime > collected for path in sources)


def collect_static(env: dict) -> None:
    # Pages need the hashed static files the production storage serves; a file added since
    # they were last collected (a checkout moved on) would be a 500 for a missing entry.
    # One test process collects at a time (xdist runs two): a server started while another
    # process rewrites the manifest would find entries missing.
    static_root = Path(settings.STATIC_ROOT)
    with (static_root.parent / "collectstatic.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _static_is_stale(static_root / "staticfiles.json"):
            subprocess.run(
                [sys.executable, "-m", "townsquare.cli", "collectstatic", "--no-input", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(**overrides: str) -> dict[str, str]:
    """The environment a server started by a test runs in: the test's database and secret."""
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "LIVE_POLL_SECONDS": "0.05",
        "LIVE_HEARTBEAT_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
        # Sessions made by the test process must be valid in the server.
        "SECRET_KEY": settings.SECRET_KEY,
        # Nothing sends from the server: its messages stay in the outbox, where tests read
        # them, and never reach whatever listens on the default SMTP port (a demo's mailbox).
        "MESSAGING_DISPATCH": "off",
        **overrides,
    }


def wait_until_answering(process: subprocess.Popen, base: str) -> None:
    """Wait for the server to answer (start-up takes longer on a loaded machine); the
    deadline only ends a run that has already failed."""
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=30)
            return
        except requests.RequestException:
            if process.poll() is not None:
                log = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise RuntimeError(f"the server exited: {log}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("the ASGI server did not start") from None
            time.sleep(0.05)


@contextmanager
def asgi_server(*, static: bool = False, **env_overrides: str):
    """A granian ASGI server (as `townsquare serve` runs it) on the test database; settings
    from the environment can be set with `env_overrides`."""
    port = _free_port()
    env = server_env(**env_overrides)
    if static:
        collect_static(env)
    process = subprocess.Popen(  # noqa: S603 - our own argv
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, base)
        yield base
    finally:
        # The whole group: granian's worker processes too.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # Graceful shutdown waits for open streams; the test is done with them.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
