"""Killing the worker mid-batch and starting it again loses nothing and sends nothing twice.

The worker runs as a real process (`townsquare worker`) against the test database and a real
SMTP server; the server holds the 30th message's SMTP transaction open while the test kills the
worker with SIGKILL, so the kill lands inside a claimed batch with messages already sent, one in
flight and the rest waiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_create
from townsquare.core import clock
from townsquare.councils.models import Area
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status, Subscription, SubscriptionKind

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
SUBSCRIBERS = 120


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _worker(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_PORT": str(port),
        "EMAIL_HOST": "127.0.0.1",
        "MESSAGING_SEND_LEASE_SECONDS": "2",
        "MESSAGING_DISPATCH": "off",
        "TOWNSQUARE_VAR_DIR": str(settings.VAR_DIR),
        "PYTHONPATH": str(ROOT),
        "NOTIFY_API_KEY": "",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "townsquare.cli", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killing_the_worker_mid_batch_loses_nothing_and_sends_nothing_twice(
    council, smtp, messaging_on
):
    west = Area.objects.get(council=council, name="West ward")
    now = clock.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                kind=SubscriptionKind.AREA,
                council=council,
                area=west,
                email=f"n{i}@example.org",
                created_at=now,
                confirmed_at=now,
            )
            for i in range(SUBSCRIBERS)
        ]
    )
    in_flight = threading.Event()
    resume = threading.Event()

    def hold_the_30th(n: int) -> None:
        if n == 30:
            in_flight.set()
            resume.wait(30)

    smtp.on_rcpt = hold_the_30th
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
    )
    assert Message.objects.filter(status=Status.QUEUED).count() == SUBSCRIBERS

    worker = _worker(smtp.port)
    try:
        assert in_flight.wait(60), "the worker never reached the 30th message"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        resume.set()
        if worker.poll() is None:
            worker.kill()
    held = Message.objects.filter(status=Status.SENDING).count()
    assert held > 0, "the kill should leave a claimed batch behind"
    received_before_restart = len(smtp.messages)
    assert 0 < received_before_restart < SUBSCRIBERS

    worker = _worker(smtp.port)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if Message.objects.filter(status=Status.SENT).count() == SUBSCRIBERS:
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(10)
    assert Message.objects.filter(status=Status.SENT).count() == SUBSCRIBERS
    recipients = [m["X-Envelope-To"] for m in smtp.messages]
    assert len(recipients) == SUBSCRIBERS
    assert sorted(set(recipients)) == sorted(f"n{i}@example.org" for i in range(SUBSCRIBERS))
    assert len({m["Message-ID"] for m in smtp.messages}) == SUBSCRIBERS
