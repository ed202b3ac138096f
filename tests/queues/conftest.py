from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from townsquare.appointments.demo import demo_clinic_ensure
from townsquare.core import clock

LONDON = ZoneInfo("Europe/London")
# A Tuesday morning; the clinic starts at nine.
NINE = dt.datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def wall(monkeypatch):
    held = Clock(NINE - dt.timedelta(minutes=5))
    monkeypatch.setattr(clock, "now", held)
    return held


@pytest.fixture
def clinic(council, wall, settings):
    settings.MESSAGING_SMS_QUIET_HOURS = "21:00-08:00"
    wall.at = NINE
    session = demo_clinic_ensure(council=council, now=NINE)
    wall.advance(minutes=-5)
    return session


@pytest.fixture
def messaging_on(settings):
    settings.MESSAGING_DISPATCH = "inline"
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    settings.PUBLIC_URL = "http://testserver"
    settings.NOTIFY_API_KEY = ""


@pytest.fixture
def smtp(settings):
    from townsquare.messaging.tests.support import SmtpServer

    server = SmtpServer().start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    yield server
    server.stop()
