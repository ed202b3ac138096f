"""A pytest plugin that makes the test client behave as on a loaded machine: it pauses 1.5 s
before every other request, so the gaps between requests are uneven and longer than any
per-process cache's re-check interval (issue 13).

    pytest --slow-requests <tests that count queries, stream or wait>

A test that passes only when requests follow each other quickly depends on the machine's
speed; `.ci/run` runs those tests with this plugin on, so such a dependence fails CI at once
instead of on a busy day.
"""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import client as django_client

PAUSE_SECONDS = 1.5


@pytest.fixture(autouse=True)
def _every_other_request_paused(monkeypatch):
    calls = itertools.count()
    original = django_client.Client.request

    def request(self, **request):
        if next(calls) % 2:
            time.sleep(PAUSE_SECONDS)  # the point of this plugin: real time passes
        return original(self, **request)

    monkeypatch.setattr(django_client.Client, "request", request)
