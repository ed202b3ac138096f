from __future__ import annotations

import pytest

from townsquare.messaging.tests.support import HttpReceiver, SmtpServer


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    yield server
    server.stop()


@pytest.fixture
def messaging_on(settings):
    settings.MESSAGING_DISPATCH = "inline"
    # A retry is due at once, so a test runs the worker again instead of waiting for it.
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    # Generous: a loaded machine can be slow to answer on loopback; the timeout test sets its own.
    settings.MESSAGING_WEBHOOK_TIMEOUT = 30.0
    settings.PUBLIC_URL = "http://testserver"
    settings.NOTIFY_API_KEY = ""
    settings.MESSAGING_SMS_QUIET_HOURS = ""


@pytest.fixture
def receiver():
    made: list[HttpReceiver] = []

    def make(responses=None, **kwargs) -> HttpReceiver:
        server = HttpReceiver(responses, **kwargs).start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()
